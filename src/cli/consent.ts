// Consent before changing the world: --yes, or one y/N question on a terminal. Without a terminal and without
// --yes nothing is changed (a script must say so explicitly).

import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsageError } from '../engine/errors.js';
import type { Io } from './output.js';

export type ConsentIo = Io & { stdin?: NodeJS.ReadableStream & { isTTY?: boolean } };

/** True to go ahead. Throws a usage error when it cannot ask. */
export async function confirm(
  io: ConsentIo,
  question: string,
  yes: boolean | undefined,
  flag = '--yes',
): Promise<boolean> {
  if (yes === true) return true;
  const stdin = io.stdin ?? process.stdin;
  if (stdin.isTTY !== true) {
    throw new UsageError(`this changes the live world and there is no terminal to ask on: add ${flag} to go ahead`);
  }
  const rl = createInterface({ input: stdin, output: io.stderr, terminal: true });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(`${question} [y/N] `, resolve);
      rl.once('close', () => resolve(''));
    });
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Appends one JSON line per record to --log (created if absent, never truncated). */
export function logWriter(file: string | undefined): (record: Record<string, unknown>) => void {
  if (file === undefined) return () => undefined;
  try {
    appendFileSync(file, '');
  } catch (error) {
    throw new UsageError(`--log ${file}: cannot write (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return (record) => appendFileSync(file, `${JSON.stringify(record)}\n`);
}
