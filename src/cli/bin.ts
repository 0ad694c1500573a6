#!/usr/bin/env -S node --
// The `wi-doctor` executable. The `--` stops Node 20 from taking our own `--env-file FILE` (of `sandbox`)
// as its option and loading that file (nodejs/node parses it anywhere in argv).
import { setFlagsFromString } from 'node:v8';
import { main } from './main.js';

// V8 allocates objects made at an allocation site straight in the old generation once most of those it sampled
// lived through a minor collection ("pretenuring"). Sites that make the bundle's long-lived objects while it is
// read also make the checks' short-lived ones afterwards, which then pile up in the old generation until a full
// collection, and their young children are kept alive from there. On 20,000 KSAs `check --all` peaked about
// 70 MB lower without it (four alternating runs of node with and without the flag: text 342–361 → 265–317 MiB,
// JSON 442–450 → 378–386 MiB) and ran no slower. The flag is read when V8 makes a decision, so setting it here,
// once the modules are loaded and before the bundle is read, applies to all that allocates much.
setFlagsFromString('--no-allocation-site-pretenuring');

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
