// `npm run fuzz -- --runs N --seed S`, as README.md shows it for releases. The suite it runs is
// test/fuzz/bundles.test.ts (run by `npm test` with its seeded default); here, that the script is what README
// names and that it refuses arguments that are not numbers before starting anything. (Running a second vitest
// from this one takes minutes on a loaded 2-core machine.)

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../hostile/helpers.js';

/** This process's environment without vitest's own variables, which would make the inner vitest a worker. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|TINYPOOL)/.test(k)));

/** `npm run fuzz -- ARGS`, with its exit status and output. */
function npm(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'fuzz', '--', ...args], { cwd: REPO, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('npm run fuzz', () => {
  it('is the command README.md shows for the release run', () => {
    expect(readFileSync(join(REPO, 'README.md'), 'utf8')).toContain('`npm run fuzz -- --runs 2000`');
  });

  it('refuses runs that are not a whole number', async () => {
    const run = await npm(['--runs', 'many']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/fuzz: --runs and --seed take whole numbers/);
  });
});
