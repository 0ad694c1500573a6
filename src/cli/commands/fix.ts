// `wi-doctor fix`: flags and help; the work is in ../actions/fix.ts.

import { InvalidArgumentError, Option } from 'commander';
import type { RegisterCommand } from '../host.js';
import { list, nonEmptyPath, withExamples } from '../options.js';
import { addLiveOptions } from './live-options.js';

const PLAN_FORMATS = ['text', 'json', 'shell', 'terraform'] as const;

/** Seconds, a positive number: the bound of the post-apply verification. */
export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

export const registerFix: RegisterCommand = (program, { io, setExit }) => {
  const fix = program
    .command('fix')
    .description(
      'Plan the fixes of a diagnosis (text, JSON, shell or Terraform); with --apply, make them live and prove them with the token chain.',
    )
    .option('--from <dir>', 'plan from an evidence bundle (offline; --apply is not possible then)', nonEmptyPath)
    .option('--ksa <ns/name>', 'a Kubernetes service account (repeatable, or comma-separated)', list)
    .option('--workload <ns/kind/name>', 'a workload, e.g. shop/deployment/cart (repeatable)', list)
    .option('--pod <ns/name>', 'a pod (repeatable)', list)
    .option('--all', 'every KSA with a Google identity')
    .option('--need <permission-or-role>', 'a permission or role the workload needs (repeatable)', list)
    .option('--on <resource>', 'full resource name the --need permissions are needed on')
    .option('--impersonate <email>', 'a service account the workload must be able to impersonate')
    .addOption(new Option('--format <format>', 'plan format').choices(PLAN_FORMATS).default('text'))
    .option(
      '--output <file>',
      'write the plan (or, with --apply, the result) to a file instead of stdout',
      nonEmptyPath,
    )
    .option('--apply', 'make the changes (asks once on a terminal), then verify them')
    .option('--yes', 'with --apply: do not ask (CI, scripts)')
    .option('--allow-disruptive', 'with --apply: also change node pools and clusters, and remove IAM members')
    .addOption(
      new Option('--verify-timeout <seconds>', 'with --apply: how long to wait for IAM propagation')
        .argParser(seconds)
        .default(180),
    )
    .option('--log <file>', 'with --apply: append every change as a JSON line to this file', nonEmptyPath);
  withExamples(fix, [
    'wi-doctor fix --from examples/missing-binding --ksa shop/cart   # the plan, offline',
    'wi-doctor fix --from examples/multi-team --all --format shell --output fix.sh',
    'wi-doctor fix --ksa shop/cart --apply   # asks once, applies, then verifies with the token chain',
    'wi-doctor fix --all --apply --yes --allow-disruptive --log fix.jsonl',
  ]);
  addLiveOptions(fix).action(async (options: import('../actions/fix.js').FixCommandOptions) => {
    const { runFixCommand } = await import('../actions/fix.js');
    setExit(await runFixCommand(options, io));
  });
};
