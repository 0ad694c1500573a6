// `wi-doctor demo`: the README's main command. Starts the built-in sandbox on a broken multi-team world
// (scenarios/demo.yaml), diagnoses it with the ordinary live collector over HTTP — pointed at the sandbox only
// through an environment object and a kubeconfig path, exactly as a user's shell would — as
// `check --all --e2e`, prints the report and stops the sandbox (also on error and on Ctrl-C). No cloud needed.

import { join } from 'node:path';
import e2eCheck from '../../checks/end-to-end-token.js';
import { CHECKS } from '../../checks/index.js';
import { factsFromFiles } from '../../collect/bundle/facts.js';
import { collectLiveInput, requiredFacts } from '../../collect/live/live.js';
import { diagnose } from '../../engine/diagnose.js';
import { exitCodeFor } from '../../model/results.js';
import { RENDERERS, shouldColor, terminalWidth } from '../../report/index.js';
import type { ReportFormat } from '../../report/index.js';
import { startSandbox } from '../../sandbox/index.js';
import type { RunningSandbox } from '../../sandbox/index.js';
import type { Io } from '../output.js';
import { emit, warn } from '../output.js';
import { packageVersion } from '../package-info.js';
import { liveHooks } from './collect.js';
import { SCENARIO_DIR, envLines, listenForStop } from './sandbox.js';

export interface DemoCommandOptions {
  format: ReportFormat;
  hidePass?: boolean;
  /** Keep the sandbox running after the report (until Ctrl-C), printing the environment that points at it. */
  keep?: boolean;
  /** Another scenario file instead of scenarios/demo.yaml. */
  scenario?: string;
}

export const DEMO_SCENARIO = join(SCENARIO_DIR, 'demo.yaml');

/** Exit code of a run stopped by Ctrl-C, as shells report SIGINT. */
const INTERRUPTED = 130;

class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

/** `check --all --e2e` over the live collector; the e2e check joins even before the registry lists it. */
async function diagnoseSandbox(
  sandbox: RunningSandbox,
  options: DemoCommandOptions,
  io: Io,
): Promise<{ text: string; exitCode: number }> {
  const checks = CHECKS.some((c) => c.id === e2eCheck.id) ? CHECKS : [...CHECKS, e2eCheck];
  // Everything that points at the sandbox is in this object; the collector has no sandbox-specific path.
  const env: NodeJS.ProcessEnv = { ...sandbox.env, METADATA_SERVER_DETECTION: 'none' };
  const hooks = { ...liveHooks(io, {}), env };
  let input;
  try {
    ({ input } = await collectLiveInput(
      { all: true, e2e: true, kubeconfig: sandbox.kubeconfig },
      requiredFacts(checks),
      hooks,
    ));
  } finally {
    hooks.finish();
  }
  const facts = factsFromFiles(input);
  for (const note of facts.notes) warn(io, note);
  const report = diagnose(facts, checks, {
    targets: { all: true },
    options: { need: [], on: undefined, impersonate: undefined, e2e: true },
    // Read live from the sandbox (the banner above the report says which): the header says "read live".
    source: 'live',
    version: packageVersion(),
    generatedAt: new Date().toISOString(),
  });
  const color = options.format === 'text' && shouldColor(io.stdout, io.env);
  const text = RENDERERS[options.format](report, {
    color,
    hidePass: options.hidePass ?? false,
    checks,
    width: terminalWidth(io.stdout),
  });
  return { text, exitCode: exitCodeFor(report.results, 'fail') };
}

export async function runDemoCommand(
  options: DemoCommandOptions,
  io: Io,
  signals: NodeJS.Process = process,
): Promise<number> {
  const scenario = options.scenario ?? DEMO_SCENARIO;
  const intro =
    'wi-doctor demo: a local sandbox world on 127.0.0.1 (scenarios/demo.yaml); no cloud project is touched and no credentials are used.\n';
  // The intro must not break a machine-readable report on stdout.
  (options.format === 'text' ? io.stdout : io.stderr).write(intro);

  let rejectInterrupt: (e: Error) => void = () => undefined;
  const interrupted = new Promise<never>((_, reject) => (rejectInterrupt = reject));
  interrupted.catch(() => undefined); // handled by the races below; never an unhandled rejection
  const onSignal = (): void => rejectInterrupt(new Interrupted());
  signals.on('SIGINT', onSignal);
  signals.on('SIGTERM', onSignal);
  let sandbox: RunningSandbox | undefined;
  let keepRunning: ReturnType<typeof listenForStop> | undefined;
  const starting = startSandbox({ scenario });
  try {
    sandbox = await Promise.race([starting, interrupted]);
    const running = sandbox;
    const { text, exitCode } = await Promise.race([diagnoseSandbox(running, options, io), interrupted]);
    emit(io, text, undefined);
    if (options.keep) {
      keepRunning = listenForStop(signals);
      signals.off('SIGINT', onSignal);
      signals.off('SIGTERM', onSignal);
      io.stderr.write(
        `wi-doctor: the sandbox keeps running; paste into a shell to point gcloud, kubectl and wi-doctor at it, Ctrl-C to stop:\n${envLines(running.env)}\n`,
      );
      await keepRunning.stopped;
    }
    return exitCode;
  } catch (error) {
    if (error instanceof Interrupted) {
      warn(io, 'interrupted');
      return INTERRUPTED;
    }
    throw error;
  } finally {
    signals.off('SIGINT', onSignal);
    signals.off('SIGTERM', onSignal);
    // A sandbox still starting when Ctrl-C came has to be stopped too: wait for it.
    const started = sandbox ?? (await starting.catch(() => undefined));
    if (started) {
      await started.stop();
      io.stderr.write('wi-doctor: sandbox stopped\n');
    }
    keepRunning?.release();
  }
}
