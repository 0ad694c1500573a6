// Every `wi-doctor` command that docs/html.md and README.md's "HTML report and identity graph" section show
// runs, exactly as written, with the built CLI in a scratch folder where `examples/` is the repository's.
// Commands without --from read the live APIs: they run against the sandbox, pointed at it by environment.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';

const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'dist', 'cli', 'bin.js');
const built = existsSync(bin);

/** The `wi-doctor …` lines of the ```sh blocks of a Markdown text. */
export function shownCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.trim()).filter((l) => l.startsWith('wi-doctor '));
}

/** Runs the CLI without blocking this process: the sandbox answers from this process's event loop. */
function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Splits a command line as a shell would for these commands (no quotes, no variables, no pipes). */
function argv(command: string): string[] {
  if (/["'`$|;&<>\\]/.test(command)) throw new Error(`not a plain command: ${command}`);
  return command.split(/\s+/).slice(1);
}

function readmeSection(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const start = readme.indexOf('## HTML report and identity graph');
  if (start < 0) throw new Error('README.md has no "HTML report and identity graph" section');
  const next = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, next < 0 ? undefined : next);
}

const commands = [
  ...shownCommands(readFileSync(join(repo, 'docs', 'html.md'), 'utf8')),
  ...shownCommands(readmeSection()),
];

describe.skipIf(!built)('commands shown in docs/html.md and README.md (needs npm run build)', () => {
  let cwd: string;
  let sandbox: RunningSandbox | undefined;
  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'wi-doctor-docs-'));
    symlinkSync(join(repo, 'examples'), join(cwd, 'examples'));
    if (commands.some((c) => !c.includes('--from'))) {
      sandbox = await startSandbox({ scenario: join(repo, 'scenarios', 'healthy.yaml') });
    }
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('shows some', () => {
    expect(commands.length).toBeGreaterThan(5);
  });

  it.each(commands)('%s', async (command) => {
    const args = argv(command);
    const live = !args.includes('--from');
    const env = {
      PATH: process.env['PATH'] ?? '',
      NO_COLOR: '1',
      METADATA_SERVER_DETECTION: 'none',
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
      ...(live && sandbox ? { ...sandbox.env, GCE_METADATA_HOST: '127.0.0.1:9', GCE_METADATA_IP: '127.0.0.1:9' } : {}),
    };
    const result = await runCli(args, cwd, env);
    // 1 is a finding (check's and audit's --fail-on), not a failure of the command.
    expect(result.status, result.stderr).toBeLessThanOrEqual(args[0] === 'check' || args[0] === 'audit' ? 1 : 0);
    expect(result.stderr).not.toMatch(/unexpected error/);
    const output = args.indexOf('--output');
    if (output >= 0) {
      const text = readFileSync(join(cwd, args[output + 1] ?? ''), 'utf8');
      expect(text.length).toBeGreaterThan(0);
      if (args.includes('html')) expect(text).toMatch(/^<!DOCTYPE html>/);
    } else {
      expect(result.stdout.length).toBeGreaterThan(0);
    }
  }, 150_000);
});
