// Property tests of the decoder: no input crashes it, every failure is a TokenError naming a segment or the
// structure, and valid tokens with random claims round-trip.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenError, decodeToken } from '../../src/token/decode.js';
import { HEADER, b64url, claimsFor, jwt } from './jwt.js';

const MESSAGE = /^(not a JWT: |segment [123] \((header|claims|signature)\): )/;

function decodesOrExplains(input: string): void {
  try {
    const decoded = decodeToken(input);
    expect(typeof decoded.header.alg).toBe('string');
    expect(decoded.claims).toBeTypeOf('object');
  } catch (e) {
    expect(e).toBeInstanceOf(TokenError);
    expect((e as TokenError).message).toMatch(MESSAGE);
  }
}

const valid = jwt(claimsFor());

type Mutation = { kind: 'insert' | 'replace' | 'delete'; at: number; char: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('insert', 'replace', 'delete'),
  at: fc.nat({ max: valid.length }),
  char: fc.oneof(
    fc.constantFrom('.', '=', '+', '/', ' ', '\r', '\n', '-', '_', 'A', '\u0000', 'é'),
    fc.string({ maxLength: 1 }),
  ),
});

function mutate(text: string, mutations: Mutation[]): string {
  let t = text;
  for (const m of mutations) {
    const at = Math.min(m.at, t.length);
    if (m.kind === 'insert') t = t.slice(0, at) + m.char + t.slice(at);
    else if (m.kind === 'replace') t = t.slice(0, at) + m.char + t.slice(at + 1);
    else t = t.slice(0, at) + t.slice(at + 1);
  }
  return t;
}

describe('decodeToken properties', () => {
  it('arbitrary strings never crash it', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), decodesOrExplains), { numRuns: 500 });
  });

  it('dot-separated base64-ish strings never crash it', () => {
    const segment = fc.string({ unit: fc.constantFrom(...'ABCDEFabcdef0123456789-_+/= '.split('')), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segs) => decodesOrExplains(segs.join('.'))),
      { numRuns: 500 },
    );
  });

  it('mutated valid tokens never crash it', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => decodesOrExplains(mutate(valid, ms))),
      { numRuns: 1000 },
    );
  });

  it('JSON values that are not objects are reported with the segment', () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
        (value) => {
          expect(() => decodeToken(`${b64url(HEADER)}.${b64url(value)}.c2ln`)).toThrow(
            /^segment 2 \(claims\): a JSON /,
          );
        },
      ),
    );
  });

  it('valid random claims round-trip, with any copy-paste wrapping', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.constantFrom('', '\r\n', '\n', '  '),
        fc.boolean(),
        (claims, trailer, bearer) => {
          const text = `${bearer ? 'Bearer ' : ''}${jwt(claims)}${trailer}`;
          const decoded = decodeToken(text);
          expect(decoded.claims).toEqual(JSON.parse(JSON.stringify(claims)));
          expect(decoded.header).toEqual(HEADER);
        },
      ),
      { numRuns: 300 },
    );
  });
});
