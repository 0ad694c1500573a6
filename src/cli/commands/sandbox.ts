// `wi-doctor sandbox`: flags and help; the work is in ../actions/sandbox.ts.

import type { RegisterCommand } from '../host.js';
import { portNumber, withExamples } from '../options.js';
import { Option } from 'commander';

export const registerSandbox: RegisterCommand = (program, { io, setExit }) => {
  const sandbox = program
    .command('sandbox')
    .description('Start a local Workload Identity world (GKE, IAM, Kubernetes, metadata servers) from a scenario.')
    .option('--scenario <file-or-name>', 'a scenario YAML file, or a shipped scenario name', 'healthy')
    .addOption(new Option('--port <n>', 'first port (0: free ports)').argParser(portNumber).default(0))
    .option('--env-file <file>', 'write `export NAME=value` lines here once ready (mode 0600, removed on exit)')
    // Node 20 takes `--env-file` as its own option wherever it appears when a launcher runs `node bin.js …`
    // (npx does); the installed `wi-doctor` executable is safe. `--env-out` is the same option without that trap.
    .option('--env-out <file>', 'the same as --env-file (use it with `npx` on Node 20)');
  withExamples(sandbox, [
    'wi-doctor sandbox --scenario missing-binding --env-out /tmp/wi.env',
    '. /tmp/wi.env && wi-doctor check --ksa shop/cart   # in another shell, while it runs',
    'npx wi-doctor sandbox --scenario gsa-recreated --env-out /tmp/wi.env',
    'wi-doctor sandbox --scenario ./my-world.yaml --port 8080',
  ]).action(async (options: import('../actions/sandbox.js').SandboxCommandOptions & { envOut?: string }) => {
    const { runSandboxCommand } = await import('../actions/sandbox.js');
    setExit(await runSandboxCommand({ ...options, envFile: options.envFile ?? options.envOut }, io));
  });
};
