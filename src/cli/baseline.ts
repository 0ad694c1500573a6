// The baseline file for commands that produce results: `.wi-doctor.yaml` in the current folder when there
// is one, the file of `--baseline FILE`, or none with `--no-baseline`.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { nearestNames } from '../model/edit-distance.js';
import type { Baseline, BaselineEntry } from '../report/baseline.js';
import { BASELINE_FILE, describeEntry } from '../report/baseline.js';

/** The stderr line of an expired baseline entry (the run fails). */
export function expiredLine(entry: BaselineEntry): string {
  return `${entry.where}: the suppression of ${describeEntry(entry)} expired on ${entry.expires ?? ''}: renew or remove it`;
}

/**
 * The baseline to apply: `option` is the `--baseline` value (a file, `false` for `--no-baseline`, or
 * undefined to look for `.wi-doctor.yaml` in `cwd`). `checkIds` are the ids an entry may name.
 */
export async function loadBaseline(
  option: string | boolean | undefined,
  cwd: string,
  checkIds: readonly string[],
): Promise<Baseline | undefined> {
  if (option === false) return undefined;
  const explicit = typeof option === 'string';
  const file = explicit ? option : BASELINE_FILE;
  const path = resolve(cwd, file);
  if (!existsSync(path)) {
    if (explicit) throw new UsageError(`--baseline ${file}: no such file`);
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${file}: cannot read the baseline (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  const known = new Set(checkIds);
  // The YAML parser is loaded only when there is a file to read.
  const { BaselineError, parseBaseline } = await import('../report/baseline-file.js');
  try {
    return parseBaseline(text, file, (id) => {
      if (known.has(id)) return undefined;
      const [close] = nearestNames(id, checkIds);
      return `unknown check id "${id}"${close === undefined ? '' : `; did you mean ${close}?`}`;
    });
  } catch (error) {
    if (error instanceof BaselineError) throw new UsageError(error.message);
    throw error;
  }
}
