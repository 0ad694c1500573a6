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

/**
 * Listens for Ctrl-C and SIGTERM: `stopped` resolves on the first. Further signals are ignored until `release`:
 * a terminal's Ctrl-C reaches every process of its group and npx forwards it to its child once more, and Node's
 * default for that second signal would end the process before it has cleaned up.
 */
export function listenForStop(signals: NodeJS.Process): { stopped: Promise<void>; release: () => void } {
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const onSignal = (): void => resolveStopped();
  signals.on('SIGINT', onSignal);
  signals.on('SIGTERM', onSignal);
  return {
    stopped,
    release: () => {
      signals.off('SIGINT', onSignal);
      signals.off('SIGTERM', onSignal);
    },
  };
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
  // Listening before the env file exists: a Ctrl-C at any moment stops cleanly.
  const stop = listenForStop(signals);
  try {
    return await serve(options, scenario, io, stop.stopped);
  } finally {
    stop.release();
  }
}

async function serve(
  options: SandboxCommandOptions,
  scenario: string,
  io: Io,
  stopped: Promise<void>,
): Promise<number> {
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
  await stopped;
  // The env file goes first: nothing may point at servers that are closing.
  if (options.envFile) rmSync(options.envFile, { force: true });
  await sandbox.stop();
  io.stderr.write('wi-doctor: sandbox stopped\n');
  return 0;
}
