// The diagnosis a slice of subjects at a time: whatever the size of a slice, the report made whole is the same
// (counts, groups, recorded changes and notes gathered across slices), and the stream is read once, in order.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CHECKS } from '../../src/checks/index.js';
import { readBundle } from '../../src/collect/bundle/read.js';
import { DEFAULT_OPTIONS, startDiagnosis } from '../../src/engine/diagnose.js';
import { reportOf } from '../../src/model/results.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const NAMES = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

const request = (sliceSize?: number) => ({
  targets: { all: true },
  options: DEFAULT_OPTIONS,
  source: 'example',
  version: 'test',
  ...(sliceSize !== undefined ? { sliceSize } : {}),
});

describe('startDiagnosis', () => {
  it('has examples to run on', () => {
    expect(NAMES.length).toBeGreaterThan(20);
  });

  it.each(NAMES)('makes the same report of %s in slices of one subject as in one slice', async (name) => {
    const { facts } = await readBundle(join(EXAMPLES, name));
    const whole = reportOf(startDiagnosis(facts, CHECKS, request(1000)));
    const one = reportOf(startDiagnosis(facts, CHECKS, request(1)));
    expect(one).toEqual(whole);
    expect(whole.verdicts.length).toBeGreaterThan(0);
  });

  it('gathers groups across slices: subjects of one root cause in different slices are one group', async () => {
    const { facts } = await readBundle(join(EXAMPLES, 'multi-team'));
    const report = reportOf(startDiagnosis(facts, CHECKS, request(1)));
    expect(report.groups.some((g) => g.subjects.length > 1)).toBe(true);
    expect(report.groups.flatMap((g) => g.subjects).sort()).toEqual(report.verdicts.map((v) => v.subject).sort());
  });

  it('gives its end only after its slices, which are read once, in slices of the size asked', async () => {
    const { facts } = await readBundle(join(EXAMPLES, 'multi-team'));
    const stream = startDiagnosis(facts, CHECKS, request(2));
    expect(() => stream.end()).toThrow(/before its slices were read/);
    const sizes = [...stream.slices].map((s) => s.verdicts.length);
    expect(sizes).toEqual([2, 2, 2]);
    expect(stream.end().summary.pass).toBeGreaterThan(0);
    expect(() => [...stream.slices]).toThrow(/read once/);
  });

  it('takes a slice size that is no positive whole number for the default one', async () => {
    const { facts } = await readBundle(join(EXAMPLES, 'multi-team'));
    for (const size of [0, -1, Number.NaN, 1.5]) {
      const slices = [...startDiagnosis(facts, CHECKS, request(size)).slices];
      expect(slices.map((s) => s.verdicts.length)).toEqual([6]);
    }
  });
});
