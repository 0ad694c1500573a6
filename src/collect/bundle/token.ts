// Decode a JWT a user dropped into `token/ANY.jwt`. Only the header and claims are kept: the signature is
// never stored, and error messages never repeat the token. Tolerates what copy-paste adds: whitespace,
// `\r` from `kubectl exec -it … cat` (FACTS §4), a trailing newline, a `Bearer ` prefix.

import type { TokenFile } from '../../model/facts.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeSegment(segment: string, what: 'header' | 'claims'): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) {
    throw new Error(`the ${what} segment is not base64url (a padded or standard base64 token?)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new Error(`the ${what} segment does not decode to JSON`);
  }
  if (!isRecord(value)) throw new Error(`the ${what} segment is not a JSON object`);
  return value;
}

export function decodeTokenText(source: string, text: string): TokenFile {
  const compact = text.replace(/\s+/g, '').replace(/^Bearer/i, '');
  const segments = compact.split('.');
  if (compact === '') return { source, error: 'empty token file' };
  if (segments.length !== 3) {
    return {
      source,
      error: `not a JWT: expected 3 dot-separated segments, found ${segments.length}`,
    };
  }
  try {
    return {
      source,
      header: decodeSegment(segments[0] ?? '', 'header'),
      claims: decodeSegment(segments[1] ?? '', 'claims'),
    };
  } catch (e) {
    return { source, error: `not a JWT: ${(e as Error).message}` };
  }
}
