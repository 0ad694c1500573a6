// `wi-doctor checks`, `explain` and `permissions`: flags and help; the work is in ../actions/catalog.ts.

import { Option } from 'commander';
import type { RegisterCommand } from '../host.js';
import { withExamples } from '../options.js';

export const registerCatalog: RegisterCommand = (program, { io, setExit }) => {
  withExamples(
    program
      .command('permissions')
      .description('The read-only permissions and roles wi-doctor itself needs to diagnose live.')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
      .option('--audit', 'also what `audit` and `collect --audit` read (keys, activity, token logs)')
      .option('--scope', 'also what fleet runs read (Cloud Asset Inventory over --scope, --clusters)')
      .option('--e2e', 'also what `check --e2e` needs: a TokenRequest per KSA (container.serviceAccounts.createToken)'),
    [
      'wi-doctor permissions',
      'wi-doctor permissions --format json',
      'wi-doctor permissions --audit --scope',
      'wi-doctor permissions --e2e',
    ],
  ).action(async (options: import('../actions/catalog.js').PermissionsCommandOptions) => {
    const { runPermissionsCommand } = await import('../actions/catalog.js');
    setExit(runPermissionsCommand(options, io));
  });

  withExamples(
    program
      .command('checks')
      .description('List the checks: id, scope, what it checks and the facts it needs.')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')),
    ['wi-doctor checks', 'wi-doctor checks --format json'],
  ).action(async (options: { format: 'text' | 'json' }) => {
    const { runChecksCommand } = await import('../actions/catalog.js');
    setExit(runChecksCommand(options, io));
  });

  withExamples(
    program
      .command('explain')
      .description("Show a check's documentation page.")
      .argument('<check-id>', 'a check id, e.g. wi-binding (`wi-doctor checks` lists them)'),
    ['wi-doctor explain wi-binding', 'wi-doctor explain nodepool-gke-metadata'],
  ).action(async (id: string) => {
    const { runExplainCommand } = await import('../actions/catalog.js');
    setExit(runExplainCommand(id, io));
  });
};
