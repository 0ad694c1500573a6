// A report read a slice of subjects at a time must read exactly as the report made whole: the text layout keeps
// each slice's blocks in reading order, folds not-proven subjects whose blocks came in different slices, and
// counts what the header and the summary say; the JSON writer writes each slice's results as they come.

import { describe, expect, it } from 'vitest';

import type { Report, ReportStream, Verdict } from '../../src/model/results.js';
import { sortBySeverity, streamOf } from '../../src/model/results.js';
import { jsonChunks, jsonStreamChunks } from '../../src/report/json.js';
import type { TextOptions } from '../../src/report/text.js';
import { textChunks, textStreamChunks } from '../../src/report/text.js';
import { FIXTURES, copy } from './fixtures/index.js';
import { withNotProven } from './fixtures/not-proven.js';

/**
 * The report as a diagnosis streams it: results about no verdict's own subject are shared, and each slice holds
 * `size` verdicts (in the order they were asked for, which is not reading order) with their subjects' results.
 */
function sliced(report: Report, size: number, order: (verdicts: Verdict[]) => Verdict[] = (v) => v): ReportStream {
  const own = new Set(report.verdicts.map((v) => v.subject));
  const verdicts = order([...report.verdicts]);
  const slices = [];
  for (let i = 0; i < verdicts.length; i += size) {
    const some = verdicts.slice(i, i + size);
    const names = new Set(some.map((v) => v.subject));
    slices.push({ verdicts: some, results: report.results.filter((r) => names.has(r.subject)) });
  }
  const whole = streamOf(report);
  return {
    head: whole.head,
    shared: report.results.filter((r) => !own.has(r.subject)),
    subjectCount: report.verdicts.length,
    slices,
    end: () => whole.end(),
  };
}

/** In reading order, as diagnose makes it. */
function sorted(report: Report): Report {
  return { ...report, verdicts: sortBySeverity(report.verdicts, (v) => v.status) };
}

/** Interleaves the statuses, so that every slice holds failures, unknowns and healthy subjects together. */
const shuffled = (verdicts: Verdict[]): Verdict[] =>
  verdicts
    .map((v, i) => ({ v, key: (i * 7) % verdicts.length }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.v);

const REPORTS: Record<string, Report> = {
  failing: sorted(FIXTURES.failing),
  shared: sorted(FIXTURES.shared),
  healthy: sorted(FIXTURES.healthy),
  'not proven, folded': sorted(withNotProven(['shop/web', 'team-2/api-1', 'team-2/api-2', 'team-3/api'])),
  'not proven, one apart': sorted(withNotProven(['shop/web', 'shop/db', 'team-2/db'], ['shop/db'])),
};

const OPTIONS: Record<string, TextOptions> = {
  plain: { color: false, hidePass: false },
  colour: { color: true, hidePass: false },
  'hide-pass': { color: false, hidePass: true },
  brief: { color: false, hidePass: false, brief: true },
  narrow: { color: false, hidePass: false, width: 60 },
  'no fixes': { color: false, hidePass: false, showFixes: false },
};

const text = (chunks: Iterable<string>): string => [...chunks].join('');

describe('a report read a slice at a time', () => {
  for (const [name, report] of Object.entries(REPORTS)) {
    for (const [option, opts] of Object.entries(OPTIONS)) {
      it(`reads as the whole report in text (${name}, ${option}), in any slicing and order of subjects`, () => {
        const whole = text(textChunks(report, opts));
        for (const size of [1, 2, 3]) {
          expect(text(textStreamChunks(sliced(report, size), opts))).toBe(whole);
          expect(text(textStreamChunks(sliced(report, size, shuffled), opts))).toBe(whole);
        }
      });
    }
    it(`is the same JSON (${name}) as the report made whole from the same slices`, () => {
      for (const size of [1, 2, 3]) {
        // The results of a stream are the shared ones, then each slice's: the whole report lists them so.
        const { shared, slices } = sliced(report, size);
        const results = [...shared, ...[...slices].flatMap((s) => s.results)];
        const whole = text(jsonChunks({ ...report, results }));
        expect(text(jsonStreamChunks(sliced(report, size)))).toBe(whole);
      }
    });
  }

  it('folds not-proven subjects whose blocks came in different slices, and counts them all', () => {
    const report = REPORTS['not proven, folded'];
    if (report === undefined) throw new Error('fixture changed');
    const out = text(
      textStreamChunks(sliced(report, 1, shuffled), OPTIONS['plain'] ?? { color: false, hidePass: false }),
    );
    const folded = /(\d+) subjects not proven for the same reason/.exec(out);
    expect(Number(folded?.[1])).toBeGreaterThanOrEqual(5);
    for (const name of ['shop/web', 'team-2/api-1', 'team-2/api-2', 'team-3/api'])
      expect(out).toContain(`? ${name} — not proven`);
  });

  it('lists subjects most severe first whatever order the verdicts are given in (in that order within a status)', () => {
    const report = REPORTS['not proven, one apart'];
    if (report === undefined) throw new Error('fixture changed');
    const reversed = { ...report, verdicts: [...report.verdicts].reverse() };
    const rank: Record<string, number> = { '✗': 0, '!': 1, '?': 2, '✓': 3 };
    const ranks = text(textChunks(reversed, { color: false, hidePass: false }))
      .split('\n')
      .map((line) => rank[line.charAt(0)])
      .filter((r) => r !== undefined);
    expect(ranks.length).toBeGreaterThan(3);
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    expect(new Set(ranks).size).toBeGreaterThan(1);
  });

  it('writes a report with no results and no subjects as the whole one does', () => {
    const empty: Report = { ...copy(FIXTURES.healthy), results: [], verdicts: [], groups: [] };
    expect(text(jsonStreamChunks(sliced(empty, 1)))).toBe(text(jsonChunks(empty)));
    expect(text(textStreamChunks(sliced(empty, 1), { color: false, hidePass: false }))).toBe(
      text(textChunks(empty, { color: false, hidePass: false })),
    );
  });
});
