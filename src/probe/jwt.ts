// The probe's view of a JWT: header and claims, read by the one JWT decoder (src/token/decode.ts, which needs
// nothing but the runtime, so the single-file build bundles it). The probe never verifies a signature (STS does
// that) and never keeps one.

import { tryDecodeToken } from '../token/decode.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

export interface JwtParts {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** Header and claims of a signed JWT; copy-paste extras (whitespace, `\r`, a `Bearer ` prefix) are tolerated. */
export function decodeJwt(input: string): Decoded<JwtParts> {
  const decoded = tryDecodeToken(input);
  if (!decoded.ok) return { ok: false, error: decoded.error.message };
  if (decoded.token.signature.bytes === 0)
    return { ok: false, error: 'segment 3 (signature): empty (an unsigned token)' };
  return { ok: true, value: { header: decoded.token.header, claims: decoded.token.claims } };
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
