// A verdict reads its results in chain order (then by subject, in locale order), stably: the root cause is the
// first failure in that order. The insertion sort it uses for a score of results, and Array#sort past that, must
// both give exactly the order of a plain stable sort on (rank, subject).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { inChainOrder } from '../../src/engine/verdict.js';
import type { CheckResult } from '../../src/model/results.js';

const CHAIN = new Map([
  ['host-network', 10],
  ['cluster-workload-pool', 20],
  ['nodepool-gke-metadata', 30],
  ['ksa-annotation', 70],
  ['wi-binding', 100],
]);

const result = fc.record({
  check: fc.constantFrom(...CHAIN.keys(), 'not-in-the-chain'),
  subject: fc.constantFrom('shop/cart', 'shop/api', 'projects/acme-shop', 'Shop/cart', 'éclair/x'),
  status: fc.constantFrom('pass', 'fail', 'unknown'),
  n: fc.nat(),
});

/** The order by definition: (rank, subject in locale order), ties in the order given. */
function reference(results: readonly CheckResult[]): CheckResult[] {
  return results
    .map((r, i) => ({ r, i, rank: CHAIN.get(r.check) ?? 999 }))
    .sort((a, b) => a.rank - b.rank || a.r.subject.localeCompare(b.r.subject) || a.i - b.i)
    .map((x) => x.r);
}

describe('inChainOrder', () => {
  it('is the stable sort by chain rank, then subject, for few results and for many', () => {
    fc.assert(
      fc.property(fc.array(result, { maxLength: 150 }), (made) => {
        const results = made as unknown as CheckResult[];
        const ordered = inChainOrder(results, CHAIN);
        expect(ordered).toEqual(reference(results));
        // The same objects, each once, and the input left as it was.
        expect(ordered.every((r, i) => r === reference(results)[i])).toBe(true);
        expect(results).toEqual(made);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps results of one rank and subject in the order given (stable)', () => {
    const a = { check: 'wi-binding', subject: 'shop/cart', status: 'fail' } as CheckResult;
    const b = { check: 'wi-binding', subject: 'shop/cart', status: 'pass' } as CheckResult;
    const first = { check: 'host-network', subject: 'shop/cart', status: 'pass' } as CheckResult;
    expect(inChainOrder([a, b, first], CHAIN)).toEqual([first, a, b]);
    const many = Array.from({ length: 100 }, (_, n) => ({ ...a, n }) as unknown as CheckResult);
    expect(inChainOrder([...many, first], CHAIN)).toEqual([first, ...many]);
  });
});
