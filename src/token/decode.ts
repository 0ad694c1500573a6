// The one JWT decoder (the bundle reader and `wi-doctor token` both use it). Strict about structure — three
// segments, header and claims JSON objects, the base64url alphabet — and tolerant of what copy-paste adds:
// surrounding whitespace, `\r` from `kubectl exec -it … cat`, line wraps, a `Bearer ` prefix,
// quotes, and `=` padding (accepted with a note: JWTs are unpadded, RFC 7515 §2). Errors name the segment
// and the reason, never the token. The signature is not kept unless asked for.

/** Which part of a token an error is about. */
export type TokenPart = 'structure' | 'header' | 'claims' | 'signature';

const SEGMENT_NAMES = ['header', 'claims', 'signature'] as const;

/** A token that is no JWT, with a one-line message naming the segment (or the structure) and why. */
export class TokenError extends Error {
  constructor(
    readonly part: TokenPart,
    /** 1-based segment number; undefined for structure errors. */
    readonly segment: 1 | 2 | 3 | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface DecodeOptions {
  /** Keep the encoded signature in the result (`--show-signature`). Default: length only. */
  keepSignature?: boolean;
}

export interface DecodedToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signature: {
    /** Decoded length in bytes (256 for RS256 with a 2048-bit key); 0 for an unsecured token. */
    bytes: number;
    /** The base64url text, only with `keepSignature`. */
    value?: string;
  };
  /** What was tolerated or is odd (one line each): prefix removed, `\r` removed, padding, no signature. */
  notes: string[];
}

export interface NormalizedToken {
  /** The compact serialization with the tolerated extras removed (what a verifier gets). */
  compact: string;
  notes: string[];
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/**
 * Remove what terminals and copy-paste add around a token. Throws TokenError('structure') for empty input.
 * Never puts any part of the token in a note or an error.
 */
export function normalizeTokenText(text: string): NormalizedToken {
  const notes: string[] = [];
  let t = text;
  if (t.includes('\r'))
    notes.push('removed carriage returns (`\\r`, as `kubectl exec -it` adds; use `kubectl exec` without -t)');
  if (t.charCodeAt(0) === 0xfeff) {
    t = t.slice(1);
    notes.push('removed a byte order mark');
  }
  t = t.trim();
  const prefix = /^(?:authorization\s*:\s*)?bearer\s+/i.exec(t);
  if (prefix) {
    t = t.slice(prefix[0].length);
    notes.push('removed a `Bearer ` prefix');
  }
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) {
    t = t.slice(1, -1);
    notes.push('removed surrounding quotes');
  }
  t = t.trim();
  const compact = t.replace(/\s+/g, '');
  if (compact !== t) notes.push('removed whitespace inside the token (a token broken over several lines?)');
  if (compact === '') throw new TokenError('structure', undefined, 'not a JWT: the input is empty');
  return { compact, notes };
}

/** base64url text of one segment → bytes; padding is stripped first (with a note). */
function segmentBytes(segment: string, index: 0 | 1 | 2, notes: string[]): Buffer {
  const number = (index + 1) as 1 | 2 | 3;
  const part = SEGMENT_NAMES[index];
  const where = `segment ${number} (${part})`;
  let body = segment;
  const padding = /=+$/.exec(body);
  if (padding) {
    body = body.slice(0, padding.index);
    if (padding[0].length > 2) {
      throw new TokenError(
        part,
        number,
        `${where}: ${padding[0].length} padding characters '=' (base64 has at most 2)`,
      );
    }
    notes.push(`${where}: ignored '=' padding (JWT segments are unpadded base64url, RFC 7515 §2)`);
  }
  if (!BASE64URL.test(body)) {
    // Characters, not UTF-16 units: the position a person counts.
    const chars = Array.from(body);
    const at = chars.findIndex((c) => !/[A-Za-z0-9_-]/.test(c));
    const c = chars[at] ?? '';
    const hint =
      c === '+' || c === '/'
        ? ': standard base64, a JWT uses base64url (`-` and `_`)'
        : c === '='
          ? ': padding inside the segment'
          : '';
    throw new TokenError(part, number, `${where}: not base64url at character ${at + 1} (${JSON.stringify(c)}${hint})`);
  }
  if (body.length % 4 === 1) {
    throw new TokenError(
      part,
      number,
      `${where}: not base64url: ${body.length} characters is no valid length (a character is missing or extra)`,
    );
  }
  return Buffer.from(body, 'base64url');
}

function jsonSegment(segment: string, index: 0 | 1, notes: string[]): Record<string, unknown> {
  const number = (index + 1) as 1 | 2;
  const part = SEGMENT_NAMES[index];
  const where = `segment ${number} (${part})`;
  if (segment === '') throw new TokenError(part, number, `${where}: empty`);
  const bytes = segmentBytes(segment, index, notes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TokenError(part, number, `${where}: not UTF-8 text once decoded`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new TokenError(part, number, `${where}: not JSON: ${message}`);
  }
  if (!isRecord(value)) throw new TokenError(part, number, `${where}: a JSON ${jsonKind(value)}, expected an object`);
  return value;
}

/** Decode a JWT (JWS compact serialization). Throws TokenError with a message naming the segment and why. */
export function decodeToken(text: string, options: DecodeOptions = {}): DecodedToken {
  const { compact, notes } = normalizeTokenText(text);
  const segments = compact.split('.');
  if (segments.length !== 3) {
    const found = segments.length === 1 ? "no '.' found" : `found ${segments.length}`;
    const jwe = segments.length === 5 ? ' (5 segments is an encrypted JWE: it cannot be read without the key)' : '';
    throw new TokenError('structure', undefined, `not a JWT: expected 3 segments separated by '.', ${found}${jwe}`);
  }
  const [h = '', c = '', s = ''] = segments;
  const header = jsonSegment(h, 0, notes);
  if (typeof header.alg !== 'string') {
    throw new TokenError(
      'header',
      1,
      `segment 1 (header): no "alg" string (found ${header.alg === undefined ? 'none' : `a ${jsonKind(header.alg)}`}): not a JWS header`,
    );
  }
  if (header.enc !== undefined) {
    throw new TokenError('header', 1, 'segment 1 (header): has "enc": an encrypted JWE, not a signed JWT');
  }
  const claims = jsonSegment(c, 1, notes);
  const signatureBytes = segmentBytes(s, 2, notes);
  if (s === '')
    notes.push(`no signature: an unsecured token (alg ${JSON.stringify(header.alg)}); nothing can trust it`);
  const signature: DecodedToken['signature'] = { bytes: signatureBytes.length };
  if (options.keepSignature) signature.value = s.replace(/=+$/, '');
  return { header, claims, signature, notes };
}

export type DecodeOutcome = { ok: true; token: DecodedToken } | { ok: false; error: TokenError };

/** decodeToken without throwing: for callers that collect errors (the bundle reader). */
export function tryDecodeToken(text: string, options: DecodeOptions = {}): DecodeOutcome {
  try {
    return { ok: true, token: decodeToken(text, options) };
  } catch (e) {
    if (e instanceof TokenError) return { ok: false, error: e };
    throw e;
  }
}
