// Proof after a change: re-collect and re-diagnose the subjects with the real token chain (TokenRequest → STS
// → generateAccessToken, the --e2e machinery), and when only the chain still fails, wait and try again with
// backoff until it works or the bound passes. IAM changes take seconds to minutes to apply everywhere (about
// two minutes, sometimes seven or more), so a chain that fails right after a correct change is expected; a
// static failure that remains is not something waiting cures, and ends verification at once.

import type { E2eResult, Facts } from '../model/facts.js';
import type { CheckResult, Report } from '../model/results.js';

/** Checks whose failure may be IAM propagation: the live chain. */
const WAITABLE = new Set(['end-to-end-token']);

export interface Observation {
  report: Report;
  /** The chain's outcome per subject KSA (`NS/KSA`), as run this round; absent when it could not run. */
  chains: ReadonlyMap<string, E2eResult | undefined>;
  /** The subjects as resolved this round (a fix may change the KSA a workload runs as). */
  subjects?: readonly { id: string; ksa: string }[];
  /** The facts the report was made from (a new plan can be built from them). */
  facts?: Facts;
}

export interface VerifyOptions extends PollOptions {
  /** Subject ids of the report to judge, and the KSA each runs as. */
  subjects: readonly { id: string; ksa: string }[];
  /** One round: collect live with the chain and diagnose. */
  observe: () => Promise<Observation>;
}

export interface VerifyResult {
  ok: boolean;
  report: Report;
  /** The last round's observation. */
  observation: Observation;
  rounds: number;
  elapsedMs: number;
  /** Failing results bearing on the subjects, in the last round. */
  failing: CheckResult[];
  /** Subjects whose chain did not work in the last round, with the step that failed. */
  brokenChains: { ksa: string; problem: string }[];
  /** Why verification stopped without success. */
  reason?: string;
}

/** The first failed step of a chain, as one line. */
export function chainProblem(chain: E2eResult | undefined): string | undefined {
  if (chain === undefined) return 'the token chain could not run';
  const bad = chain.steps.find((s) => !s.ok);
  if (bad === undefined) return chain.steps.length === 0 ? 'the token chain did not run' : undefined;
  return `${bad.step}: ${bad.status !== undefined ? `${bad.status} ` : ''}${bad.code !== undefined ? `${bad.code} ` : ''}${bad.error ?? ''}`.trim();
}

function judge(observation: Observation, wanted: VerifyOptions['subjects']) {
  const subjects = observation.subjects?.filter((s) => wanted.some((w) => w.id === s.id)) ?? wanted;
  const ids = new Set<string>();
  for (const v of observation.report.verdicts) {
    if (!subjects.some((s) => s.id === v.subject)) continue;
    ids.add(v.subject);
    for (const r of v.related) ids.add(r);
  }
  const failing = observation.report.results.filter((r) => r.status === 'fail' && ids.has(r.subject));
  const brokenChains = [...new Set(subjects.map((s) => s.ksa))].flatMap((ksa) => {
    const problem = chainProblem(observation.chains.get(ksa));
    return problem === undefined ? [] : [{ ksa, problem }];
  });
  return { failing, brokenChains };
}

export interface PollOptions {
  timeoutMs: number;
  /** First wait (then doubling, at most maxDelayMs); default 2 s. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each wait: seconds since polling started (at the next try), and why it waits. */
  onWait?: (elapsedSeconds: number, reason: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** One try: done, worth another try after a wait, or hopeless. */
export type Attempt<T> = { state: 'ok'; value: T } | { state: 'retry' | 'stop'; value: T; reason: string };

/** Try until ok, stop, or the bound passes, waiting with exponential backoff in between. */
export async function pollWithBackoff<T>(
  attempt: () => Promise<Attempt<T>>,
  options: PollOptions,
): Promise<{ ok: boolean; value: T; tries: number; elapsedMs: number; reason?: string }> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const start = now();
  const deadline = start + options.timeoutMs;
  let delay = options.firstDelayMs ?? 2000;
  const maxDelay = options.maxDelayMs ?? 20_000;
  for (let tries = 1; ; tries++) {
    const outcome = await attempt();
    if (outcome.state === 'ok') return { ok: true, value: outcome.value, tries, elapsedMs: now() - start };
    if (outcome.state === 'stop') {
      return { ok: false, value: outcome.value, tries, elapsedMs: now() - start, reason: outcome.reason };
    }
    const remaining = deadline - now();
    if (remaining <= 0) {
      const seconds = Math.round((now() - start) / 1000);
      return {
        ok: false,
        value: outcome.value,
        tries,
        elapsedMs: now() - start,
        reason: `still failing after ${seconds} s: ${outcome.reason}`,
      };
    }
    const wait = Math.min(delay, remaining);
    options.onWait?.(Math.round((now() - start + wait) / 1000), outcome.reason);
    await sleep(wait);
    delay = Math.min(delay * 2, maxDelay);
  }
}

export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const polled = await pollWithBackoff<{
    observation: Observation;
    failing: CheckResult[];
    brokenChains: VerifyResult['brokenChains'];
  }>(async () => {
    const observation = await options.observe();
    const { failing, brokenChains } = judge(observation, options.subjects);
    const value = { observation, failing, brokenChains };
    if (failing.length === 0 && brokenChains.length === 0) return { state: 'ok', value };
    const staticFailures = failing.filter((r) => !WAITABLE.has(r.check));
    if (staticFailures.length > 0) {
      return {
        state: 'stop',
        value,
        reason: `still failing: ${staticFailures.map((r) => `${r.check} on ${r.subject}`).join(', ')}`,
      };
    }
    return {
      state: 'retry',
      value,
      reason: brokenChains.map((b) => `${b.ksa}: ${b.problem}`).join('; ') || 'end-to-end-token fails',
    };
  }, options);
  return {
    ok: polled.ok,
    report: polled.value.observation.report,
    observation: polled.value.observation,
    rounds: polled.tries,
    elapsedMs: polled.elapsedMs,
    failing: polled.value.failing,
    brokenChains: polled.value.brokenChains,
    ...(polled.reason !== undefined ? { reason: polled.reason } : {}),
  };
}
