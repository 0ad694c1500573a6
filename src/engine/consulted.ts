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

/** A fact that could not be read: an error, or not collected. */
function isBroken(value: unknown): value is UnavailableFact {
  if (typeof value !== 'object' || value === null) return false;
  const { status, source } = value as { status?: unknown; source?: unknown };
  return (status === 'error' || status === 'not-collected') && typeof source === 'string';
}

/** The broken facts read during one check run. */
class Reads {
  readonly broken: UnavailableFact[] = [];
  forget(fact: Fact<unknown>): void {
    const i = this.broken.lastIndexOf(fact as UnavailableFact);
    if (i >= 0) this.broken.splice(i, 1);
  }
}

/** The run in progress. Checks are synchronous and run one at a time, so one slot is enough. */
let current: Reads | undefined;

function record<T>(value: T): T {
  if (current !== undefined && isBroken(value)) current.broken.push(value);
  return value;
}

/**
 * Call `body(a, b)` and return what it produced with the broken facts it read through recording views. Takes the
 * arguments rather than a closure over them: the engine calls it for every check run.
 */
export function consulting<A, B, T>(body: (a: A, b: B) => T, a: A, b: B): { value: T; broken: UnavailableFact[] } {
  const outer = current;
  const reads = new Reads();
  current = reads;
  try {
    return { value: body(a, b), broken: reads.broken };
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

/** Every property name of `target` and of its prototypes (methods of a class), `Object.prototype`'s aside. */
function propertyNames(target: object): PropertyKey[] {
  const names = new Set<PropertyKey>();
  for (
    let o: object | null = target;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o) as object | null
  ) {
    for (const name of Reflect.ownKeys(o)) if (name !== 'constructor') names.add(name);
  }
  return [...names];
}

/**
 * A view of `target` whose methods and properties record the facts they hand out: made once per Facts (every
 * property and method of the target, found when the view is made), so that a read costs a property access and
 * not a Proxy trap (hundreds of thousands of check runs read through it).
 */
function recordingView<T extends object>(
  target: T,
  skip: ReadonlySet<PropertyKey>,
  nested: Partial<Record<PropertyKey, object>>,
): T {
  const view = {};
  // Read as `source[prop]` (an inline-cached property read), not Reflect.get: checks read Facts' properties
  // (the cluster, the time of collection) hundreds of thousands of times.
  const source = target as Record<PropertyKey, unknown>;
  for (const prop of propertyNames(target)) {
    const nestedView = nested[prop as string];
    const value: unknown = Reflect.get(target, prop, target);
    let descriptor: PropertyDescriptor;
    if (nestedView !== undefined) {
      descriptor = { value: nestedView };
    } else if (typeof value === 'function') {
      const fn = value as (...args: unknown[]) => unknown;
      descriptor = {
        value: skip.has(prop)
          ? (...args: unknown[]) => fn.apply(target, args)
          : (...args: unknown[]) => record(fn.apply(target, args)),
      };
    } else {
      // Read when the check reads it, as the target holds it then.
      descriptor = skip.has(prop) ? { get: () => source[prop] } : { get: () => record(source[prop]) };
    }
    Object.defineProperty(view, prop, { ...descriptor, enumerable: true });
  }
  return view as T;
}

const NOTHING = new Set<PropertyKey>();

/** Facts whose reads are recorded in the run in progress (one view per diagnosis keeps per-Facts caches warm). */
export function recordingFacts(facts: Facts): Facts {
  return recordingView(facts, POLICY_READS, { k8s: recordingView(facts.k8s, NOTHING, {}) });
}

/** Where a subject view keeps the subject it shows. */
const SOURCE = Symbol('subject');

type SubjectView = Subject & { [SOURCE]: Subject };

/** The fields of Subject that hold a fact (its KSA, its pods), from the type: a new one cannot be left out below. */
type FactField = { [K in keyof Subject]-?: Subject[K] extends Fact<unknown> ? K : never }[keyof Subject];

/**
 * One getter per fact field, shared by every subject view: views made the same way share V8's hidden class, so
 * the checks' property reads stay fast.
 */
const FACT_FIELDS: Record<FactField, PropertyDescriptor & ThisType<SubjectView>> = {
  ksa: {
    enumerable: true,
    get() {
      return record(this[SOURCE].ksa);
    },
  },
  pods: {
    enumerable: true,
    get() {
      return record(this[SOURCE].pods);
    },
  },
};

const FACT_FIELD_NAMES = Object.keys(FACT_FIELDS) as FactField[];

/**
 * A subject whose fact fields (its KSA, its pods) are recorded when a check reads them: a copy of the subject in
 * which every field that holds a fact is a getter that records it. Make one per subject and diagnosis.
 *
 * The other fields are copied in one literal (every field of Subject but the facts, checked by the type), not
 * one by one: 20,000 subjects get a view each.
 */
export function recordingSubject(subject: Subject): Subject {
  const view: Omit<Subject, FactField> = {
    id: subject.id,
    kind: subject.kind,
    named: subject.named,
    namespace: subject.namespace,
    ksaName: subject.ksaName,
    workload: subject.workload,
    template: subject.template,
    annotation: subject.annotation,
    nearMissAnnotations: subject.nearMissAnnotations,
    gsaEmail: subject.gsaEmail,
    model: subject.model,
    principal: subject.principal,
    cluster: subject.cluster,
  };
  // One defineProperty per field: Object.defineProperties with the same descriptors costs twice as much in V8.
  for (const field of FACT_FIELD_NAMES) Object.defineProperty(view, field, FACT_FIELDS[field]);
  Object.defineProperty(view, SOURCE, { value: subject });
  return view as SubjectView;
}
