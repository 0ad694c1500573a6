// `wi-doctor sandbox`: flags and help; the work is in ../actions/sandbox.ts.

import type { RegisterCommand } from '../host.js';
import { portNumber } from '../options.js';
import { Option } from 'commander';

export const registerSandbox: RegisterCommand = (program, { io, setExit }) => {
  program
    .command('sandbox')
    .description('Start a local Workload Identity world (GKE, IAM, Kubernetes, metadata servers) from a scenario.')
    .option('--scenario <file-or-name>', 'a scenario YAML file, or a shipped scenario name', 'healthy')
    .addOption(new Option('--port <n>', 'first port (0: free ports)').argParser(portNumber).default(0))
    .option('--env-file <file>', 'write `export NAME=value` lines here once ready (mode 0600, removed on exit)')
    // Node 20 takes `--env-file` as its own option wherever it appears when a launcher runs `node bin.js …`
    // (npx does); the installed `wi-doctor` executable is safe. `--env-out` is the same option without that trap.
    .option('--env-out <file>', 'the same as --env-file (use it with `npx` on Node 20)')
    .action(async (options: import('../actions/sandbox.js').SandboxCommandOptions & { envOut?: string }) => {
      const { runSandboxCommand } = await import('../actions/sandbox.js');
      setExit(await runSandboxCommand({ ...options, envFile: options.envFile ?? options.envOut }, io));
    });
};
