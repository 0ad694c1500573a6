// Every example bundle under examples/ is diagnosed and compared with its expected.json: the verdict's root
// cause per subject, the listed results, and (unless allowed) no other fail or warn.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../src/checks/index.js';
import { readBundle } from '../src/collect/bundle/read.js';
import { DEFAULT_OPTIONS, diagnose } from '../src/engine/diagnose.js';
import { renderFix } from '../src/fix/render.js';
import type { TargetRequest } from '../src/engine/subjects.js';
import type { CheckOptions } from '../src/checks/define.js';

interface Expected {
  description: string;
  failureMode?: string;
  targets: TargetRequest;
  options?: Partial<CheckOptions>;
  verdicts?: { subject: string; rootCause: string | null }[];
  results?: { check: string; subject: string; status: string; cause?: string }[];
  /** Fail and warn results allowed besides the listed ones (none when omitted). */
  allowOther?: { check: string; status: string }[];
}

const root = join(import.meta.dirname, '..', 'examples');
const examples = existsSync(root)
  ? readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'expected.json')))
      .map((d) => d.name)
  : [];

describe('example bundles', () => {
  it('has a healthy example and failure-mode examples', () => {
    expect(examples).toContain('healthy');
    expect(examples.length).toBeGreaterThan(1);
  });

  for (const name of examples) {
    it(name, async () => {
      const expected = JSON.parse(readFileSync(join(root, name, 'expected.json'), 'utf8')) as Expected;
      const { facts } = await readBundle(join(root, name));
      const report = diagnose(facts, CHECKS, {
        targets: expected.targets,
        options: { ...DEFAULT_OPTIONS, ...expected.options },
        source: name,
        version: 'test',
      });
      for (const v of expected.verdicts ?? []) {
        const verdict = report.verdicts.find((x) => x.subject === v.subject);
        expect(verdict, `verdict for ${v.subject}`).toBeDefined();
        expect({ subject: v.subject, rootCause: verdict?.rootCause }).toEqual(v);
        if (v.rootCause) expect(verdict?.fix.length, `a fix for ${v.subject}`).toBeGreaterThan(0);
      }
      for (const r of expected.results ?? []) {
        const found = report.results.find((x) => x.check === r.check && x.subject === r.subject);
        expect(found, `result ${r.check} for ${r.subject}`).toBeDefined();
        expect({ check: r.check, subject: r.subject, status: found?.status }).toEqual({
          check: r.check,
          subject: r.subject,
          status: r.status,
        });
        if (r.cause) expect(found?.cause ?? '').toMatch(new RegExp(r.cause));
      }
      const listed = new Set((expected.results ?? []).map((r) => `${r.check} ${r.subject}`));
      const allowed = new Set((expected.allowOther ?? []).map((a) => `${a.check} ${a.status}`));
      const unexpected = report.results.filter(
        (r) =>
          (r.status === 'fail' || r.status === 'warn') &&
          !listed.has(`${r.check} ${r.subject}`) &&
          !allowed.has(`${r.check} ${r.status}`),
      );
      expect(unexpected.map((r) => `${r.status} ${r.check} ${r.subject}: ${r.cause ?? ''}`)).toEqual([]);
      // Every fix plan renders (a bad plan throws here instead of losing its commands in a report).
      for (const plan of [...report.results, ...report.verdicts].flatMap((x) => x.fix)) renderFix(plan);
      // Subjects come failures first, then warnings, unknowns and healthy ones.
      const rank = { fail: 0, warn: 1, unknown: 2, pass: 3, skip: 4 };
      const ranks = report.verdicts.map((v) => rank[v.status]);
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    });
  }
});
