// Drives the real gcloud (and curl) against one sandbox per test file: gcloud is pointed there only by its
// own settings (endpoint overrides, access token, project) and a throwaway configuration directory.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSandbox, type RunningSandbox, type Scenario } from '../../src/sandbox/index.js';
import { scenario } from './helpers.js';

const run = promisify(execFile);

async function has(cmd: string, args: string[]): Promise<boolean> {
  return run(cmd, args, { timeout: 60_000 }).then(
    () => true,
    () => false,
  );
}

/** Whether the binaries exist; tests that need them are skipped (reported as skipped) without. */
export const HAS_GCLOUD = await has('gcloud', ['--version']);
export const HAS_CURL = await has('curl', ['--version']);

export interface Cli {
  sb: RunningSandbox;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** gcloud's stdout; rejects with stderr in the message when gcloud exits non-zero. */
  gcloud(...args: string[]): Promise<string>;
  /** gcloud's exit code and both streams, for commands expected to fail. */
  gcloudResult(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  curl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startCli(world: string | Scenario): Promise<Cli> {
  const sb = await startSandbox({ scenario: typeof world === 'string' ? scenario(world) : world });
  const dir = await mkdtemp(join(tmpdir(), 'wi-sb-cli-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...sb.env,
    HOME: dir,
    CLOUDSDK_CONFIG: join(dir, 'gcloud'),
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    METADATA_SERVER_DETECTION: 'none',
  };
  const gcloudResult = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const r = await run('gcloud', args, { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  };
  return {
    sb,
    dir,
    env,
    gcloudResult,
    async gcloud(...args) {
      const r = await gcloudResult(...args);
      if (r.code !== 0) throw new Error(`gcloud ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    async curl(...args) {
      return (await run('curl', ['-sS', ...args], { env, timeout: 30_000 })).stdout;
    },
    async stop() {
      await sb.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
