// The commands the README's "Fleets" section and docs/fleet.md show, run exactly as written (bash, `wi-doctor`
// on PATH as the built CLI) against the sandbox's `fleet` world. Each must exit 0, or 1 where it reports
// findings; never 2, never a stack trace.

import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');

/** `wi-doctor …` lines of the ```sh blocks of a markdown text. */
function commandsOf(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? '').split('\n')) if (line.trim().startsWith('wi-doctor ')) out.push(line.trim());
  }
  return out;
}

const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const section = /## Fleets: every cluster, every project\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
const commands = [
  ...new Set([...commandsOf(section), ...commandsOf(readFileSync(join(repo, 'docs/fleet.md'), 'utf8'))]),
];
const built = existsSync(join(repo, 'dist', 'cli', 'bin.js'));

describe.skipIf(!built)('fleet commands of README.md and docs/fleet.md', { timeout: 120_000 }, () => {
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  const cwd = mkdtempSync(join(tmpdir(), 'wi-doctor-fleet-docs-'));

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: join(repo, 'scenarios', 'fleet.yaml') });
    const bin = join(cwd, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'wi-doctor'),
      `#!/bin/sh\nexec "${process.execPath}" "${join(repo, 'dist', 'cli', 'bin.js')}" "$@"\n`,
    );
    chmodSync(join(bin, 'wi-doctor'), 0o755);
    env = {
      ...process.env,
      ...sandbox.env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
      NO_COLOR: '1',
    };
  });
  afterAll(async () => {
    await sandbox.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  test('the README section and docs/fleet.md show the fleet commands', () => {
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const verb of ['check --all --clusters', 'audit --scope', 'who-can --gsa', 'who-can --ksa'])
      expect(commands.some((c) => c.includes(verb))).toBe(true);
  });

  test.for(commands)('%s', async (line) => {
    let code = 0;
    let stdout = '';
    let stderr = '';
    try {
      const r = await run('bash', ['-o', 'pipefail', '-c', line], { env, cwd, timeout: 60_000, maxBuffer: 2 ** 25 });
      stdout = r.stdout;
      stderr = r.stderr;
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      code = typeof err.code === 'number' ? err.code : -1;
      stdout = err.stdout ?? '';
      stderr = err.stderr ?? '';
    }
    expect([0, 1], `${line}\nexit ${code}\n${stderr}`).toContain(code);
    expect(stderr, line).not.toMatch(/unexpected error|at .*\.js:\d+/);
    if (line.includes('--output ')) {
      const file = /--output (\S+)/.exec(line)?.[1] ?? '';
      const json = JSON.parse(readFileSync(join(cwd, file), 'utf8')) as { format: string; summary: unknown[] };
      expect(json.format).toBe('wi-doctor-fleet/1');
      expect(json.summary.length).toBe(3);
    } else if (line.startsWith('wi-doctor collect ')) {
      // A bundle for the commands after it: its manifest is written.
      const dir = /--out (\S+)/.exec(line)?.[1] ?? '';
      expect(existsSync(join(cwd, dir, 'bundle.json')), line).toBe(true);
    } else {
      expect(stdout, line).toMatch(/Fleet: \d+ clusters|Who can get tokens|What KSA|only reads|"permissions"/);
    }
  });
});
