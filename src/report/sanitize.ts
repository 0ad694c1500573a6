// The one sanitiser for text that reaches a terminal or a document: every string that comes from data (a
// bundle, an API answer, a token, a flag) goes through `sanitize` where it is written, in the text and
// Markdown reports, on stderr and in `token` output. A KSA annotation is writable by any namespace tenant; as
// written it could retitle or clear the reader's terminal, hide text, or reorder what is shown.
//
// Escaped, so that they are visible instead of acted on:
// - C0 and C1 control characters and DEL: ESC becomes `\x1b`, BEL `\x07`, CSI `\x9b`;
// - bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) and every other invisible
//   formatting character (Unicode category Cf: zero-width spaces and joiners, U+FEFF, soft hyphen, tag
//   characters), line and paragraph separators (U+2028, U+2029) and lone surrogates: as `\u{202e}`.
// A newline stays only where asked (multi-line fix commands); a carriage return never does (it would let a
// value overwrite the visible start of its line).
//
// JSON output needs none of this: JSON.stringify escapes C0 itself, and a JSON reader does not act on text.
// Renderers added later (HTML, graphs) call `sanitize` or `sanitizeReport` too. Pure (the in-pod probe
// bundles it).

import { redactSecrets } from '../model/redact.js';

const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const UNSAFE_ALL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

function escape(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** `text` with control, bidi and invisible formatting characters escaped; newlines too unless `keepNewlines`. */
export function sanitize(text: string, options: { keepNewlines?: boolean } = {}): string {
  return escaped(text, options.keepNewlines === true);
}

function escaped(text: string, keepNewlines: boolean): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (char) => (keepNewlines && char === '\n' ? char : escape(char)));
}

/**
 * Keys already found to need no escaping: a report's objects repeat a few dozen keys (`check`, `status`,
 * `expected`, …) hundreds of thousands of times, and looking one up costs less than testing it. Bounded, as keys
 * can come from data.
 */
const SAFE_KEYS = new Set<string>();
const SAFE_KEYS_LIMIT = 10_000;

function cleanKey(key: string): string {
  if (SAFE_KEYS.has(key)) return key;
  const clean = escaped(key, false);
  if (clean === key) {
    if (SAFE_KEYS.size >= SAFE_KEYS_LIMIT) SAFE_KEYS.clear();
    SAFE_KEYS.add(key);
  }
  return clean;
}

/** Whether `text` holds a character `sanitize` would escape (newlines aside). */
export const isUnsafe = (text: string): boolean => UNSAFE.test(text.replaceAll('\n', ''));

/**
 * A copy of any value (a report, a result) with every string redacted of secrets, then sanitized, newlines
 * kept (renderers decide how lines are laid out). Secrets go first: escaping could split a secret's text
 * where no pattern would find it. Objects without anything to change are returned as they are, so a clean
 * report costs one walk and no copy.
 */
export function sanitizeDeep<T>(value: T): T {
  return sanitizeValue(value) as T;
}

function sanitizeValue(value: unknown): unknown {
  if (typeof value === 'string') return escaped(redactSecrets(value), true);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const clean = sanitizeValue(item);
      if (clean !== item) {
        copy ??= value.slice();
        copy[i] = clean;
      }
    }
    return copy ?? value;
  }
  // Walked without copying; copied only when some key or value changes.
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const changed = keys.some((key) => cleanKey(key) !== key || sanitizeValue(record[key]) !== record[key]);
  return changed ? Object.fromEntries(keys.map((key) => [cleanKey(key), sanitizeValue(record[key])])) : value;
}

/** The report with every string from data redacted and sanitized: the text and Markdown renderers start here. */
export const sanitizeReport = sanitizeDeep;
