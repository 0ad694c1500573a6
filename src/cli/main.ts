// The command line: parses flags, calls one command, maps errors to exit codes (0 ok, 1 findings, 2 usage or
// input error) with one clear line and no stack trace.

import { Command, CommanderError, Option } from 'commander';
import { BundleError } from '../collect/bundle/read.js';
import { UsageError } from '../engine/errors.js';
import { addLiveOptions } from '../collect/live/live.js';
import { addProbeCommands } from '../probe/cli.js';
import { addTokenCommands } from './commands/token.js';
import { runChecksCommand, runExplainCommand, runPermissionsCommand } from './commands/catalog.js';
import type { CollectCommandOptions } from './commands/collect.js';
import type { DemoCommandOptions } from './commands/demo.js';
import { runDemoCommand } from './commands/demo.js';
import { runCollectCommand } from './commands/collect.js';
import type { SandboxCommandOptions } from './commands/sandbox.js';
import { runSandboxCommand } from './commands/sandbox.js';
import type { CheckCommandOptions } from './commands/check.js';
import { FORMATS, runCheckCommand } from './commands/check.js';
import type { Io } from './output.js';
import { processIo } from './output.js';
import { choice, list, portNumber } from './options.js';
import { packageVersion } from './package-info.js';

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('wi-doctor')
    .description('Find, explain and fix GKE Workload Identity problems.')
    .version(packageVersion())
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`wi-doctor: ${s.replace(/^error: /, '')}`),
    });

  const check = program
    .command('check')
    .description('Diagnose Workload Identity for Kubernetes service accounts, workloads or pods.')
    .option('--from <dir>', 'an evidence bundle folder (see docs/bundle.md); without it, the live APIs are read')
    .option('--ksa <ns/name>', 'a Kubernetes service account (repeatable, or comma-separated)', list)
    .option('--workload <ns/kind/name>', 'a workload, e.g. shop/deployment/cart (repeatable)', list)
    .option('--pod <ns/name>', 'a pod (repeatable)', list)
    .option('--all', 'every KSA with a Google identity')
    .addOption(new Option('--format <format>', 'report format').choices(FORMATS).default('text'))
    .option('--output <file>', 'write the report to a file instead of stdout')
    .addOption(
      new Option('--fail-on <level>', 'exit 1 when a result reaches this level')
        .argParser(choice(['fail', 'warn', 'unknown'] as const))
        .default('fail'),
    )
    .option('--hide-pass', 'omit passing checks from the checklist')
    .option('--only <ids>', 'run only these checks (repeatable, or comma-separated)', list)
    .option('--skip <ids>', 'do not run these checks (repeatable, or comma-separated)', list)
    .option('--need <permission-or-role>', 'a permission or role the workload needs (repeatable)', list)
    .option('--on <resource>', 'full resource name the --need permissions are needed on')
    .option('--impersonate <email>', 'a service account the workload must be able to impersonate')
    .option('--e2e', 'also run the live token chain (TokenRequest → STS → generateAccessToken) for each KSA')
    .option('--no-color', 'no colors in the text report (NO_COLOR is honoured too)');
  addLiveOptions(check).action(async (options: CheckCommandOptions) => {
    const { ksa, workload, pod, all } = options;
    if (!all && !ksa?.length && !workload?.length && !pod?.length) {
      throw new UsageError('name what to check: --ksa NS/KSA, --workload NS/KIND/NAME, --pod NS/POD, or --all');
    }
    setExit(await runCheckCommand(options, io));
  });

  const collect = program
    .command('collect')
    .description('Read the live APIs and write an evidence bundle (no secrets) that `check --from` diagnoses.')
    .option('--out <dir>', 'an empty folder for the bundle')
    .option('--force', 'write into a folder that is not empty')
    .option('--ksa <ns/name>', 'a Kubernetes service account (repeatable, or comma-separated)', list)
    .option('--workload <ns/kind/name>', 'a workload (repeatable)', list)
    .option('--pod <ns/name>', 'a pod (repeatable)', list)
    .option('--all', 'every KSA with a Google identity')
    .option('--need <permission-or-role>', 'also collect what --need checks read (repeatable)', list)
    .option('--on <resource>', 'full resource name the --need permissions are needed on')
    .option('--impersonate <email>', 'also collect the policy of this service account')
    .option('--e2e', 'also run the live token chain for each KSA and record each step (never the tokens)');
  addLiveOptions(collect).action(async (options: CollectCommandOptions) =>
    setExit(await runCollectCommand(options, io)),
  );

  program
    .command('demo')
    .description('Start the built-in sandbox on a broken multi-team world and diagnose it over HTTP (no cloud needed).')
    .addOption(new Option('--format <format>', 'report format').choices(FORMATS).default('text'))
    .option('--hide-pass', 'omit passing checks from the checklist')
    .option('--keep', 'leave the sandbox running after the report, until Ctrl-C')
    .action(async (options: DemoCommandOptions) => setExit(await runDemoCommand(options, io)));

  program
    .command('permissions')
    .description('The read-only permissions and roles wi-doctor itself needs to diagnose live.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((options: { format: 'text' | 'json' }) => setExit(runPermissionsCommand(options, io)));

  program
    .command('sandbox')
    .description('Start a local Workload Identity world (GKE, IAM, Kubernetes, metadata servers) from a scenario.')
    .option('--scenario <file-or-name>', 'a scenario YAML file, or a shipped scenario name', 'healthy')
    .addOption(new Option('--port <n>', 'first port (0: free ports)').argParser(portNumber).default(0))
    .option('--env-file <file>', 'write `export NAME=value` lines here once ready (mode 0600, removed on exit)')
    // Node 20 takes `--env-file` as its own option wherever it appears when a launcher runs `node bin.js …`
    // (npx does); the installed `wi-doctor` executable is safe. `--env-out` is the same option without that trap.
    .option('--env-out <file>', 'the same as --env-file (use it with `npx` on Node 20)')
    .action(async (options: SandboxCommandOptions & { envOut?: string }) =>
      setExit(await runSandboxCommand({ ...options, envFile: options.envFile ?? options.envOut }, io)),
    );

  program
    .command('checks')
    .description('List the checks: id, scope, what it checks and the facts it needs.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((options: { format: 'text' | 'json' }) => setExit(runChecksCommand(options, io)));

  program
    .command('explain')
    .description("Show a check's documentation page.")
    .argument('<check-id>', 'a check id, e.g. wi-binding')
    .action((id: string) => setExit(runExplainCommand(id, io)));

  addProbeCommands(program, io, setExit);
  addTokenCommands(program, io, setExit);

  return program;
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError || error instanceof BundleError) {
      io.stderr.write(`wi-doctor: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`wi-doctor: unexpected error: ${message}\n`);
    if (io.env.WI_DOCTOR_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return 2;
  }
}
