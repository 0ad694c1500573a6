// `wi-doctor sandbox` as a script uses it: the env file appears once the sandbox is ready (mode 0600), points
// at live endpoints, and disappears when SIGTERM stops the sandbox cleanly.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-sandbox-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('wi-doctor sandbox', () => {
  it('writes the env file when ready and removes it on SIGTERM', async () => {
    const envFile = join(temp, 'sandbox.env');
    const child = spawn(
      process.execPath,
      ['--', join(repo, 'dist/cli/bin.js'), 'sandbox', '--scenario', 'healthy', '--env-file', envFile],
      { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => existsSync(envFile), 15_000);
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      const env = readFileSync(envFile, 'utf8');
      for (const api of [
        'IAM',
        'IAMCREDENTIALS',
        'STS',
        'CONTAINER',
        'CLOUDRESOURCEMANAGER',
        'SERVICEUSAGE',
        'LOGGING',
        'STORAGE',
      ]) {
        expect(env).toMatch(
          new RegExp(`^export CLOUDSDK_API_ENDPOINT_OVERRIDES_${api}=http://127\\.0\\.0\\.1:\\d+/$`, 'm'),
        );
      }
      expect(env).toMatch(/^export CLOUDSDK_CORE_CHECK_GCE_METADATA=false$/m);
      expect(env).toMatch(/^export KUBECONFIG=/m);
      const iam = /CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM=(\S+)/.exec(env)?.[1] ?? '';
      const token = /CLOUDSDK_AUTH_ACCESS_TOKEN=(\S+)/.exec(env)?.[1] ?? '';
      const answer = await fetch(`${iam}v1/projects/acme-shop/serviceAccounts`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(answer.status).toBe(200);
      await waitFor(() => stdout.includes('Press Ctrl-C to stop.'), 5_000);
      expect(stdout).toMatch(/GCE_METADATA_HOST=127\.0\.0\.1:\d+/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(existsSync(envFile)).toBe(false);
  });

  it('survives a second Ctrl-C at once (the terminal signals the group, npx forwards it again): no env file left', async () => {
    const envFile = join(temp, 'twice.env');
    const child = spawn(
      process.execPath,
      ['--', join(repo, 'dist/cli/bin.js'), 'sandbox', '--scenario', 'healthy', '--env-out', envFile],
      { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => existsSync(envFile), 15_000);
      child.kill('SIGINT');
      child.kill('SIGINT');
    } finally {
      setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('sandbox stopped');
    expect(existsSync(envFile)).toBe(false);
  });
});
