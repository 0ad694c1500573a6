// The CLI's streams in memory, for tests that run `main` or an action in-process and read what it wrote.

import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

export type MemoryIo = Io & { out(): string; err(): string };

export function memoryIo(env: NodeJS.ProcessEnv = { NO_COLOR: '1' }): MemoryIo {
  let out = '';
  let err = '';
  const sink = (write: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        write(chunk.toString());
        cb();
      },
    });
  return {
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    env,
    out: () => out,
    err: () => err,
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `wi-doctor ARGS` in this process with captured output (colour off unless `env` asks), `stdin` if given. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = { NO_COLOR: '1' },
  stdin?: string | Uint8Array,
): Promise<CliRun> {
  const io: MemoryIo & { stdin?: NodeJS.ReadableStream } = memoryIo(env);
  if (stdin !== undefined) {
    const input = new PassThrough();
    input.end(stdin);
    io.stdin = input;
  }
  const code = await main(args, io);
  return { code, stdout: io.out(), stderr: io.err() };
}
