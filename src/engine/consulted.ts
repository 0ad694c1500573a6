// What a check read while it ran, so that the engine can hold it to one rule: a check that read a broken fact
// (one that could not be read: an error, a file or object that did not validate, or not collected) may fail
// (with evidence) or be unknown, but never pass. Checks read facts through a recording view of Facts and of
// their subject; the engine turns a pass that read a broken fact into `unknown` (runner.ts).
//
// A known-absent fact is not broken: "the GSA does not exist" is a fact, and gsa-exists fails on it.
//
// IAM policies (project, service-account, resource, folder, organization policies and custom roles) are left
// to the IAM evaluation, which accounts for them itself: allow policies only add grants, so a grant found in
// a readable policy stands whatever an unreadable one holds, and where the answer depends on an unreadable
// policy the evaluation says `unknown` (src/model/iam/evaluate.ts). Counting an unreadable organization policy
// (the usual case for a project owner) against every grant found would make every such pass unknown.

import type { Fact, Facts, UnavailableFact } from '../model/facts.js';
import type { Subject } from './subject.js';

/** Reads of Facts that are IAM policies (see above). */
const POLICY_READS = new Set<PropertyKey>([
  'projectPolicy',
  'serviceAccountPolicy',
  'customRole',
  'resourcePolicy',
  'ancestorPolicies',
  'resourcePolicies',
]);

const FACT_STATES = new Set(['present', 'absent', 'error', 'not-collected']);

function isFact(value: unknown): value is Fact<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const { status, source } = value as { status?: unknown; source?: unknown };
  return typeof status === 'string' && FACT_STATES.has(status) && typeof source === 'string';
}

/** The broken facts read during one check run. */
class Reads {
  readonly broken: UnavailableFact[] = [];
  record(fact: Fact<unknown>): void {
    if (fact.status === 'error' || fact.status === 'not-collected') this.broken.push(fact);
  }
  forget(fact: Fact<unknown>): void {
    const i = this.broken.lastIndexOf(fact as UnavailableFact);
    if (i >= 0) this.broken.splice(i, 1);
  }
}

/** The run in progress. Checks are synchronous and run one at a time, so one slot is enough. */
let current: Reads | undefined;

function record<T>(value: T): T {
  if (current !== undefined && isFact(value)) current.record(value);
  return value;
}

/** Run `body` and return what it produced with the broken facts it read through recording views. */
export function consulting<T>(body: () => T): { value: T; broken: UnavailableFact[] } {
  const outer = current;
  const reads = new Reads();
  current = reads;
  try {
    return { value: body(), broken: reads.broken };
  } finally {
    current = outer;
  }
}

/**
 * Mark a fact as read for information only (a count in a note, the state of another project shown "for
 * information"): it cannot change whether the check passes, so a broken one does not stop a pass. Use it
 * only where that is true.
 */
export function informational<T>(fact: Fact<T>): Fact<T> {
  current?.forget(fact);
  return fact;
}

/**
 * Run `body` with its reads not recorded: for a computation that is read for information only as a whole (a
 * static view shown beside a live result, which can turn a pass into a warning but never make one). Use it only
 * where that is true.
 */
export function informationalReads<T>(body: () => T): T {
  const outer = current;
  current = undefined;
  try {
    return body();
  } finally {
    current = outer;
  }
}

/** A view of `target` whose methods and properties record the facts they hand out. */
function recordingView<T extends object>(
  target: T,
  skip: ReadonlySet<PropertyKey>,
  nested: Partial<Record<PropertyKey, object>>,
): T {
  const methods = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  return new Proxy(target, {
    get(obj, prop) {
      const view = nested[prop as string];
      if (view !== undefined) return view;
      const value: unknown = Reflect.get(obj, prop, obj);
      if (skip.has(prop)) return value;
      if (typeof value === 'function') {
        let method = methods.get(prop);
        if (method === undefined) {
          const fn = value as (...args: unknown[]) => unknown;
          method = (...args: unknown[]) => record(fn.apply(obj, args));
          methods.set(prop, method);
        }
        return method;
      }
      return record(value);
    },
  });
}

const NOTHING = new Set<PropertyKey>();

/** Facts whose reads are recorded in the run in progress (one view per diagnosis keeps per-Facts caches warm). */
export function recordingFacts(facts: Facts): Facts {
  return recordingView(facts, POLICY_READS, { k8s: recordingView(facts.k8s, NOTHING, {}) });
}

const subjectViews = new WeakMap<Subject, Subject>();

/** A subject whose fact fields (its KSA, its pods) are recorded when a check reads them. */
export function recordingSubject(subject: Subject): Subject {
  let view = subjectViews.get(subject);
  if (view === undefined) {
    view = recordingView(subject, NOTHING, {});
    subjectViews.set(subject, view);
  }
  return view;
}
