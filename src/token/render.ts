// A decoded token as text lines: header, claims with human times and ages, the signature's length (its
// value only when asked), then the token-claims findings. The CLI prints these lines; nothing here prints.

import type { ClaimsEvaluation } from './claims.js';
import type { DecodedToken } from './decode.js';
import { redactSecrets } from '../model/redact.js';
import { sanitize } from '../report/sanitize.js';
import { describeEpoch } from './time.js';

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf']);
const SYMBOL = { pass: '✓', warn: '!', fail: '✗' } as const;
/** The order people read claims in; the rest follow alphabetically. */
const CLAIM_ORDER = ['iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'kubernetes.io', 'jti'];

function value(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function table(record: Record<string, unknown>, order: readonly string[], now: Date): string[] {
  const keys = [
    ...order.filter((k) => k in record),
    ...Object.keys(record)
      .filter((k) => !order.includes(k))
      .sort(),
  ];
  const width = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => {
    const v = record[k];
    const shown = TIME_CLAIMS.has(k) && typeof v === 'number' ? `${v}  ${describeEpoch(v, now)}` : value(v);
    return `  ${k.padEnd(width)}  ${shown}`;
  });
}

export function renderDecodedToken(
  token: DecodedToken,
  source: string,
  evaluation: ClaimsEvaluation | undefined,
  now: Date,
): string[] {
  const lines: string[] = [`Token from ${source}`];
  for (const note of token.notes) lines.push(`  note: ${note}`);
  lines.push('Header', ...table(token.header, ['alg', 'kid', 'typ'], now));
  lines.push('Claims', ...table(token.claims, CLAIM_ORDER, now));
  const { bytes, value: signature } = token.signature;
  const signatureLine =
    signature !== undefined
      ? `Signature (${bytes} bytes)\n  ${signature}`
      : `Signature  ${bytes} bytes (not shown; --show-signature prints it)`;
  const after: string[] = [];
  if (evaluation) {
    after.push('', `${SYMBOL[evaluation.status]} token-claims  ${evaluation.cause}`);
    for (const f of evaluation.findings) after.push(`    ${SYMBOL[f.status]} ${f.rule}: ${f.message}`);
  }
  // Every claim, header field and finding quotes the token, which anyone can write: secrets in it are redacted
  // and what a terminal acts on is escaped. The signature was asked for (and is base64url): it is shown as is.
  const safe = (line: string) => sanitize(redactSecrets(line), { keepNewlines: true });
  return [...lines.map(safe), sanitize(signatureLine, { keepNewlines: true }), ...after.map(safe)];
}
