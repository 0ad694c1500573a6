// `wi-doctor explain-error TEXT|-`: flags and help; the work is in ../actions/explain-error.ts.

import { Option } from 'commander';
import type { RegisterCommand } from '../host.js';
import { withExamples } from '../options.js';

export const registerExplainError: RegisterCommand = (program, { io, setExit }) => {
  const explainError = program
    .command('explain-error')
    .description(
      'Classify a pasted error message, or a whole log (- for stdin): likely causes, ranked, with the checks that confirm or rule each out.',
    )
    .argument('[text...]', 'the error text (quote it), or - to read it from stdin')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  withExamples(explainError, [
    `wi-doctor explain-error "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist)."`,
    'wi-doctor explain-error --format json "curl: (6) Could not resolve host: metadata"',
    'kubectl logs -n shop deploy/cart | wi-doctor explain-error -   # a whole log',
  ]);
  explainError.action(async (text: string[], options: { format: 'text' | 'json' }) => {
    const { runExplainErrorCommand } = await import('../actions/explain-error.js');
    setExit(await runExplainErrorCommand(text, options, io));
  });
};
