// The library API as docs/library.md shows it: its example runs as written, against the built package
// (imported by its own name, as an embedding tool would), and prints what the page says it prints.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

const repo = join(import.meta.dirname, '..');
const page = readFileSync(join(repo, 'docs', 'library.md'), 'utf8');
const built = existsSync(join(repo, 'dist', 'index.js')) && existsSync(join(repo, 'dist', 'index.d.ts'));

/** The fenced blocks of the page, with their language. */
const blocks = [...page.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? '', body: m[2] ?? '' }));

describe('docs/library.md', () => {
  it('documents each function of the API', () => {
    for (const name of [
      'readBundle',
      'collectLive',
      'diagnose',
      'render',
      'renderChunks',
      'diagnoseStream',
      'renderStreamChunks',
      'reportOf',
      'tapStream',
      'renderedFix',
      'applyBaseline',
    ]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
      expect(page).toContain(`\`${name}`);
    }
  });

  it.skipIf(!built)('its example runs as written and prints what the page shows', () => {
    const example = blocks.find((b) => b.lang === 'js');
    const index = example === undefined ? -1 : blocks.indexOf(example);
    const expected = blocks[index + 1];
    expect(example).toBeDefined();
    expect(expected?.lang).toBe('');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', example?.body ?? ''], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(expected?.body);
  });

  it.skipIf(!built)('is what package.json exports, with its types', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; import: string }>;
      types: string;
      bin: Record<string, string>;
    };
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(pkg.types).toBe('./dist/index.d.ts');
    expect(readFileSync(join(repo, 'dist', 'index.d.ts'), 'utf8')).toMatch(/export declare function diagnose\(/);
    expect(pkg.bin['kubectl-wi_doctor']).toBe(pkg.bin['wi-doctor']);
  });
});

describe('the library API', () => {
  it('reads, diagnoses and renders in every format', async () => {
    const { facts } = await api.readBundle(join(repo, 'examples', 'multi-team'));
    const report = api.diagnose(facts, { targets: { all: true }, source: 'examples/multi-team' });
    expect(report.verdicts[0]?.status).toBe('fail');
    for (const format of api.REPORT_FORMATS) expect(api.render(report, format).length).toBeGreaterThan(100);
    expect([...api.renderChunks(report, 'json')].join('')).toBe(api.render(report, 'json'));
    expect(api.exitCodeFor(report.results, 'fail')).toBe(1);
  });

  it('diagnoses a slice at a time: the same text and JSON as the whole report, and the same report', async () => {
    const { facts } = await api.readBundle(join(repo, 'examples', 'multi-team'));
    const request = { targets: { all: true }, source: 'examples/multi-team', generatedAt: '2026-12-01T00:00:00Z' };
    const report = api.diagnose(facts, request);
    for (const format of ['text', 'json', 'sarif'] as const) {
      const streamed = [...api.renderStreamChunks(api.diagnoseStream(facts, request), format)].join('');
      expect(streamed).toBe(api.render(report, format));
    }
    expect(api.reportOf(api.diagnoseStream(facts, request))).toEqual(report);
    let seen = 0;
    const tapped = api.tapStream(api.diagnoseStream(facts, request), { results: (rs) => (seen += rs.length) });
    expect([...tapped.slices].length).toBeGreaterThan(0);
    expect(seen).toBe(report.results.length);
  });

  it('throws UsageError with a suggestion for a target the facts do not have', async () => {
    const { facts } = await api.readBundle(join(repo, 'examples', 'healthy'));
    expect(() => api.diagnose(facts, { targets: { ksa: ['shop/cartt'] } })).toThrow(api.UsageError);
    expect(() => api.diagnose(facts, { targets: { ksa: ['shop/cartt'] } })).toThrow(/did you mean `shop\/cart`/);
  });

  it('orders the evidence by an error text, as check --error does', async () => {
    const { facts } = await api.readBundle(join(repo, 'examples', 'missing-binding'));
    const targets = { ksa: ['shop/cart'] };
    const plain = api.diagnose(facts, { targets });
    const ordered = api.diagnose(facts, {
      targets,
      error: "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
    });
    expect(plain.notes.some((n) => n.startsWith('--error'))).toBe(false);
    expect(ordered.notes.some((n) => n.startsWith('--error matches'))).toBe(true);
  });

  it('orders by an error text and notes each unusual root cause once, whatever the slices', async () => {
    const { facts } = await api.readBundle(join(repo, 'examples', 'multi-team'));
    const request = {
      targets: { all: true },
      generatedAt: '2026-12-01T00:00:00Z',
      error: "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
    };
    const whole = api.diagnose(facts, request);
    for (const sliceSize of [1, 2, 4]) expect(api.diagnose(facts, { ...request, sliceSize })).toEqual(whole);
    // Two subjects in different slices of one have a root cause that error does not usually have: a note each.
    const unusual = whole.notes.filter((n) => n.includes('is not among the usual causes of that error'));
    expect(unusual.map((n) => n.split(':')[0])).toEqual(['payments/fraud-scorer', 'payments/ledger']);
    // The evidence was reordered in every slice: the checks of that error's causes come first.
    const plain = api.diagnose(facts, { targets: request.targets, generatedAt: request.generatedAt, sliceSize: 1 });
    const moved = whole.verdicts.filter((v, i) => v.ruledOut.join() !== plain.verdicts[i]?.ruledOut.join());
    expect(moved.length).toBeGreaterThan(1);
    for (const v of moved) expect(v.ruledOut[0]).toMatch(/^(wi-binding|gsa-exists|ksa-annotation):/);
  });
});
