// The only place that writes to the terminal or to report files.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { redactSecrets } from '../model/redact.js';
import { sanitize } from '../report/sanitize.js';

/** A line for stderr: messages carry data (file names, API answers, flag values), so it is redacted and escaped. */
export const safeLine = (message: string): string => sanitize(redactSecrets(message));

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** Print to stdout, or write the file given with `--output` (the terminal then gets one line saying where). */
export function emit(io: Io, text: string, outputFile: string | undefined): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  if (outputFile) {
    try {
      mkdirSync(dirname(outputFile), { recursive: true });
      writeFileSync(outputFile, body);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new UsageError(`--output ${outputFile}: cannot write the report (${code})`);
    }
    io.stderr.write(`wi-doctor: report written to ${safeLine(outputFile)}\n`);
  } else {
    io.stdout.write(body);
  }
}

export function warn(io: Io, message: string): void {
  io.stderr.write(`wi-doctor: ${safeLine(message)}\n`);
}
