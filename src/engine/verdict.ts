// The verdict comes first: one root cause per subject, what was ruled out and why, the exact fix,
// and what was not evaluated. With several subjects, those sharing a root cause are grouped.

import type { CheckResult, Status, Verdict, VerdictGroup } from '../model/results.js';
import { sortBySeverity } from '../model/results.js';
import { dedupeFixes } from '../checks/lib/fixes.js';

/** What no check here can see, and could still block a token (named when nothing visible fails). */
export const BEYOND_VIEW = [
  'IAM deny policies (they override allow policies and are not read)',
  'Principal Access Boundary policies',
  'VPC Service Controls perimeters around sts.googleapis.com and iamcredentials.googleapis.com',
  'grants inherited from folders or the organization that were not readable',
];

/**
 * Not flattened: two pieces, the check id and the result's cause, so the line costs a small node instead of a copy
 * of the cause. Most lines are never read whole (a healthy or folded subject shows a count); those that are get
 * flattened then. On 20,000 KSAs, text: about 0.3 s
 * less wall time, the same peak memory.
 */
function line(result: CheckResult): string {
  return `${result.check}: ${result.cause ?? result.title}`;
}

/** Chain order, then subject (locale order; one subject, the usual tie, needs no collation). */
function compareInChain(rankA: number, a: CheckResult, rankB: number, b: CheckResult): number {
  return rankA - rankB || (a.subject === b.subject ? 0 : a.subject.localeCompare(b.subject));
}

/** Past this many results a verdict is sorted by Array#sort, not by insertion. */
const INSERTION_LIMIT = 64;

/**
 * The results in chain order (`compareInChain`), stable. A verdict rests on a score of results, its own already
 * in chain order and its shared ones after them: an insertion sort over a copy, with each rank looked up once, makes
 * no object per result (for 20,000 verdicts, about 400,000 fewer objects than pairing each result with its rank).
 */
export function inChainOrder(results: readonly CheckResult[], chainOrder: ReadonlyMap<string, number>): CheckResult[] {
  const ordered = results.slice();
  const ranks = ordered.map((r) => chainOrder.get(r.check) ?? 999);
  if (ordered.length > INSERTION_LIMIT) {
    const order = ordered
      .map((_, i) => i)
      .sort(
        (i, j) =>
          compareInChain(ranks[i] ?? 0, ordered[i] as CheckResult, ranks[j] ?? 0, ordered[j] as CheckResult) || i - j,
      );
    return order.map((i) => ordered[i] as CheckResult);
  }
  for (let i = 1; i < ordered.length; i++) {
    const result = ordered[i] as CheckResult;
    const rank = ranks[i] ?? 0;
    let j = i - 1;
    while (j >= 0 && compareInChain(ranks[j] ?? 0, ordered[j] as CheckResult, rank, result) > 0) {
      ordered[j + 1] = ordered[j] as CheckResult;
      ranks[j + 1] = ranks[j] ?? 0;
      j--;
    }
    ordered[j + 1] = result;
    ranks[j + 1] = rank;
  }
  return ordered;
}

export function buildVerdict(
  subject: string,
  results: readonly CheckResult[],
  chainOrder: ReadonlyMap<string, number>,
  related: string[],
  selection?: string,
): Verdict {
  const ordered = inChainOrder(results, chainOrder);
  // One pass, in chain order: the first failure is the root cause.
  let root: CheckResult | undefined;
  const also: string[] = [];
  const warnings: CheckResult[] = [];
  const unknowns: CheckResult[] = [];
  const passes: CheckResult[] = [];
  for (const r of ordered) {
    if (r.status === 'fail') {
      if (root === undefined) root = r;
      else also.push(r.check);
    } else if (r.status === 'warn') warnings.push(r);
    else if (r.status === 'unknown') unknowns.push(r);
    else if (r.status === 'pass') passes.push(r);
  }
  // Made with map, to their exact size: 20,000 verdicts keep these lists to the end of the run.
  const ruledOut = passes.map(line);
  const notEvaluated = unknowns.map(
    (r) => `${line(r)}${r.missing?.length ? ` — collect: ${r.missing.join('; ')}` : ''}`,
  );

  let headline: string;
  if (root) {
    headline = `${root.cause ?? root.title}${also.length ? ` (also failing: ${also.join(', ')})` : ''}`;
  } else if (unknowns.length > 0) {
    headline = `No failure found, but ${unknowns.length} check${unknowns.length === 1 ? '' : 's'} could not be evaluated (${unknowns
      .map((r) => r.check)
      .join(', ')}): Workload Identity is not proven to work.`;
  } else if (ruledOut.length === 0 && warnings.length === 0) {
    // Nothing ran that could say anything: no evidence is no pass.
    headline = `No check ran for this subject${selection !== undefined ? ` (${selection})` : ''}: nothing is known about its Workload Identity.`;
  } else if (selection !== undefined) {
    const n = ruledOut.length + warnings.length;
    headline = `No failure in the ${n} check${n === 1 ? '' : 's'} run (${selection}); the others were not run, so this is no verdict on Workload Identity${warnings.length > 0 ? `. Warnings: ${warnings.map((r) => r.cause ?? r.check).join(' ')}` : '.'}`;
  } else if (warnings.length > 0) {
    headline = `Workload Identity should work, with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${warnings
      .map((r) => r.cause ?? r.check)
      .join(' ')}`;
  } else {
    headline = 'Workload Identity should work: every check that applies passed.';
  }
  if (!root) notEvaluated.push(...BEYOND_VIEW);

  // Fields in the JSON report's order (the added `status` last), so that the report writes it as it is.
  return {
    subject,
    rootCause: root?.check ?? null,
    headline,
    ruledOut,
    notEvaluated,
    // The root cause's fix first, then what the warnings need (a recreated GSA's lost roles, a restart).
    fix: dedupeFixes([...(root ? root.fix : []), ...warnings.flatMap((w) => w.fix)]),
    related,
    status: root
      ? 'fail'
      : warnings.length > 0
        ? 'warn'
        : unknowns.length > 0 || ruledOut.length === 0
          ? 'unknown'
          : 'pass',
  };
}

/**
 * Subjects sharing one root cause: a shared object's failure (cluster, pool, project) or the same check. Of
 * `results`, only the failures are read: the failed results alone will do.
 */
export function groupVerdicts(verdicts: readonly Verdict[], results: readonly CheckResult[]): VerdictGroup[] {
  const grouper = new VerdictGrouper([]);
  grouper.add(verdicts, results);
  return grouper.groups();
}

/**
 * Groups verdicts as they come, a slice of subjects at a time (`groupVerdicts` for all at once). The groups come
 * out as if the verdicts had been given in reading order: each group's subjects share its status (a verdict with a
 * root cause is always `fail`, and the others are grouped by status), so within a status the order subjects came
 * in is their reading order.
 */
export class VerdictGrouper {
  private readonly byKey = new Map<string, VerdictGroup>();
  private readonly sharedFailures: Map<string, CheckResult>;

  /** `shared`: results about shared objects (only their failures are read), which any verdict may rest on. */
  constructor(shared: readonly CheckResult[]) {
    this.sharedFailures = failuresByKey(shared);
  }

  /** Verdicts, and the results of their own subjects (only the failures are read). */
  add(verdicts: readonly Verdict[], results: readonly CheckResult[]): void {
    const failures = failuresByKey(results);
    const failureOf = (check: string, subject: string): CheckResult | undefined =>
      failures.get(`${check} ${subject}`) ?? this.sharedFailures.get(`${check} ${subject}`);
    for (const verdict of verdicts) {
      const root = verdict.rootCause
        ? [verdict.subject, ...verdict.related]
            .map((subject) => failureOf(verdict.rootCause ?? '', subject))
            .find((r) => r !== undefined)
        : undefined;
      const shared = root && root.subject !== verdict.subject;
      const key =
        verdict.rootCause === null
          ? `none:${verdict.status}`
          : shared
            ? `${verdict.rootCause}@${root.subject}`
            : verdict.rootCause;
      let group = this.byKey.get(key);
      if (!group) {
        group = {
          status: verdict.status,
          rootCause: verdict.rootCause,
          headline:
            verdict.rootCause === null
              ? NO_ROOT_CAUSE[verdict.status]
              : shared
                ? verdict.headline
                : (root?.title ?? verdict.headline),
          subjects: [],
        };
        this.byKey.set(key, group);
      }
      group.subjects.push(verdict.subject);
    }
  }

  /** Most severe first; within a status, the largest group first. */
  groups(): VerdictGroup[] {
    const bySize = [...this.byKey.values()].sort(
      (a, b) => b.subjects.length - a.subjects.length || (a.rootCause ?? '~').localeCompare(b.rootCause ?? '~'),
    );
    return sortBySeverity(bySize, (g) => g.status);
  }
}

/** Failed results by `check subject` (the last one, should there be two). */
function failuresByKey(results: readonly CheckResult[]): Map<string, CheckResult> {
  const failures = new Map<string, CheckResult>();
  for (const r of results) if (r.status === 'fail') failures.set(`${r.check} ${r.subject}`, r);
  return failures;
}

const NO_ROOT_CAUSE: Record<Status, string> = {
  fail: 'No failure found',
  warn: 'No failure found, with warnings',
  unknown: 'No failure found, but some checks could not be evaluated',
  pass: 'No failure found',
  skip: 'No failure found',
};
