// The live input: the wiring of credentials, endpoints and the call runner,
// and `liveFacts` for `check` without `--from`. Nothing here prints: progress and the HTTP trace go to
// callbacks the CLI gives.

import type { FactName } from '../../checks/define.js';
import { CHECKS } from '../../checks/index.js';
import { selectDiagnoseChecks } from '../../engine/diagnose.js';
import type { TargetRequest } from '../../engine/subjects.js';
import type { Facts } from '../../model/facts.js';
import { factsFromFiles } from '../bundle/facts.js';
import type { BundleInput } from '../bundle/facts.js';
import type { CallStats, TraceEvent } from './calls.js';
import { CallRunner } from './calls.js';
import { autoScope, fleetSearch, parseScopeFlag } from './asset.js';
import { collectLive } from './collect.js';
import type { CollectRequest } from './collect.js';
import { googleCredentials, loadKubeConfig, resolveClusterRef } from './credentials.js';
import { LiveTokenChain } from './e2e.js';
import { parseEndpointFlags, resolveEndpoints } from './endpoints.js';
import { GoogleApi } from './google.js';
import { KubeApi } from './kube.js';
import { requiredFacts } from './required.js';

export interface LiveOptions {
  project?: string;
  location?: string;
  cluster?: string;
  context?: string;
  kubeconfig?: string;
  accessTokenFile?: string;
  billingProject?: string;
  /** Seconds per call. */
  timeout?: number;
  concurrency?: number;
  /** `API=URL`, repeatable. */
  endpoint?: string[];
  debug?: boolean;
  quiet?: boolean;
}

/** What `check` (without --from) and `collect` pass: targets and check selection as for a bundle. */
export interface LiveRequestOptions extends LiveOptions {
  ksa?: string[];
  workload?: string[];
  pod?: string[];
  all?: boolean;
  only?: string[];
  skip?: string[];
  need?: string[];
  on?: string;
  impersonate?: string;
  /** Also run the live token chain of each subject KSA (TokenRequest, STS, generateAccessToken). */
  e2e?: boolean;
  /** Cloud Asset Inventory scope to search for grants: `organizations/N`, `folders/N`, `projects/P`, `auto` or `none` (default). */
  scope?: string;
}

export interface Progress {
  phase: string;
  done: number;
  started: number;
}

export interface LiveHooks {
  onProgress?: (progress: Progress) => void;
  /** One line per HTTP attempt (method, URL with credentials redacted, status, ms); only with --debug. */
  onTrace?: (event: TraceEvent) => void;
  env?: NodeJS.ProcessEnv;
  /** Test seams: backoff base and randomness. */
  retryBaseDelayMs?: number;
  maxAttempts?: number;
  random?: () => number;
}

export type LiveStats = CallStats & { totalCalls: number; phases: number };

export { requiredFacts };

/** Collect live into a bundle input (what `collect` writes and `liveFacts` reads). */
export async function collectLiveInput(
  options: LiveRequestOptions,
  requires: readonly FactName[],
  hooks: LiveHooks = {},
  /** Log evidence (audit, logs) and who-changed-it, beyond the checks' facts. */
  extra: Pick<CollectRequest, 'logs' | 'changeEvidence'> = {},
): Promise<{ input: BundleInput; stats: LiveStats; serviceAccounts: string[] }> {
  const env = hooks.env ?? process.env;
  const endpoints = resolveEndpoints(parseEndpointFlags(options.endpoint), env);
  const kc = loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context }, env);
  const cluster = resolveClusterRef(options, kc.getCurrentContext() || undefined);
  const credentials = googleCredentials(options, env);
  let phase = 'starting';
  const runner = new CallRunner({
    concurrency: options.concurrency ?? 8,
    timeoutMs: (options.timeout ?? 20) * 1000,
    ...(hooks.retryBaseDelayMs !== undefined ? { baseDelayMs: hooks.retryBaseDelayMs } : {}),
    ...(hooks.maxAttempts !== undefined ? { maxAttempts: hooks.maxAttempts } : {}),
    ...(hooks.random ? { random: hooks.random } : {}),
    ...(hooks.onTrace ? { onTrace: hooks.onTrace } : {}),
    onSettled: (done, started) => hooks.onProgress?.({ phase, done, started }),
  });
  const targets: TargetRequest = { all: options.all, ksa: options.ksa, workload: options.workload, pod: options.pod };
  const google = new GoogleApi(credentials, endpoints, runner);
  const scopeFlag = parseScopeFlag(options.scope, 'none');
  const notes: string[] = [];
  let scope: string | undefined;
  if (scopeFlag.kind === 'scope') scope = scopeFlag.scope;
  else if (scopeFlag.kind === 'auto') {
    const auto = await autoScope(google, cluster.project);
    scope = auto.scope;
    if (auto.note !== undefined) notes.push(auto.note);
  }
  const result = await collectLive(
    {
      cluster,
      google,
      kube: new KubeApi(kc, runner),
      stats: runner.stats,
      ...(options.e2e === true ? { tokenChain: new LiveTokenChain(kc, endpoints, runner) } : {}),
    },
    {
      requires,
      targets,
      options: { need: options.need, on: options.on, impersonate: options.impersonate, e2e: options.e2e },
      ...(scope !== undefined ? { assetSearches: [fleetSearch(scope)] } : {}),
      ...extra,
    },
    (name) => (phase = name),
  );
  result.input.notes = [...notes, ...(result.input.notes ?? [])];
  return result;
}

/** For `check` without `--from`: the facts of the selected checks and targets, read from the live APIs. */
export async function liveFacts(
  options: LiveRequestOptions,
  hooks: LiveHooks = {},
  extra: Pick<CollectRequest, 'logs' | 'changeEvidence'> = {},
): Promise<{ facts: Facts; notes: string[]; stats: LiveStats }> {
  const checks = selectDiagnoseChecks(CHECKS, options.only, options.skip);
  const { input, stats } = await collectLiveInput(options, requiredFacts(checks), hooks, extra);
  const facts = factsFromFiles(input);
  return { facts, notes: [...facts.notes], stats };
}
