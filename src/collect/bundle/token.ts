// Decode a JWT a user dropped into `token/ANY.jwt` with the one decoder (src/token/decode.ts). Only the
// header and claims are kept: the signature is never stored, and error messages never repeat the token.

import type { TokenFile } from '../../model/facts.js';
import { tryDecodeToken } from '../../token/decode.js';

export function decodeTokenText(source: string, text: string): TokenFile {
  const decoded = tryDecodeToken(text);
  if (!decoded.ok) return { source, error: decoded.error.message };
  return { source, header: decoded.token.header, claims: decoded.token.claims };
}
