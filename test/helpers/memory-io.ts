// The CLI's streams in memory, for tests that call `main` or an action in-process and read what it wrote.

import { Writable } from 'node:stream';
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
