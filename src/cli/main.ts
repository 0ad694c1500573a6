// The command line: parses flags, calls one command, maps errors to exit codes (0 ok, 1 findings, 2 usage or
// input error) with one clear line and no stack trace. Commands are declared in ./commands/ and do their
// work in ./actions/, loaded only when they run.

import { Command, CommanderError } from 'commander';
import { BundleError } from '../collect/bundle/manifest.js';
import { UsageError } from '../engine/errors.js';
import { COMMANDS } from './commands/index.js';
import type { CommandHost } from './host.js';
import { withExamples } from './options.js';
import { processIo, safeLine } from './output.js';
import { packageVersion } from './package-info.js';

export function buildProgram(host: CommandHost): Command {
  const { io } = host;
  const program = new Command('wi-doctor')
    .description('Find, explain and fix GKE Workload Identity problems.')
    .version(packageVersion())
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`wi-doctor: ${commanderErrorLine(s)}\n`),
    });
  for (const register of COMMANDS) register(program, host);
  withExamples(program, [
    'wi-doctor demo                                        # a broken world diagnosed end to end, no cloud',
    'wi-doctor check --from examples/missing-binding --all # an evidence bundle, offline',
    'wi-doctor check --ksa shop/cart                       # live: the current kubeconfig context',
    'wi-doctor <command> --help                            # flags and examples of one command',
  ]);
  return program;
}

/**
 * Commander's error as one line: its "(Did you mean …?)" comes after a newline of its own, joined here with a
 * space; everything else (the option or command the user typed) is still escaped by `safeLine`.
 */
export function commanderErrorLine(message: string): string {
  const text = message.replace(/^error: /, '').replace(/\n$/, '');
  const suggestion = /\n(\(Did you mean [^\n]*\?\))$/.exec(text);
  if (!suggestion?.[1]) return safeLine(text);
  return `${safeLine(text.slice(0, suggestion.index))} ${safeLine(suggestion[1])}`;
}

export async function main(argv: readonly string[], io: CommandHost['io'] = processIo()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram({ io, setExit: (code) => (exitCode = code) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError || error instanceof BundleError) {
      io.stderr.write(`wi-doctor: ${safeLine(error.message)}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`wi-doctor: unexpected error: ${safeLine(message)}\n`);
    if (io.env.WI_DOCTOR_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return 2;
  }
}
