#!/usr/bin/env node
// The `wi-doctor` executable.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
