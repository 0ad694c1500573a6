// `wi-doctor sandbox`: start the local Workload Identity world from a scenario, print where it is and the
// environment that points gcloud, kubectl and wi-doctor at it, and stop cleanly on Ctrl-C or SIGTERM.

import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, writeEnvFile } from '../../sandbox/index.js';
import { UsageError } from '../../engine/errors.js';
import { nearestNames } from '../../model/edit-distance.js';
import type { Io } from '../output.js';
import { PACKAGE_ROOT } from '../package-info.js';

export interface SandboxCommandOptions {
  scenario: string;
  port: number;
  envFile?: string;
}

export const SCENARIO_DIR = join(PACKAGE_ROOT, 'scenarios');

/** A scenario file path, or the name of one shipped in scenarios/ (`healthy`, `missing-binding`, …). */
export function resolveScenario(value: string): string {
  if (existsSync(value)) return value;
  const shipped = join(SCENARIO_DIR, value.endsWith('.yaml') ? value : `${value}.yaml`);
  if (existsSync(shipped)) return shipped;
  const names = readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5));
  const close = nearestNames(value.replace(/\.yaml$/, ''), names);
  const hint = close.length > 0 ? `did you mean ${close.join(' or ')}?` : '`wi-doctor sandbox --help` lists them';
  throw new UsageError(`--scenario ${value}: no such file, and no shipped scenario of that name; ${hint}`);
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Resolves on the first Ctrl-C or SIGTERM, and stops listening. */
export function waitForStopSignal(signals: NodeJS.Process): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      resolve();
    };
    signals.on('SIGINT', stop);
    signals.on('SIGTERM', stop);
  });
}

export function envLines(env: Record<string, string>): string {
  return Object.entries(env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join('\n');
}

export async function runSandboxCommand(
  options: SandboxCommandOptions,
  io: Io,
  signals: NodeJS.Process = process,
): Promise<number> {
  const scenario = resolveScenario(options.scenario);
  const sandbox = await startSandbox({ scenario, port: options.port });
  if (options.envFile) await writeEnvFile(options.envFile, sandbox.env);
  const lines = [
    `wi-doctor sandbox: ${scenario}`,
    '',
    'Endpoints:',
    ...Object.entries(sandbox.endpoints)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([api, url]) => `  ${api.padEnd(22)} ${url}`),
    '',
    'Pods and their metadata servers:',
    ...sandbox.pods.map((p) => `  ${`${p.namespace}/${p.name}`.padEnd(40)} GCE_METADATA_HOST=${p.metadataHost}`),
    '',
    `Environment${options.envFile ? ` (also in ${options.envFile})` : ''}: paste into a shell to point gcloud, kubectl and wi-doctor here`,
    envLines(sandbox.env),
    '',
    'Press Ctrl-C to stop.',
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  await waitForStopSignal(signals);
  await sandbox.stop();
  if (options.envFile) rmSync(options.envFile, { force: true });
  io.stderr.write('wi-doctor: sandbox stopped\n');
  return 0;
}
