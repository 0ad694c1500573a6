// `wi-doctor audit`: flags and help; the work is in ../actions/audit.ts.

import { InvalidArgumentError, Option } from 'commander';
import { REPORT_FORMATS } from '../../report/formats.js';
import type { RegisterCommand } from '../host.js';
import { list, nonEmptyPath, withExamples } from '../options.js';
import { addFleetOptions, addLiveOptions } from './live-options.js';

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 400) throw new InvalidArgumentError('expected whole days from 1 to 400');
  return n;
}

export const registerAudit: RegisterCommand = (program, { io, setExit }) => {
  const audit = program
    .command('audit')
    .description(
      'Audit Workload Identity for least privilege: the cluster, its node pools, the GSAs its KSAs use and their projects.',
    )
    .option(
      '--from <dir>',
      'an evidence bundle folder (collect --audit writes one); without it, the live APIs are read',
      nonEmptyPath,
    )
    .addOption(new Option('--format <format>', 'report format').choices(REPORT_FORMATS).default('text'))
    .option('--output <file>', 'write the report to a file instead of stdout', nonEmptyPath)
    .addOption(
      new Option('--fail-on <level>', 'exit 1 when a result reaches this level')
        .choices(['fail', 'warn', 'unknown'])
        .default('fail'),
    )
    .option('--hide-pass', 'omit passing checks')
    .option(
      '--baseline <file>',
      'findings to accept on purpose (default: .wi-doctor.yaml when present; see docs/baseline.md)',
    )
    .option('--no-baseline', 'ignore .wi-doctor.yaml')
    .option('--only <ids>', 'run only these audit checks (repeatable, or comma-separated)', list)
    .option('--skip <ids>', 'do not run these audit checks (repeatable, or comma-separated)', list)
    .addOption(
      new Option('--unused-days <n>', 'unused-gsa: days without a token before a GSA counts as unused')
        .argParser(days)
        .default(90),
    )
    .option('--no-color', 'no colors in the text report (NO_COLOR is honoured too)');
  addFleetOptions(audit);
  withExamples(audit, [
    'wi-doctor audit --from examples/audit-findings',
    'wi-doctor audit --from examples/audit-findings --format sarif --output audit.sarif --fail-on warn',
    'wi-doctor audit --from examples/healthy --only primitive-roles,unused-gsa --unused-days 30',
    'wi-doctor audit --context gke_acme-shop_europe-west1_prod   # live: read the APIs',
  ]);
  addLiveOptions(audit).action(async (options: import('../actions/audit.js').AuditCommandOptions) => {
    const { runAuditCommand } = await import('../actions/audit.js');
    setExit(await runAuditCommand(options, io));
  });
};
