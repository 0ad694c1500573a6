// `wi-doctor explain-error TEXT|-`: flags and help; the work is in ../actions/explain-error.ts.

import { Option } from 'commander';
import type { RegisterCommand } from '../host.js';

export const registerExplainError: RegisterCommand = (program, { io, setExit }) => {
  program
    .command('explain-error')
    .description(
      'Classify a pasted error message, or a whole log (- for stdin): likely causes, ranked, with the checks that confirm or rule each out.',
    )
    .argument('[text...]', 'the error text (quote it), or - to read it from stdin')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (text: string[], options: { format: 'text' | 'json' }) => {
      const { runExplainErrorCommand } = await import('../actions/explain-error.js');
      setExit(await runExplainErrorCommand(text, options, io));
    });
};
