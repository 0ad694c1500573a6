// The built executable, as `npx wi-doctor` runs it (npm test builds before it tests).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'dist', 'cli', 'bin.js');

describe('dist/cli/bin.js', () => {
  it('is built (npm test runs the build first)', () => {
    expect(existsSync(bin), `${bin} is missing: run npm run build`).toBe(true);
  });

  it('runs the main job on an example bundle', () => {
    const run = spawnSync(process.execPath, [bin, 'check', '--from', join(repo, 'examples', 'healthy'), '--all'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/shop\/cart/);
  });

  it('prints its version', () => {
    const run = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('stops quietly when the reader closes the pipe early (`… | head`)', async () => {
    const child = spawn(process.execPath, [bin, 'check', '--from', join(repo, 'examples', 'multi-team'), '--all'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed before the first byte: every write of the report meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    // The diagnosis' own exit code (multi-team has failures), not a crash.
    expect(code).toBe(1);
  });
});
