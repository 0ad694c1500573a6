// The render boundary's two functions: `sanitize` (what a terminal would act on becomes visible) and
// `redactSecrets` (what must never be shown becomes a marker), whole and partial.

import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/model/redact.js';
import { isUnsafe, sanitize, sanitizeDeep } from '../../src/report/sanitize.js';

describe('sanitize', () => {
  it.each([
    ['ESC (a title or clear-screen sequence)', '\u001b]0;title\u0007\u001b[2J', '\\x1b]0;title\\x07\\x1b[2J'],
    ['C1 CSI and NEL', 'a\u009b31mb\u0085c', 'a\\x9b31mb\\x85c'],
    ['NUL, DEL, carriage return, tab', 'a\u0000b\u007fc\rd\te', 'a\\x00b\\x7fc\\x0dd\\x09e'],
    ['a right-to-left override', 'evil\u202egnp.exe', 'evil\\u{202e}gnp.exe'],
    ['bidi isolates and marks', '\u2066a\u2069\u200f\u061c', '\\u{2066}a\\u{2069}\\u{200f}\\u{61c}'],
    ['zero-width characters and a BOM', 'ca\u200brt\u200d\ufeff', 'ca\\u{200b}rt\\u{200d}\\u{feff}'],
    ['Unicode tag characters (invisible text)', 'ok\u{e0041}\u{e0042}', 'ok\\u{e0041}\\u{e0042}'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u{2028}b\\u{2029}c'],
    ['a lone surrogate', 'a\ud800b', 'a\\u{d800}b'],
    ['a newline (one-line use)', 'a\nb', 'a\\x0ab'],
  ])('escapes %s', (_name, input, output) => {
    expect(sanitize(input)).toBe(output);
    expect(isUnsafe(sanitize(input))).toBe(false);
    expect(sanitize(sanitize(input))).toBe(sanitize(input));
  });

  it('keeps newlines only when asked, and never a carriage return', () => {
    expect(sanitize('gcloud a \\\n  --b\r\n', { keepNewlines: true })).toBe('gcloud a \\\n  --b\\x0d\n');
  });

  it('leaves ordinary text alone, accents, emoji and CJK included', () => {
    for (const text of ['shop/cart', 'Zürich — ✓ ✗ ❔ 🚀', 'サービス']) {
      expect(sanitize(text)).toBe(text);
    }
  });

  it('sanitizeDeep copies only what changes and returns a clean value as it is', () => {
    const clean = { a: ['x', { b: 'y' }], n: 1 };
    expect(sanitizeDeep(clean)).toBe(clean);
    const dirty = { a: ['x', { b: 'y\u001b' }], n: 1, keep: { c: 'z' }, 'k\u0007': 'v' };
    const out = sanitizeDeep(dirty);
    expect(out).toEqual({ a: ['x', { b: 'y\\x1b' }], n: 1, keep: { c: 'z' }, 'k\\x07': 'v' });
    expect(out.keep).toBe(dirty.keep);
    expect(dirty.a[1]).toEqual({ b: 'y\u001b' });
  });

  it('escapes a hostile key every time it is seen, and a safe key stays as it is', () => {
    // Keys found safe are remembered: an unsafe one must never be taken for one of them.
    for (let i = 0; i < 3; i++) {
      expect(Object.keys(sanitizeDeep({ 'k\u001b[2J': 1, check: 2 }))).toEqual(['k\\x1b[2J', 'check']);
      expect(Object.keys(sanitizeDeep({ [`key-${i}\u202e`]: 1 }))).toEqual([`key-${i}\\u{202e}`]);
    }
  });
});

describe('redactSecrets', () => {
  const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7'.repeat(6);
  const pem = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
  const jwt = `eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.${'s'.repeat(40)}`;

  it.each([
    ['a PEM private key', `key: ${pem}`],
    ['a PEM key without its END line', `key: ${pem.slice(0, 200)}`],
    ['an RSA PEM key', pem.replaceAll('PRIVATE KEY', 'RSA PRIVATE KEY')],
    ['a key body without its BEGIN line', `…${body.slice(0, 120)}`],
    ['key JSON', JSON.stringify({ type: 'service_account', private_key_id: 'abc123def', private_key: pem })],
    ['key JSON cut inside the key', JSON.stringify({ private_key: pem }).slice(0, 90)],
    ['a JWT', `token=${jwt}`],
    ['a JWT cut after its claims', jwt.slice(0, 70)],
    ['a Google access token', 'Authorization: ya29.a0AfB_byC-abcdefghijklmnop'],
    ['a bearer token', 'authorization: Bearer abcdefghijklmnopqrstuvwxyz0123'],
  ])('redacts %s', (_name, text) => {
    const out = redactSecrets(text);
    expect(out).toContain('[redacted]');
    for (const secret of [body.slice(10, 50), 'abc123def', 'c3lzdGVtOnNlcnZpY2VhY2NvdW50', 'abcdefghijklmnop']) {
      expect(out).not.toContain(secret);
    }
  });

  it('leaves what is not a secret alone', () => {
    const text = [
      'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
      'etag BwX6Zp0a9Qc=',
      'uniqueId 103948572610293847561',
      'sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'a certificate is public: -----BEGIN CERTIFICATE-----',
      'Bearer',
    ].join('\n');
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactSecrets on key JSON inside a JSON string', () => {
  it('redacts the key when the JSON was itself quoted (a value in a report)', () => {
    const keyJson = JSON.stringify({
      private_key_id: 'quotedkeyid123',
      private_key: 'xMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDxyzxyzxyz',
    });
    const report = JSON.stringify({ actual: keyJson });
    const out = redactSecrets(report);
    expect(out).not.toContain('quotedkeyid123');
    expect(out).not.toContain('BAQEFAASCBKgwggSk');
  });
});

// Found by fuzzing explain-error: pasted logs glue secrets to what precedes them and to each other, and a rule
// that eats letters must not eat the start of the next secret.
describe('redactSecrets on secrets glued together', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJnbHVlZCJ9.gluedJwtSignature0123456789abcdef';
  const body = 'MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDgluedKeyBody0123456789';
  it.each([
    ['an access token glued to text', 'xyzya29.gluedAccessToken0123456789'],
    ['a JWT glued to text', `kideyJ${jwt.slice(3)}`],
    ['a bearer token after an identifier', '__proto__Bearer gluedBearerToken0123456789'],
    ['two bearer tokens glued', 'Bearer gluedBearerToken0123456789Bearer gluedBearerToken0123456789'],
    ['a bearer token glued to an access token', 'ya29.gluedAccessToken0123456789Bearer gluedBearerToken0123456789'],
    ['an access token glued to a JWT', `${jwt}ya29.gluedAccessToken0123456789`],
    ['an access token glued to a key body', `${body}ya29.gluedAccessToken0123456789`],
    ['JWTs glued one to another', `${jwt}${jwt}${jwt}`],
  ])('redacts %s', (_name, text) => {
    const out = redactSecrets(text);
    for (const secret of ['gluedAccessToken', 'gluedJwtSignature', 'gluedBearerToken', 'gluedKeyBody']) {
      expect(out).not.toContain(secret);
    }
  });
});
