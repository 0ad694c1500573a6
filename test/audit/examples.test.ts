// `audit` on every example bundle: the audit expectations of expected.json where an example has them (listed
// results, and no other fail or warn), and on every other one no internal error and nothing that crashes.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { readBundle } from '../../src/collect/bundle/read.js';
import { audit } from '../../src/engine/audit.js';
import { DEFAULT_OPTIONS } from '../../src/engine/diagnose.js';

interface Expected {
  audit?: {
    results: { check: string; subject: string; status: string }[];
    allowOther?: { check: string; status: string }[];
  };
}

const root = join(import.meta.dirname, '..', '..', 'examples');
const examples = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'expected.json')))
  .map((d) => d.name);

describe('audit on the example bundles', () => {
  it('has audit expectations for the healthy world and a world of findings', () => {
    const withAudit = examples.filter(
      (n) => (JSON.parse(readFileSync(join(root, n, 'expected.json'), 'utf8')) as Expected).audit !== undefined,
    );
    expect(withAudit).toEqual(expect.arrayContaining(['healthy', 'audit-findings']));
  });

  for (const name of examples) {
    it(name, async () => {
      const expected = JSON.parse(readFileSync(join(root, name, 'expected.json'), 'utf8')) as Expected;
      const { facts } = await readBundle(join(root, name));
      const report = audit(facts, CHECKS, { options: DEFAULT_OPTIONS, source: name, version: 'test' });
      expect(report.results.length).toBeGreaterThan(0);
      expect(report.results.every((r) => CHECKS.find((c) => c.id === r.check)?.group === 'audit')).toBe(true);
      const internal = report.results.filter((r) => (r.missing ?? []).some((m) => m.startsWith('internal error')));
      expect(internal.map((r) => `${r.check} ${r.subject}: ${r.cause ?? ''}`)).toEqual([]);
      if (expected.audit === undefined) return;
      for (const want of expected.audit.results) {
        const got = report.results.find((r) => r.check === want.check && r.subject === want.subject);
        expect({ ...want, status: got?.status }, got?.cause).toEqual(want);
      }
      const listed = new Set(expected.audit.results.map((r) => `${r.check} ${r.subject}`));
      const allowed = new Set((expected.audit.allowOther ?? []).map((a) => `${a.check} ${a.status}`));
      const unexpected = report.results.filter(
        (r) =>
          (r.status === 'fail' || r.status === 'warn') &&
          !listed.has(`${r.check} ${r.subject}`) &&
          !allowed.has(`${r.check} ${r.status}`),
      );
      expect(unexpected.map((r) => `${r.status} ${r.check} ${r.subject}: ${r.cause ?? ''}`)).toEqual([]);
    });
  }
});
