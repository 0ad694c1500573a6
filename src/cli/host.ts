// What a command's declaration gets from main.ts: where to print and how to set the exit code.
// Declarations (src/cli/commands/) are light: they load their action (src/cli/actions/) only when the
// command runs, so `--version`, `--help` and small commands start fast.

import type { Command } from 'commander';
import type { Io } from './output.js';

export interface CommandHost {
  io: Io & { stdin?: NodeJS.ReadableStream };
  setExit: (code: number) => void;
}

/** Adds one command (or a command with subcommands) to the program. */
export type RegisterCommand = (program: Command, host: CommandHost) => void;
