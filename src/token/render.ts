// A decoded token as text lines: header, claims with human times and ages, the signature's length (its
// value only when asked), then the token-claims findings. The CLI prints these lines; nothing here prints.

import type { ClaimsEvaluation } from './claims.js';
import type { DecodedToken } from './decode.js';
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
  lines.push(
    signature !== undefined
      ? `Signature (${bytes} bytes)\n  ${signature}`
      : `Signature  ${bytes} bytes (not shown; --show-signature prints it)`,
  );
  if (evaluation) {
    lines.push('', `${SYMBOL[evaluation.status]} token-claims  ${evaluation.cause}`);
    for (const f of evaluation.findings) lines.push(`    ${SYMBOL[f.status]} ${f.rule}: ${f.message}`);
  }
  return lines;
}
