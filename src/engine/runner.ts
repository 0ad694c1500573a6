// Runs checks against targets. A missing fact turns into `unknown` with the reason; an exception in one check
// becomes an `unknown` result for it and the run goes on (Lighthouse's runner does the same for audits).
// One rule holds for every check, whatever its code: a check that read a broken fact (an error, a file or
// object that did not validate, or not collected) may fail or be unknown, never pass (consulted.ts).

import type { AnyCheck, CheckContext, CheckOptions, CheckOutcome } from '../checks/define.js';
import type { Facts, UnavailableFact } from '../model/facts.js';
import { FactUnavailableError } from '../model/facts.js';
import type { RoleResolver } from '../model/iam/roles.js';
import type { CheckResult } from '../model/results.js';
import { docsUrl, flat } from '../model/results.js';
import { consulting, recordingFacts, recordingSubject } from './consulted.js';
import type { Subject, Target } from './subject.js';
import { targetLocation, targetSubject } from './targets.js';

export interface RunEnvironment {
  facts: Facts;
  roles: RoleResolver;
  options: CheckOptions;
}

/** The outcome of a check whose body threw: unknown, with what could not be read or the internal error. */
function thrownOutcome(check: AnyCheck, error: unknown): CheckOutcome {
  if (error instanceof FactUnavailableError) {
    const { fact } = error;
    const what = fact.status === 'not-collected' ? 'was not collected' : `could not be read (${fact.message})`;
    return {
      status: 'unknown',
      cause: `\`${fact.source}\` ${what}, so this could not be evaluated.`,
      missing: [fact.status === 'not-collected' ? fact.message : `${fact.source}: ${fact.message}`],
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: 'unknown',
    cause: `The check failed internally and could not be evaluated: ${message}`,
    missing: [`internal error in ${check.id}: ${message}`],
  };
}

/** A check's `run` on ctx; what it throws becomes its outcome (thrownOutcome). */
function runOutcome(check: AnyCheck, ctx: CheckContext): CheckOutcome {
  try {
    // The registry guarantees scope and target agree; the cast carries that across the union.
    return check.run(ctx as never);
  } catch (error) {
    return thrownOutcome(check, error);
  }
}

/** A check's `clusterWide` part on ctx (undefined: nothing to say); what it throws becomes its outcome. */
function clusterWideOutcome(check: AnyCheck, ctx: CheckContext): CheckOutcome | undefined {
  try {
    return check.clusterWide?.(ctx as never);
  } catch (error) {
    return thrownOutcome(check, error);
  }
}

/** The recording view of each Facts: one per diagnosis, so caches the checks keep per Facts stay warm. */
const views = new WeakMap<Facts, Facts>();

function viewOf(facts: Facts): Facts {
  let view = views.get(facts);
  if (view === undefined) {
    view = recordingFacts(facts);
    views.set(facts, view);
  }
  return view;
}

/** A pass that read a broken fact: unknown, naming what could not be read and what the check would have said. */
function mustNotPass(outcome: CheckOutcome, broken: readonly UnavailableFact[]): CheckOutcome {
  const seen = new Set<string>();
  const distinct = broken.filter((f) => {
    const key = `${f.source}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const [first] = distinct;
  const what =
    first === undefined
      ? 'a fact it read could not be read'
      : first.status === 'not-collected'
        ? `\`${first.source}\` was not collected`
        : `\`${first.source}\` could not be read (${first.message})`;
  return {
    status: 'unknown',
    cause: `${what}, so this cannot pass; on what could be read it would have: ${outcome.cause ?? 'passed'}`,
    evidence: {
      ...outcome.evidence,
      notes: [...(outcome.evidence?.notes ?? []), 'a check that read a fact it could not read never passes'],
    },
    missing: distinct.map((f) => (f.status === 'not-collected' ? f.message : `${f.source}: ${f.message}`)),
    ...(outcome.location !== undefined ? { location: outcome.location } : {}),
  };
}

/**
 * Runs one check body against the recording view of the facts. A pass that read a broken fact becomes
 * unknown (mustNotPass); `undefined` (a `clusterWide` part with nothing to say) stays undefined.
 */
function consultedOutcome(
  check: AnyCheck,
  ctx: CheckContext,
  part: (check: AnyCheck, ctx: CheckContext) => CheckOutcome | undefined = runOutcome,
): CheckOutcome | undefined {
  const { value, broken } = consulting(part, check, ctx);
  if (value === undefined) return undefined;
  return value.status === 'pass' && broken.length > 0 ? mustNotPass(value, broken) : value;
}

/** What a check that returned nothing gets (a check body written without a return). */
const NO_OUTCOME: CheckOutcome = { status: 'unknown', cause: 'The check returned no outcome.' };

export function runCheck(check: AnyCheck, target: Target, env: RunEnvironment): CheckResult {
  const seenTarget: Target =
    target.scope === 'subject' ? { scope: 'subject', subject: recordingSubject(target.subject) } : target;
  const ctx = { facts: viewOf(env.facts), roles: env.roles, options: env.options, target: seenTarget };
  return resultOf(check, targetSubject(target), locationOf(target), consultedOutcome(check, ctx) ?? NO_OUTCOME);
}

/**
 * The subject-scope checks on one subject, in order: one recording view of the subject serves them all, and
 * their results share its name and location.
 */
export function runSubjectChecks(checks: readonly AnyCheck[], subject: Subject, env: RunEnvironment): CheckResult[] {
  const target: Target = { scope: 'subject', subject };
  const ctx = {
    facts: viewOf(env.facts),
    roles: env.roles,
    options: env.options,
    target: { scope: 'subject', subject: recordingSubject(subject) } as const,
  };
  const location = locationOf(target);
  const results: CheckResult[] = [];
  for (const check of checks) {
    if (check.scope === 'subject') {
      results.push(resultOf(check, subject.id, location, consultedOutcome(check, ctx) ?? NO_OUTCOME));
    }
  }
  return results;
}

/** The once-per-cluster finding of a subject-scope check (`clusterWide`), if it has one. */
export function runClusterWide(
  check: AnyCheck,
  target: Extract<Target, { scope: 'cluster' }>,
  env: RunEnvironment,
): CheckResult | undefined {
  if (check.clusterWide === undefined) return undefined;
  const ctx = { facts: viewOf(env.facts), roles: env.roles, options: env.options, target };
  const outcome = consultedOutcome(check, ctx, clusterWideOutcome);
  return outcome === undefined
    ? undefined
    : { ...resultOf(check, targetSubject(target), locationOf(target), outcome), clusterWide: true };
}

/**
 * Results of one target share its location string. A subject's checks all run in one runSubjectChecks, which
 * asks once: only shared targets are remembered (20,000 subjects in a WeakMap would only weigh on the collector).
 */
const locations = new WeakMap<Target, string>();

function locationOf(target: Target): string {
  if (target.scope === 'subject') return flat(targetLocation(target));
  let location = locations.get(target);
  if (location === undefined) {
    location = flat(targetLocation(target));
    locations.set(target, location);
  }
  return location;
}

/** The result of a check on the target named `subject`, at `location` unless the outcome says where. */
function resultOf(check: AnyCheck, subject: string, location: string, outcome: CheckOutcome): CheckResult {
  const failing = outcome.status === 'fail' || outcome.status === 'warn';
  // Fixes stay plans here; the report layer renders their commands (src/report/fixes.ts).
  // Fields in the JSON report's order, so that the report writes the object as it is (src/report/json.ts);
  // set one by one, not spread, so that no object is made only to be copied.
  const result = {
    check: check.id,
    status: outcome.status,
    subject,
    title: failing ? check.failureTitle : check.title,
  } as CheckResult;
  // Left as built (a tree of pieces in V8): most causes of a streamed run are never read whole, and `reportOf`
  // flattens those it keeps.
  if (outcome.cause !== undefined) result.cause = outcome.cause;
  if (outcome.evidence !== undefined) result.evidence = outcome.evidence;
  result.fix = outcome.fix ?? [];
  result.docs = docsUrl(check.id);
  if (outcome.missing !== undefined) result.missing = outcome.missing;
  result.location = outcome.location ?? location;
  return result;
}

/** The result of a shared check that bears on none of the run's subjects: skipped, not run. */
export function notApplicable(check: AnyCheck, target: Target): CheckResult {
  return {
    check: check.id,
    status: 'skip',
    subject: targetSubject(target),
    title: check.title,
    cause: 'not applicable: it bears on none of the subjects checked (e.g. all of them use direct binding)',
    fix: [],
    docs: docsUrl(check.id),
    location: targetLocation(target),
  };
}
