// The fix/rotate and audit benchmark scripts: bad flags end them with one line and exit 2 before anything
// starts, and their shortest forms run against the sandbox and report calls that match the minimum.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const built = existsSync(join(ROOT, 'dist/cli/bin.js'));

function node(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: ROOT,
        timeout: timeoutMs,
        env: { ...process.env, METADATA_SERVER_DETECTION: 'none', CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false' },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.each([
  ['bench/fix/run.mjs', 'bench:fix', ['--bogus'], 'Unknown option'],
  ['bench/fix/run.mjs', 'bench:fix', ['--scenarios', 'missing-binding,nope'], 'unknown "nope"'],
  ['bench/fix/run.mjs', 'bench:fix', ['--propagation-seconds=-1'], '--propagation-seconds must be'],
  ['bench/fix/run.mjs', 'bench:fix', ['--shared-ksas', 'many'], '--shared-ksas must be'],
  ['bench/audit/run.mjs', 'bench:audit', ['--sizes', 'small,huge'], 'unknown "huge"'],
  ['bench/audit/run.mjs', 'bench:audit', ['--limit-minutes', '0'], '--limit-minutes must be'],
  ['bench/audit/run.mjs', 'bench:audit', ['stray'], 'Unexpected argument'],
])('%s %j', (script, name, args, message) => {
  it('exits 2 with one line naming the problem', async () => {
    const r = await node([script, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${name}: `);
    expect(lines[0]).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('shortest runs against the sandbox', () => {
  it.skipIf(!built)(
    'bench:audit --sizes small: calls made equal the minimum, results written',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'wi-doctor-bench-audit-'));
      dirs.push(out);
      const r = await node(['bench/audit/run.mjs', '--sizes', 'small', '--no-sequential', '--out', out], 90_000);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [result] = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
        runs: { default: { calls: number; serverRequests: number; minimum: number; failures: number } };
        userLoop: { commands: number };
      }[];
      const run = result?.runs.default;
      expect(run?.failures).toBe(0);
      expect(run?.calls).toBe(run?.serverRequests);
      expect(run?.calls).toBe(run?.minimum);
      // 14: the cluster's ReplicaSets too, since default-ksa-annotated's fix restarts the workloads running as `default`,
      // and the project's Admin Activity log of account creation (unused-gsa), as `audit` reads it.
      expect(run?.minimum).toBe(14);
      expect(result?.userLoop.commands).toBe(9);
    },
    120_000,
  );

  it.skipIf(!built)(
    'bench:fix on gsa-disabled: one read and one write, verified, counted alike at both ends',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'wi-doctor-bench-fix-'));
      dirs.push(out);
      const r = await node(
        [
          'bench/fix/run.mjs',
          '--scenarios',
          'gsa-disabled',
          '--propagation-seconds',
          '0',
          '--no-manual',
          '--no-rotate',
          '--out',
          out,
        ],
        90_000,
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const { fix } = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
        fix: {
          exitCode: number;
          calls: number;
          serverRequests: number;
          statuses: string[];
          phases: { apply: { read: number; write: number } };
          minimum: { apply: { read: number; write: number } };
          verification: { ok: boolean } | null;
        }[];
      };
      const [run] = fix;
      expect(run?.exitCode).toBe(0);
      expect(run?.statuses).toEqual(['enable-service-account:applied']);
      expect(run?.verification?.ok).toBe(true);
      expect(run?.calls).toBe(run?.serverRequests);
      expect(run?.phases.apply).toMatchObject(run?.minimum.apply ?? {});
    },
    120_000,
  );
});
