import { describe, expect, it } from 'vitest';
import { TokenError, decodeToken, tryDecodeToken } from '../../src/token/decode.js';
import { HEADER, SIGNATURE, b64url, claimsFor, jwt } from './jwt.js';

const token = jwt();
const [h = '', c = '', s = ''] = token.split('.');

interface Case {
  name: string;
  input: string;
  ok?: { note?: RegExp };
  error?: RegExp;
}

const pad = (seg: string): string => seg + '='.repeat((4 - (seg.length % 4)) % 4);
// A claims segment with `+` at character 17: standard base64, not base64url.
const plusAt17 = `${c.slice(0, 16)}+${c.slice(17)}`;

const cases: Case[] = [
  { name: 'a valid token', input: token, ok: {} },
  { name: 'CRLF from kubectl exec -it', input: `${token}\r\n`, ok: { note: /carriage returns.*kubectl exec -it/ } },
  { name: 'a Bearer prefix', input: `Bearer ${token}`, ok: { note: /Bearer/ } },
  { name: 'an Authorization header line', input: `Authorization: Bearer ${token}\n`, ok: { note: /Bearer/ } },
  { name: 'surrounding quotes', input: `"${token}"`, ok: { note: /quotes/ } },
  {
    name: 'a token wrapped over lines',
    input: `${token.slice(0, 30)}\n${token.slice(30)}`,
    ok: { note: /whitespace inside/ },
  },
  // 256 signature bytes are 342 characters: padded, they end in '=='.
  {
    name: 'padded segments',
    input: `${pad(h)}.${pad(c)}.${pad(s)}`,
    ok: { note: /segment 3 \(signature\): ignored '=' padding/ },
  },
  { name: 'empty input', input: ' \r\n', error: /^not a JWT: the input is empty$/ },
  { name: 'one segment', input: 'hello', error: /^not a JWT: expected 3 segments separated by '\.', no '\.' found$/ },
  { name: 'two segments', input: `${h}.${c}`, error: /^not a JWT: expected 3 segments .* found 2$/ },
  { name: 'five segments (JWE)', input: `${h}.${c}.${s}.a.b`, error: /found 5 \(5 segments is an encrypted JWE/ },
  {
    name: 'a standard base64 character',
    input: `${h}.${plusAt17}.${s}`,
    error: /^segment 2 \(claims\): not base64url at character 17 \("\+": standard base64/,
  },
  {
    name: 'a bad character in the signature',
    input: `${h}.${c}.ab!cd`,
    error: /^segment 3 \(signature\): not base64url at character 3/,
  },
  {
    name: 'padding inside a segment',
    input: `${h}.${c.slice(0, 8)}=${c.slice(8)}.${s}`,
    error: /^segment 2 \(claims\): .*padding inside/,
  },
  {
    name: 'an impossible length',
    input: `${h}.${c}.${s}A`.replace(/\.[^.]*$/, '.AAAAA'),
    error: /^segment 3 \(signature\): not base64url: 5 characters/,
  },
  {
    name: 'a non-JSON header',
    input: `${Buffer.from('{alg: RS256}').toString('base64url')}.${c}.${s}`,
    error: /^segment 1 \(header\): not JSON: /,
  },
  {
    name: 'a JSON array payload',
    input: `${h}.${b64url([1, 2])}.${s}`,
    error: /^segment 2 \(claims\): a JSON array, expected an object$/,
  },
  { name: 'a JSON string payload', input: `${h}.${b64url('x')}.${s}`, error: /^segment 2 \(claims\): a JSON string/ },
  { name: 'an empty header', input: `.${c}.${s}`, error: /^segment 1 \(header\): empty$/ },
  {
    name: 'a header without alg',
    input: `${b64url({ typ: 'JWT' })}.${c}.${s}`,
    error: /^segment 1 \(header\): no "alg"/,
  },
  { name: 'a JWE header', input: `${b64url({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.${c}.${s}`, error: /encrypted JWE/ },
  {
    name: 'not UTF-8',
    input: `${h}.${Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')}.${s}`,
    error: /^segment 2 \(claims\): not UTF-8/,
  },
];

describe('decodeToken', () => {
  it.each(cases)('$name', ({ input, ok, error }) => {
    const outcome = tryDecodeToken(input);
    if (ok) {
      expect(outcome.ok, outcome.ok ? '' : outcome.error.message).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.token.header).toEqual(HEADER);
      expect(outcome.token.claims).toEqual(claimsFor());
      expect(outcome.token.signature).toEqual({ bytes: 256 });
      if (ok.note) expect(outcome.token.notes.join('\n')).toMatch(ok.note);
      else expect(outcome.token.notes).toEqual([]);
    } else {
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.error).toBeInstanceOf(TokenError);
      expect(outcome.error.message).toMatch(error ?? /./);
      // Errors never repeat the token's text.
      expect(outcome.error.message).not.toContain(c.slice(0, 12));
    }
  });

  it('keeps the signature only when asked', () => {
    expect(JSON.stringify(decodeToken(token))).not.toContain(SIGNATURE.slice(0, 40));
    expect(decodeToken(token, { keepSignature: true }).signature.value).toBe(SIGNATURE);
  });

  it('accepts an unsecured token but says so', () => {
    const decoded = decodeToken(`${b64url({ alg: 'none' })}.${c}.`);
    expect(decoded.signature.bytes).toBe(0);
    expect(decoded.notes.join(' ')).toMatch(/unsecured/);
  });

  it('names the part and segment on the error', () => {
    const outcome = tryDecodeToken(`${h}.${plusAt17}.${s}`);
    expect(outcome.ok ? undefined : [outcome.error.part, outcome.error.segment]).toEqual(['claims', 2]);
  });
});
