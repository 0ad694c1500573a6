// `wi-doctor check`: flags and help; the work is in ../actions/check.ts.

import { Option } from 'commander';
import { REPORT_FORMATS } from '../../report/formats.js';
import type { RegisterCommand } from '../host.js';
import { list, nonEmptyPath, withExamples } from '../options.js';
import { addFleetOptions, addLiveOptions } from './live-options.js';

export const registerCheck: RegisterCommand = (program, { io, setExit }) => {
  const check = program
    .command('check')
    .description('Diagnose Workload Identity for Kubernetes service accounts, workloads or pods.')
    .option(
      '--from <dir>',
      'an evidence bundle folder (see docs/bundle.md); without it, the live APIs are read',
      nonEmptyPath,
    )
    .option('--ksa <ns/name>', 'a Kubernetes service account (repeatable, or comma-separated)', list)
    .option('--workload <ns/kind/name>', 'a workload, e.g. shop/deployment/cart (repeatable)', list)
    .option('--pod <ns/name>', 'a pod (repeatable)', list)
    .option('--all', 'every KSA with a Google identity')
    .addOption(new Option('--format <format>', 'report format').choices(REPORT_FORMATS).default('text'))
    .option('--output <file>', 'write the report to a file instead of stdout', nonEmptyPath)
    .addOption(
      new Option('--fail-on <level>', 'exit 1 when a result reaches this level')
        .choices(['fail', 'warn', 'unknown'])
        .default('fail'),
    )
    .option('--hide-pass', 'count passing checks instead of listing them')
    .option('--brief', 'one line per subject: subject · verdict · first fix command (text only)')
    .option(
      '--baseline <file>',
      'findings to accept on purpose (default: .wi-doctor.yaml when present; see docs/baseline.md)',
    )
    .option('--no-baseline', 'ignore .wi-doctor.yaml')
    .option('--only <ids>', 'run only these checks (repeatable, or comma-separated)', list)
    .option('--skip <ids>', 'do not run these checks (repeatable, or comma-separated)', list)
    .option('--need <permission-or-role>', 'a permission or role the workload needs (repeatable)', list)
    .option('--on <resource>', 'full resource name the --need permissions are needed on')
    .option('--impersonate <email>', 'a service account the workload must be able to impersonate')
    .option('--e2e', 'also run the live token chain (TokenRequest → STS → generateAccessToken) for each KSA')
    .option('--error <text>', 'the error the workload saw: its likely causes order the evidence (see explain-error)')
    .option('--no-color', 'no colors in the text report (NO_COLOR is honoured too)');
  addFleetOptions(check);
  withExamples(check, [
    'wi-doctor check --from examples/missing-binding --ksa shop/cart',
    'wi-doctor check --from examples/multi-team --all --brief',
    'wi-doctor check --from examples/multi-team --workload payments/deploy/ledger',
    'wi-doctor check --from examples/missing-permission --ksa shop/cart --need pubsub.topics.publish',
    'wi-doctor check --from examples/multi-team --all --format sarif --output wi.sarif --fail-on warn',
    'wi-doctor check --ksa shop/cart --context gke_acme-shop_europe-west1_prod   # live: read the APIs',
  ]);
  addLiveOptions(check).action(async (options: import('../actions/check.js').CheckCommandOptions) => {
    const { runCheckCommand } = await import('../actions/check.js');
    setExit(await runCheckCommand(options, io));
  });
};
