// audit, logs and explain-error as users meet them: exit codes, one-line errors, formats, stdin.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/memory-io.js';

const repo = join(import.meta.dirname, '..', '..');
const example = (name: string) => join(repo, 'examples', name);

const run = (args: string[], stdin?: Buffer) => runCli(args, { NO_COLOR: '1' }, stdin);

describe('wi-doctor audit', () => {
  it('healthy: exit 0; findings: exit 1; --fail-on warn counts warnings', async () => {
    expect((await run(['audit', '--from', example('healthy')])).code).toBe(0);
    const findings = await run(['audit', '--from', example('audit-findings')]);
    expect(findings.code).toBe(1);
    expect(findings.stdout).toMatch(/✗ primitive-roles \(cart@acme-shop/);
    expect(findings.stderr).toBe('');
    const onlyWarn = await run(['audit', '--from', example('audit-findings'), '--only', 'gsa-shared']);
    expect(onlyWarn.code).toBe(0);
    expect(
      (await run(['audit', '--from', example('audit-findings'), '--only', 'gsa-shared', '--fail-on', 'warn'])).code,
    ).toBe(1);
  });

  it('JSON validates against the shipped schema; SARIF has a rule per check', async () => {
    const json = await run(['audit', '--from', example('audit-findings'), '--format', 'json']);
    const schema = JSON.parse(readFileSync(join(repo, 'schema', 'report.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const report = JSON.parse(json.stdout) as { results: { check: string }[]; verdicts: unknown[] };
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.verdicts).toEqual([]);
    const sarif = JSON.parse(
      (await run(['audit', '--from', example('audit-findings'), '--format', 'sarif'])).stdout,
    ) as {
      runs: { results: { ruleId: string; locations: unknown[] }[] }[];
    };
    const results = sarif.runs[0]?.results ?? [];
    expect(results.some((r) => r.ruleId === 'primitive-roles')).toBe(true);
    expect(results.every((r) => r.locations.length > 0)).toBe(true);
  });

  it('bad flags: exit 2 with one line, no stack', async () => {
    for (const args of [
      ['audit', '--from', example('healthy'), '--only', 'wi-binding'],
      ['audit', '--from', example('healthy'), '--unused-days', '0'],
      ['audit', '--from', example('healthy'), '--only', 'no-such-check'],
      ['audit', '--from', join(repo, 'no-such-bundle')],
      ['check', '--from', example('healthy'), '--all', '--only', 'primitive-roles'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await run(['audit', '--from', example('healthy'), '--only', 'wi-binding'])).stderr).toMatch(
      /wi-doctor check --only wi-binding/,
    );
    expect((await run(['check', '--from', example('healthy'), '--all', '--only', 'primitive-roles'])).stderr).toMatch(
      /wi-doctor audit --only primitive-roles/,
    );
  });
});

describe('wi-doctor logs', () => {
  it('from a bundle: the logging state, the entries, the link', async () => {
    const r = await run(['logs', '--from', example('missing-binding'), '--ksa', 'shop/cart', '--since', '7d']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ ADMIN_READ is on for iam.googleapis.com in project acme-shop/);
    expect(r.stdout).toMatch(/Logs Explorer: https:\/\/console\.cloud\.google\.com\/logs\/query;query=/);
  });

  it('bad input: exit 2, one line', async () => {
    for (const args of [
      ['logs', '--from', example('healthy'), '--ksa', 'shop/cart', '--since', '7x'],
      ['logs', '--from', example('healthy'), '--ksa', 'shop/cart', '--since', '401d'],
      ['logs', '--from', example('healthy'), '--ksa', 'cart'],
      ['logs', '--from', example('healthy'), '--ksa', 'shop/nope'],
      ['logs', '--from', example('healthy')],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});

describe('wi-doctor explain-error', () => {
  it('classifies an argument; JSON has the contract shape', async () => {
    const text = "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).";
    const r = await run(['explain-error', '--format', 'json', text]);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as {
      matches: { signature: string; causes: { cause: string; checks: string[] }[] }[];
    };
    expect(body.matches[0]?.signature).toBe('get-access-token-denied');
    expect(body.matches[0]?.causes[0]?.checks).toEqual(['wi-binding']);
  });

  it('reads a whole log from stdin with -', async () => {
    const log = readFileSync(join(repo, 'test/fixtures/errors/gcsfuse-curl-api-disabled.txt'));
    const r = await run(['explain-error', '-'], log);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1\. service-disabled/);
    expect(r.stdout).toMatch(/2\. metadata-flavor-missing/);
  });

  it('unknown, empty and binary input are said so with exit 0; no input at all is exit 2', async () => {
    expect(await run(['explain-error', 'all good here'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/No known Workload Identity error/),
    });
    expect(await run(['explain-error', '-'], Buffer.from(''))).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/empty/),
    });
    expect(await run(['explain-error', '-'], Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]))).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/binary/),
    });
    const none = await run(['explain-error']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/needs the error text/);
  });

  it('never prints a token found in the text', async () => {
    const r = await run([
      'explain-error',
      'Request had invalid authentication credentials. token=ya29.a0AfH6SMBabcdefghijklmnopqrstuvwxyz0123456789',
    ]);
    expect(r.stdout).toMatch(/unauthenticated/);
    expect(r.stdout).not.toMatch(/abcdefghijklmnopqrstuvwxyz0123456789/);
  });
});

describe('check --error', () => {
  it('orders the verdict evidence by the error and says when the root cause is not among its causes', async () => {
    const r = await run([
      'check',
      '--from',
      example('annotation-typo'),
      '--ksa',
      'shop/cart',
      '--format',
      'json',
      '--error',
      'curl: (6) Could not resolve host: metadata',
    ]);
    const report = JSON.parse(r.stdout) as { notes: string[] };
    expect(report.notes.join('\n')).toMatch(/--error matches metadata-dns/);
    expect(report.notes.join('\n')).toMatch(/root cause found \(ksa-annotation\) is not among the usual causes/);
    const unknown = await run([
      'check',
      '--from',
      example('healthy'),
      '--ksa',
      'shop/cart',
      '--format',
      'json',
      '--error',
      'hello',
    ]);
    expect((JSON.parse(unknown.stdout) as { notes: string[] }).notes.join('\n')).toMatch(
      /matches no known Workload Identity error/,
    );
  });
});
