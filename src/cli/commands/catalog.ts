// `wi-doctor checks`, `explain` and `permissions`: flags and help; the work is in ../actions/catalog.ts.

import { Option } from 'commander';
import type { RegisterCommand } from '../host.js';

export const registerCatalog: RegisterCommand = (program, { io, setExit }) => {
  program
    .command('permissions')
    .description('The read-only permissions and roles wi-doctor itself needs to diagnose live.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--audit', 'also what `audit` and `collect --audit` read (keys, activity, token logs)')
    .option('--scope', 'also what fleet runs read (Cloud Asset Inventory over --scope, --clusters)')
    .action(async (options: import('../actions/catalog.js').PermissionsCommandOptions) => {
      const { runPermissionsCommand } = await import('../actions/catalog.js');
      setExit(runPermissionsCommand(options, io));
    });

  program
    .command('checks')
    .description('List the checks: id, scope, what it checks and the facts it needs.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: { format: 'text' | 'json' }) => {
      const { runChecksCommand } = await import('../actions/catalog.js');
      setExit(runChecksCommand(options, io));
    });

  program
    .command('explain')
    .description("Show a check's documentation page.")
    .argument('<check-id>', 'a check id, e.g. wi-binding')
    .action(async (id: string) => {
      const { runExplainCommand } = await import('../actions/catalog.js');
      setExit(runExplainCommand(id, io));
    });
};
