// A small JWT reader for the probe: base64url (URL alphabet, no padding) decoded by hand, so the single-file
// build needs nothing but the runtime. It reads header and claims only; it never verifies a signature (STS
// does that) and never returns the signature.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE: Record<string, number> = {};
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charAt(i)] = i;

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/** base64url → bytes. Trailing `=` padding is tolerated; any other character outside the URL alphabet is not. */
export function base64UrlDecode(text: string): Decoded<Uint8Array> {
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return { ok: false, error: `length ${body.length} is not a valid base64url length` };
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body.charAt(i);
    const v = VALUE[ch];
    if (v === undefined) {
      const hint = ch === '+' || ch === '/' ? ' (standard base64, not base64url)' : '';
      return { ok: false, error: `character ${JSON.stringify(ch)} at position ${i} is not base64url${hint}` };
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return { ok: true, value: out.subarray(0, n) };
}

export interface JwtParts {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

const SEGMENTS = ['header', 'claims', 'signature'] as const;

function jsonSegment(segment: string, name: string): Decoded<Record<string, unknown>> {
  if (segment === '') return { ok: false, error: `the ${name} segment is empty` };
  const bytes = base64UrlDecode(segment);
  if (!bytes.ok) return { ok: false, error: `the ${name} segment is not base64url: ${bytes.error}` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.value);
  } catch {
    return { ok: false, error: `the ${name} segment is not UTF-8 text` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: `the ${name} segment is not JSON` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, error: `the ${name} segment is JSON but not an object` };
  return { ok: true, value: parsed as Record<string, unknown> };
}

/** Header and claims of a compact JWS. Whitespace and CR (e.g. from `kubectl exec -it`) are ignored. */
export function decodeJwt(input: string): Decoded<JwtParts> {
  const token = input.replace(/\s+/g, '');
  if (token === '') return { ok: false, error: 'the token is empty' };
  const parts = token.split('.');
  if (parts.length !== 3) {
    const hint = parts.length === 5 ? ' (5 segments: an encrypted JWE, not a signed JWT)' : '';
    return { ok: false, error: `a JWT has 3 dot-separated segments; this has ${parts.length}${hint}` };
  }
  const header = jsonSegment(parts[0] ?? '', SEGMENTS[0]);
  if (!header.ok) return header;
  const claims = jsonSegment(parts[1] ?? '', SEGMENTS[1]);
  if (!claims.ok) return claims;
  if ((parts[2] ?? '') === '') return { ok: false, error: 'the signature segment is empty (an unsigned token)' };
  return { ok: true, value: { header: header.value, claims: claims.value } };
}

/** A claim as a number of seconds, when it is one. */
export function numericClaim(claims: Record<string, unknown>, name: string): number | undefined {
  const v = claims[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `aud` as a list (a JWT may carry one string or an array). */
export function audiences(claims: Record<string, unknown>): string[] {
  const aud = claims.aud;
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}
