// Drives the machine's real kubectl (1.32) against a running sandbox: its own HOME (so its discovery cache is
// the sandbox's alone), the sandbox's kubeconfig, exit code and both streams returned, never thrown.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningSandbox } from '../../../src/sandbox/index.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  (args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<Run>;
  /** A command line run by bash (for pipes and `&&`), kubectl pointed at the sandbox. */
  sh(command: string, timeoutMs?: number): Promise<Run>;
  env: Record<string, string>;
  dispose(): void;
}

export function kubectlFor(sb: RunningSandbox): Kubectl {
  const home = mkdtempSync(join(tmpdir(), 'wi-kubectl-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    KUBECONFIG: sb.kubeconfig,
    NO_COLOR: '1',
  };
  const run = (file: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(
        file,
        args,
        { env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 124) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  const kubectl = ((args: string[], opts?: { input?: string; timeoutMs?: number }) =>
    run('kubectl', args, opts)) as Kubectl;
  kubectl.sh = (command, timeoutMs) => run('/bin/bash', ['-c', command], { timeoutMs: timeoutMs ?? 60_000 });
  kubectl.env = env;
  kubectl.dispose = () => rmSync(home, { recursive: true, force: true });
  return kubectl;
}

/** Starts `kubectl ARGS` and returns its output so far after `ms`, then stops it (for watches). */
export function watchFor(k: Kubectl, args: string[], ms: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('kubectl', args, { env: k.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 143, stdout, stderr });
    });
  });
}

/** The rows of a kubectl table: header cells split on runs of 2+ spaces. */
export function table(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const split = (l: string): string[] => l.trim().split(/\s{2,}/);
  return { header: split(lines[0] ?? ''), rows: lines.slice(1).map(split) };
}
