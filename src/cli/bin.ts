#!/usr/bin/env -S node --
// The `wi-doctor` executable. The `--` stops Node 20 from taking our own `--env-file FILE` (of `sandbox`)
// as its option and loading that file (nodejs/node parses it anywhere in argv).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
