// Shared by the hostile-input tests: copy an example bundle to a temporary folder, change it, and run the CLI
// in-process with captured stdout and stderr.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/model/results.js';
import { runCli, type CliRun } from '../helpers/memory-io.js';

export { runCli, type CliRun };

export const REPO = join(import.meta.dirname, '..', '..');
export const EXAMPLES = join(REPO, 'examples');

/** A scratch folder removed by `cleanup()`. */
export function scratch(prefix = 'wi-doctor-hostile-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of examples/NAME under `parent`; returns its path. */
export function copyExample(name: string, parent: string, as = name): string {
  const target = join(parent, as);
  cpSync(join(EXAMPLES, name), target, { recursive: true });
  return target;
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2));
}

/** Edit a JSON file of a bundle in place. */
export function editJson(bundle: string, path: string, edit: (json: Record<string, unknown>) => unknown): void {
  const full = join(bundle, path);
  const json = readJson(full) as Record<string, unknown>;
  const replaced = edit(json);
  writeJson(full, replaced === undefined ? json : replaced);
}

/** The JSON report of `check --from DIR --all` (or other targets), with exit code and stderr. */
export async function checkJson(bundle: string, targets: string[] = ['--all']): Promise<CliRun & { report?: Report }> {
  const run = await runCli(['check', '--from', bundle, ...targets, '--format', 'json']);
  const report = run.code === 2 ? undefined : (JSON.parse(run.stdout) as Report);
  return { ...run, ...(report ? { report } : {}) };
}

export function statusOf(report: Report | undefined, check: string, subject: string): string | undefined {
  return report?.results.find((r) => r.check === check && r.subject === subject)?.status;
}

/**
 * Characters a terminal acts on or hides: C0 and C1 controls (but newline), DEL, bidi controls and other
 * invisible formatting (Unicode Cf), line and paragraph separators.
 */
export const CONTROL = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
