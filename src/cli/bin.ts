#!/usr/bin/env -S node --
// The `wi-doctor` executable. The `--` stops Node 20 from taking our own `--env-file FILE` (of `sandbox`)
// as its option and loading that file (nodejs/node parses it anywhere in argv).
import { main } from './main.js';

// A reader that stops early (`wi-doctor check … | head`) closes the pipe: the rest of the output has nowhere to
// go, which is no error of ours. Stop quietly, as other Unix tools do, instead of a stack trace: the report
// stops being written (output.ts) and the run ends with its own exit code (the diagnosis' 0 or 1).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));
