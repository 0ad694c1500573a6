// `wi-doctor collect`: flags and help; the work is in ../actions/collect.ts.

import { InvalidArgumentError, Option } from 'commander';
import type { RegisterCommand } from '../host.js';
import { list, nonEmptyPath, withExamples } from '../options.js';
import { addLiveOptions } from './live-options.js';

export const registerCollect: RegisterCommand = (program, { io, setExit }) => {
  const collect = program
    .command('collect')
    .description('Read the live APIs and write an evidence bundle (no secrets) that `check --from` diagnoses.')
    .option('--out <dir>', 'an empty folder for the bundle', nonEmptyPath)
    .option('--force', 'write into a folder that is not empty')
    .option('--ksa <ns/name>', 'a Kubernetes service account (repeatable, or comma-separated)', list)
    .option('--workload <ns/kind/name>', 'a workload (repeatable)', list)
    .option('--pod <ns/name>', 'a pod (repeatable)', list)
    .option('--all', 'every KSA with a Google identity')
    .option('--need <permission-or-role>', 'also collect what --need checks read (repeatable)', list)
    .option('--on <resource>', 'full resource name the --need permissions are needed on')
    .option('--impersonate <email>', 'also collect the policy of this service account')
    .option('--e2e', 'also run the live token chain for each KSA and record each step (never the tokens)')
    .option(
      '--scope <scope>',
      'also search Cloud Asset Inventory for grants: organizations/N, folders/N, projects/P or auto',
    )
    .option('--audit', 'also collect what `audit --from` reads (keys, Policy Analyzer activity, token logs)')
    .addOption(
      new Option('--unused-days <n>', 'with --audit: the window of token logs read for unused-gsa')
        .argParser((v: string) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1 || n > 400)
            throw new InvalidArgumentError('expected whole days from 1 to 400');
          return n;
        })
        .default(90),
    );
  withExamples(collect, [
    'wi-doctor collect --all --out ./bundle',
    'wi-doctor collect --ksa shop/cart --e2e --out ./bundle --context gke_acme-shop_europe-west1_prod',
    'wi-doctor collect --all --audit --out ./bundle   # also what audit --from reads',
    'wi-doctor check --from ./bundle --all   # diagnose it later, offline',
  ]);
  addLiveOptions(collect).action(async (options: import('../actions/collect.js').CollectCommandOptions) => {
    const { runCollectCommand } = await import('../actions/collect.js');
    setExit(await runCollectCommand(options, io));
  });
};
