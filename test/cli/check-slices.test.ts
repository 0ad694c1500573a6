// `check` diagnoses and lays out 50 subjects at a time: on a cluster of many slices its report must be the report
// made whole (the library's diagnose and render), with not-proven subjects folded across slices, a shared node
// pool's failure grouped across them, counts over all of them and the exit code of all of them.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// @ts-expect-error: the bench's generator is plain JavaScript, without declarations.
import { writeScaleBundle } from '../../bench/scale-bundle-gen.mjs';
import { diagnose, readBundle, render } from '../../src/index.js';
import { SLICE_SIZE } from '../../src/engine/diagnose.js';
import type { Report } from '../../src/model/results.js';
import { runCli } from '../helpers/memory-io.js';

const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-slices-'));
const bundle = join(dir, 'bundle');
const KSAS = 4 * SLICE_SIZE + 17;
let report: Report;

beforeAll(async () => {
  (writeScaleBundle as (dir: string, sizes: object) => number)(bundle, {
    ksas: KSAS,
    pods: 2 * KSAS,
    gsas: 12,
    namespaces: 9,
    nodes: 40,
  });
  const { facts } = await readBundle(bundle);
  report = diagnose(facts, { targets: { all: true }, source: bundle, generatedAt: '2026-12-01T00:00:00Z' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A report without the time it was made, nor the age of the facts at that time. */
const withoutTime = (text: string): string =>
  text.replace(/"generatedAt": "[^"]*"/, '"generatedAt": "…"').replace(/\(\d+ days? old\)/g, '(… old)');

describe('check on a cluster of many slices', () => {
  it('is a cluster of several slices, with failures, not-proven subjects and a shared failure', () => {
    expect(report.verdicts).toHaveLength(KSAS);
    expect(KSAS).toBeGreaterThan(4 * SLICE_SIZE);
    const statuses = new Set(report.verdicts.map((v) => v.status));
    expect(statuses).toEqual(new Set(['fail', 'unknown']));
    // Counted over every slice: the summary is the statuses of all the results, each subject in one group.
    const counted = { pass: 0, fail: 0, warn: 0, unknown: 0, skip: 0 };
    for (const r of report.results) counted[r.status]++;
    expect(report.summary).toEqual(counted);
    expect(report.groups.reduce((n, g) => n + g.subjects.length, 0)).toBe(KSAS);
    expect(
      report.groups.some((g) => g.rootCause === 'nodepool-gke-metadata' && g.subjects.length > SLICE_SIZE / 10),
    ).toBe(true);
  });

  for (const [name, args, format] of [
    ['text', [], 'text'],
    ['--brief', ['--brief'], 'text'],
    ['--hide-pass', ['--hide-pass'], 'text'],
    ['JSON', ['--format', 'json'], 'json'],
    ['Markdown', ['--format', 'markdown'], 'markdown'],
  ] as const) {
    it(`writes the report made whole (${name}), and fails the run`, async () => {
      const { code, stdout } = await runCli(['check', '--from', bundle, '--all', ...args]);
      expect(code).toBe(1);
      // Not a terminal: the CLI does not wrap.
      const options = {
        brief: args.includes('--brief' as never),
        hidePass: args.includes('--hide-pass' as never),
        width: Number.POSITIVE_INFINITY,
      };
      const whole = render(report, format, options);
      expect(withoutTime(stdout)).toBe(withoutTime(whole.endsWith('\n') ? whole : `${whole}\n`));
    });
  }

  it('writes the SARIF findings of every slice, as of the report made whole', async () => {
    const { code, stdout } = await runCli(['check', '--from', bundle, '--all', '--format', 'sarif']);
    expect(code).toBe(1);
    type Log = { runs: { results: { ruleId: string }[]; tool: { driver: { rules: { id: string }[] } } }[] };
    const [streamed] = (JSON.parse(stdout) as Log).runs;
    const [whole] = (JSON.parse(render(report, 'sarif')) as Log).runs;
    // The CLI adds each rule's docs page as its help; the findings and the rules' order are the same.
    expect(streamed?.results).toEqual(whole?.results);
    expect(streamed?.results.length).toBe(
      report.results.filter((r) => r.status !== 'pass' && r.status !== 'skip').length,
    );
    expect(streamed?.tool.driver.rules.map((r) => r.id)).toEqual(whole?.tool.driver.rules.map((r) => r.id));
  });

  it('folds the not-proven subjects of every slice into one block', async () => {
    const { stdout } = await runCli(['check', '--from', bundle, '--all']);
    const unknown = report.verdicts.filter((v) => v.status === 'unknown').length;
    expect(unknown).toBeGreaterThan(SLICE_SIZE);
    expect(stdout).toContain(`${unknown} subjects not proven for the same reason`);
  });
});
