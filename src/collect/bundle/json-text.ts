// Parse a bundle file's JSON and, when it is invalid, say where: users edit and redact bundles by hand, and
// "invalid JSON" without a line and column sends them hunting. V8's messages differ by version: Node 20 says
// "at position N" for some errors and nothing for others ("Unexpected token '}', … is not valid JSON"),
// newer V8 says "(line N column M)"; when the message has no position, a small scanner finds it.

export interface TextPosition {
  line: number;
  column: number;
}

import { depthExceededAt, exceedsDepth, MAX_DEPTH, tooDeep } from './validate.js';

export type JsonParseResult =
  { ok: true; value: unknown } | { ok: false; line: number; column: number; message: string };

/**
 * Decode file bytes as text: UTF-8 (BOM dropped) or, when it starts with a UTF-16 BOM, UTF-16
 * (Windows PowerShell 5's `>` writes UTF-16LE, a common way for `kubectl … > file.json` to go wrong).
 */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return Buffer.from(bytes.subarray(2)).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  // A view on the same memory, not a copy (`Buffer.from(bytes)` copies: 22 MB for a big pod list).
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** 1-based line and column of a UTF-16 offset; `\r\n`, `\n` and a lone `\r` each end a line. */
export function positionOf(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** The position a V8 JSON SyntaxError message names, if it names one. */
export function positionFromMessage(text: string, message: string): TextPosition | undefined {
  const lineCol = /\(?line (\d+) column (\d+)\)?/.exec(message);
  if (lineCol) return { line: Number(lineCol[1]), column: Number(lineCol[2]) };
  const pos = /at position (\d+)/.exec(message);
  if (pos) return positionOf(text, Number(pos[1]));
  if (/Unexpected end of JSON input/.test(message)) return positionOf(text, text.length);
  return undefined;
}

/** V8's message without the position it already gives (we print our own) and without the echoed text. */
function shortMessage(message: string): string {
  return message
    .replace(/,? ?(?:"|\.\.\.").*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/ \(line \d+ column \d+\)$/, '')
    .trim();
}

/**
 * Parse JSON text nested no deeper than MAX_DEPTH (deeper text is an error at the offending bracket). V8 parses
 * any depth without recursion; the parsed value is walked for its depth (cheaper than scanning the text), and the
 * text is scanned only to say where it goes too deep.
 */
export function parseJsonText(text: string): JsonParseResult {
  const tooDeepAt = (at: number): JsonParseResult => ({ ok: false, ...positionOf(text, at), message: tooDeep() });
  try {
    const value = JSON.parse(text) as unknown;
    // Parsed too deep means the text is: the scan finds the bracket.
    return exceedsDepth(value) ? tooDeepAt(depthExceededAt(text) ?? 0) : { ok: true, value };
  } catch (e) {
    const deep = depthExceededAt(text);
    if (deep !== undefined) return tooDeepAt(deep);
    const message = e instanceof Error ? e.message : String(e);
    const at = positionFromMessage(text, message) ?? positionOf(text, findJsonErrorOffset(text));
    return { ok: false, ...at, message: shortMessage(message) || 'invalid JSON' };
  }
}

export function describeJsonError(error: { line: number; column: number; message: string }): string {
  return `invalid JSON at line ${error.line}, column ${error.column}: ${error.message}`;
}

/**
 * Offset of the first character that makes `text` invalid JSON (text.length for a premature end). Nesting
 * deeper than MAX_DEPTH counts as invalid there, so the recursion stays shallow whatever the input.
 */
export function findJsonErrorOffset(text: string): number {
  let i = 0;
  let depth = 0;
  const fail = (at: number): never => {
    throw new JsonScanError(at);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail(i);
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail(i);
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 32) fail(i);
      if (c === 92) {
        const next = text.charAt(i + 1);
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail(i + 1);
          i += 6;
        } else if ('"\\/bfnrt'.includes(next) && next !== '') i += 2;
        else fail(i + 1);
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail(i);
    i += m?.[0].length ?? 0;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if ((c === '{' || c === '[') && ++depth > MAX_DEPTH) fail(i);
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        depth--;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i);
        string();
        ws();
        if (text[i] !== ':') fail(i);
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          depth--;
          return;
        } else fail(i);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        depth--;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          depth--;
          return;
        } else fail(i);
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    fail(i);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(i);
    return text.length;
  } catch (e) {
    if (e instanceof JsonScanError) return e.offset;
    throw e;
  }
}

class JsonScanError extends Error {
  constructor(readonly offset: number) {
    super(`invalid JSON at offset ${offset}`);
  }
}
