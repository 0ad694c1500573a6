#!/usr/bin/env -S node --
// The `wi-doctor` executable. The `--` stops Node 20 from taking our own `--env-file FILE` (of `sandbox`)
// as its option and loading that file (nodejs/node parses it anywhere in argv).
import { main } from './main.js';

// A reader that stops early (`wi-doctor check … | head`) closes the pipe: the rest of the output has nowhere to
// go, which is no error of ours. Stop quietly, as other Unix tools do, instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));
