// The baseline file end to end: accepted findings stop failing the run but stay in every report; expired
// entries fail it; a file that cannot be used is one line and exit 2.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/memory-io.js';

const repo = join(import.meta.dirname, '..', '..');
const broken = join(repo, 'examples', 'missing-binding');
const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-baseline-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

async function run(args: string[]) {
  const { code, stdout, stderr } = await runCli(args);
  // Prose wraps at 100 columns: join wrapped lines so that a sentence matches whole.
  return { code, stdout, stderr, flat: stdout.replace(/\n {2,}/g, ' ') };
}

function baseline(name: string, text: string): string {
  const file = join(temp, name);
  writeFileSync(file, text);
  return file;
}

const ACCEPT = `suppress:
  - check: wi-binding
    subject: shop/*
    reason: known, the fix is scheduled
    expires: 2999-12-31
`;

describe('--baseline', () => {
  it('suppresses a matching finding: exit 0, and every report still shows it, marked', async () => {
    const file = baseline('accept.yaml', ACCEPT);
    const without = await run(['check', '--from', broken, '--all']);
    expect(without.code).toBe(1);
    const text = await run(['check', '--from', broken, '--all', '--baseline', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/✗ shop\/cart — wi-binding/);
    expect(text.flat).toMatch(/suppressed until 2999-12-31 by .*accept\.yaml: known, the fix is scheduled/);
    expect(text.flat).toMatch(/\(1 suppressed by the baseline\)/);
    const json = await run(['check', '--from', broken, '--all', '--baseline', file, '--format', 'json']);
    const report = JSON.parse(json.stdout) as { results: { check: string; status: string; suppressed?: object }[] };
    expect(report.results.find((r) => r.check === 'wi-binding' && r.status === 'fail')?.suppressed).toEqual({
      file,
      reason: 'known, the fix is scheduled',
      expires: '2999-12-31',
    });
    expect(report.results.filter((r) => r.suppressed !== undefined)).toHaveLength(1);
    const sarif = await run(['check', '--from', broken, '--all', '--baseline', file, '--format', 'sarif']);
    expect(sarif.stdout).toContain('"justification": "known, the fix is scheduled"');
  });

  it("suppresses a shared object's finding (a node pool's) as well as a subject's: the exit code counts neither", async () => {
    const pool = examples('node-pool-gce-metadata');
    const subjectsOnly = baseline(
      'subjects.yaml',
      'suppress:\n  - check: metadata-server-healthy\n    subject: shop/*\n    reason: the pool is being replaced\n',
    );
    expect((await run(['check', '--from', pool, '--all', '--baseline', subjectsOnly])).code).toBe(1);
    const both = baseline(
      'pool.yaml',
      'suppress:\n  - check: metadata-server-healthy\n    subject: shop/*\n    reason: the pool is being replaced\n' +
        '  - check: nodepool-gke-metadata\n    subject: projects/*/nodePools/default-pool\n    reason: the pool is being replaced\n',
    );
    const { code, flat } = await run(['check', '--from', pool, '--all', '--baseline', both]);
    expect(code).toBe(0);
    expect(flat).toMatch(/\(3 suppressed by the baseline\)/);
  });

  it('fails the run on an expired entry and suppresses nothing with it', async () => {
    const file = baseline('expired.yaml', ACCEPT.replace('2999-12-31', '2020-01-31'));
    const { code, flat, stderr } = await run(['check', '--from', examples('healthy'), '--all', '--baseline', file]);
    // Nothing fails in the healthy example: the expired entry alone fails the run.
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /expired\.yaml:2: the suppression of wi-binding for shop\/\* expired on 2020-01-31: renew or remove it/,
    );
    expect(flat).toMatch(/Note: .*expired on 2020-01-31/);
    const failing = await run(['check', '--from', broken, '--all', '--baseline', file, '--format', 'json']);
    const report = JSON.parse(failing.stdout) as { results: { suppressed?: object }[] };
    expect(report.results.some((r) => r.suppressed !== undefined)).toBe(false);
  });

  it('notes an entry that matches nothing', async () => {
    const file = baseline('unused.yaml', ACCEPT.replace('shop/*', 'nope/*'));
    const { code, flat } = await run(['check', '--from', broken, '--all', '--baseline', file]);
    expect(code).toBe(1);
    expect(flat).toMatch(
      /Note: .*unused\.yaml:2: the suppression of wi-binding for nope\/\* matched no finding: remove it/,
    );
  });

  it('applies an entry naming a cluster only to that cluster (its resource name, with wildcards)', async () => {
    const here = baseline('here.yaml', `${ACCEPT}    cluster: projects/acme-shop/locations/*/clusters/prod\n`);
    expect((await run(['check', '--from', broken, '--all', '--baseline', here])).code).toBe(0);
    const there = baseline('there.yaml', `${ACCEPT}    cluster: gke_acme-shop_us-central1_staging\n`);
    const other = await run(['check', '--from', broken, '--all', '--baseline', there]);
    expect(other.code).toBe(1);
    expect(other.flat).toMatch(
      /there\.yaml:2: the suppression of wi-binding for shop\/\* in gke_acme-shop_us-central1_staging matched no finding/,
    );
  });

  it('audit applies it the same way: suppressed findings fail nothing, and stay in the report', async () => {
    const audit = examples('audit-findings');
    const all = await run(['audit', '--from', audit, '--only', 'gsa-shared', '--fail-on', 'warn']);
    expect(all.code).toBe(1);
    const file = baseline(
      'audit.yaml',
      'suppress:\n  - check: gsa-shared\n    subject: cart@acme-shop.iam.gserviceaccount.com\n    reason: one team\n',
    );
    const args = ['audit', '--from', audit, '--only', 'gsa-shared', '--fail-on', 'warn', '--baseline', file];
    const accepted = await run(args);
    expect(accepted.code).toBe(0);
    expect(accepted.flat).toMatch(/suppressed by .*audit\.yaml: one team/);
    expect((await run([...args.slice(0, -2), '--no-baseline'])).code).toBe(1);
    const expired = baseline('audit-expired.yaml', `${readFileSync(file, 'utf8')}    expires: 2020-01-31\n`);
    const stale = await run([...args.slice(0, -1), expired]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/audit-expired\.yaml:2: the suppression of gsa-shared .* expired on 2020-01-31/);
  });

  it.each([
    ['not yaml', 'suppress: [', /bad\.yaml:\d+: not valid YAML/],
    [
      'no reason',
      'suppress:\n  - check: wi-binding\n    subject: shop/cart\n',
      /bad\.yaml:2: suppress\[0\]: "reason" is required/,
    ],
    [
      'a typo',
      'suppress:\n  - check: wi-bindng\n    subject: a\n    reason: r\n',
      /unknown check id "wi-bindng"; did you mean wi-binding\?/,
    ],
    ['a bad day', ACCEPT.replace('2999-12-31', 'next week'), /"expires" must be a day, YYYY-MM-DD/],
    [
      'an unknown key',
      'suppress:\n  - check: wi-binding\n    subject: a\n    reason: r\n    until: 2027-01-01\n',
      /unknown key "until"/,
    ],
    ['another top-level key', 'ignore: []\n', /unknown key "ignore"/],
  ])('rejects a file with %s: one line, exit 2', async (_what, text, message) => {
    const file = baseline('bad.yaml', text);
    const { code, stderr } = await run(['check', '--from', broken, '--all', '--baseline', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('is an error when the named file is missing', async () => {
    const { code, stderr } = await run(['check', '--from', broken, '--all', '--baseline', join(temp, 'none.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--baseline .*none\.yaml: no such file/);
  });
});

const examples = (name: string): string => join(repo, 'examples', name);
const bin = join(repo, 'dist', 'cli', 'bin.js');

describe('.wi-doctor.yaml in the current folder', () => {
  // Three CLI processes: slow on a loaded machine.
  it.skipIf(!existsSync(bin))('is read by default and ignored with --no-baseline', { timeout: 90_000 }, () => {
    const dir = mkdtempSync(join(temp, 'cwd-'));
    writeFileSync(join(dir, '.wi-doctor.yaml'), ACCEPT);
    const args = [bin, 'check', '--from', broken, '--all'];
    const env = { ...process.env, NO_COLOR: '1' };
    expect(spawnSync(process.execPath, args, { cwd: dir, env }).status).toBe(0);
    expect(spawnSync(process.execPath, [...args, '--no-baseline'], { cwd: dir, env }).status).toBe(1);
    expect(spawnSync(process.execPath, args, { cwd: temp, env }).status).toBe(1);
  });
});
