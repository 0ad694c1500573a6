// The only place that writes to the terminal or to report files.

import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { redactSecrets } from '../model/redact.js';
import { sanitize } from '../report/sanitize.js';

/** A line for stderr: messages carry data (file names, API answers, flag values), so it is redacted and escaped. */
export const safeLine = (message: string): string => sanitize(redactSecrets(message));

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
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

/** Output is written in pieces of this many bytes: large enough to be cheap, small enough to stay small. */
const BATCH_BYTES = 1 << 20;

/**
 * Like `emit`, for a report produced in chunks: written as it is rendered (to the file of `--output`, or to
 * stdout waiting for the reader when the pipe is full), so that it never has to be one string.
 */
export async function emitChunks(io: Io, chunks: Iterable<string>, outputFile: string | undefined): Promise<void> {
  if (outputFile) {
    let fd: number;
    try {
      mkdirSync(dirname(outputFile), { recursive: true });
      fd = openSync(outputFile, 'w');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new UsageError(`--output ${outputFile}: cannot write the report (${code})`);
    }
    try {
      for (const batch of batches(chunks)) writeSync(fd, batch);
    } finally {
      closeSync(fd);
    }
    io.stderr.write(`wi-doctor: report written to ${outputFile}\n`);
    return;
  }
  // A reader that goes away (`… | head`) breaks the pipe: stop writing, and let the run end with its own exit
  // code (bin.ts keeps the broken pipe from becoming a stack trace). The rest of the report is still produced,
  // not written: a report streamed from a diagnosis diagnoses its subjects as it is produced, and the exit code
  // counts every one of them.
  let gone = false;
  const leave = (): void => {
    gone = true;
  };
  io.stdout.once('error', leave);
  io.stdout.once('close', leave);
  try {
    for (const batch of batches(chunks)) {
      if (gone) continue;
      if (!io.stdout.write(batch)) await writableAgain(io.stdout);
    }
  } finally {
    io.stdout.removeListener('error', leave);
    io.stdout.removeListener('close', leave);
  }
}

/** Resolves when `stream` drains, or when it breaks or closes (then nothing more will be written). */
function writableAgain(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.removeListener('drain', done);
      stream.removeListener('error', done);
      stream.removeListener('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}

/**
 * Chunks encoded straight into buffers of `BATCH_BYTES` (no joined string, no second copy to encode it); the last
 * one ends with a newline. A chunk too big for a buffer is encoded on its own.
 */
function* batches(chunks: Iterable<string>): Generator<Buffer> {
  let buffer = Buffer.allocUnsafe(BATCH_BYTES);
  let used = 0;
  let last = '';
  for (const chunk of chunks) {
    if (chunk === '') continue;
    last = chunk;
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    if (used + chunk.length * 3 > BATCH_BYTES) {
      if (used > 0) {
        yield buffer.subarray(0, used);
        // The one written may still be queued on a stream: a new buffer, never the same one again.
        buffer = Buffer.allocUnsafe(BATCH_BYTES);
        used = 0;
      }
      if (chunk.length * 3 > BATCH_BYTES) {
        yield Buffer.from(chunk, 'utf8');
        continue;
      }
    }
    used += buffer.write(chunk, used, 'utf8');
  }
  if (!last.endsWith('\n')) {
    if (used + 1 > BATCH_BYTES) {
      yield buffer.subarray(0, used);
      buffer = Buffer.allocUnsafe(1);
      used = 0;
    }
    used += buffer.write('\n', used, 'utf8');
  }
  if (used > 0) yield buffer.subarray(0, used);
}
