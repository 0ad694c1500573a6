// The single-file build: no require() of anything but node builtins, and it runs as a plain `node` script
// against a sandbox pod, with the exit codes and JSON of the in-process probe.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import type { ProbeReport } from '../../src/probe/types.js';
import { podOf } from './helpers.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = `${ROOT}dist/wi-doctor-probe.cjs`;

let sb: RunningSandbox;
beforeAll(async () => {
  await run(process.execPath, [`${ROOT}scripts/build-probe.mjs`], { cwd: ROOT });
  sb = await startSandbox({ scenario: `${ROOT}scenarios/missing-binding.yaml` });
}, 60_000);
afterAll(async () => {
  await sb.stop();
});

async function runBundle(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BUNDLE, ...args], {
      env: { PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none' },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('dist/wi-doctor-probe.cjs', () => {
  test('requires node builtins only, and starts with a node shebang', async () => {
    const text = await readFile(BUNDLE, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const required = [...text.matchAll(/require\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1] ?? '');
    expect(required.length).toBeGreaterThan(0);
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    expect(required.filter((r) => !builtins.has(r))).toEqual([]);
    // No dynamic require of a computed name either.
    expect(text).not.toMatch(/require\(\s*[a-zA-Z_$][\w$]*\s*\)/);
  });

  test('runs against a sandbox pod: JSON report, exit 1 on the missing binding', async () => {
    const cart = podOf(sb, 'cart-');
    const r = await runBundle([
      '--format',
      'json',
      '--metadata-host',
      cart.metadataHost,
      '--dns-name',
      'localhost',
      '--metadata-ip',
      '127.0.0.1',
      '--pod',
      `shop/${cart.name}`,
      '--timeout',
      '2',
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as ProbeReport;
    expect(report.format).toBe('wi-doctor-report/1');
    expect(report.probe.mode).toBe('metadata');
    expect(report.tool.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.results.find((x) => x.check === 'pod-access-token')?.status).toBe('fail');
  });

  test('text output, and exit 2 for a bad flag', async () => {
    const api = podOf(sb, 'api-');
    const ok = await runBundle([
      '--metadata-host',
      api.metadataHost,
      '--dns-name',
      'localhost',
      '--metadata-ip',
      '127.0.0.1',
      '--timeout',
      '2',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^✓ metadata-server-reachable /m);
    expect(ok.stdout).toMatch(/5 checks · 0 failed/);
    const bad = await runBundle(['--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('wi-doctor-probe: unknown option --bogus\n');
  });
});
