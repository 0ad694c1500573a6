// Results of checks and the verdicts built from them: the shapes every renderer reads.
// The JSON report (BUNDLE.md "JSON report") is these shapes serialised; fields may be added, never renamed.

export const STATUSES = ['pass', 'fail', 'warn', 'unknown', 'skip'] as const;
export type Status = (typeof STATUSES)[number];

/** Levels for `--fail-on`: a result at or above the level makes the exit code 1. */
export type FailOn = 'fail' | 'warn' | 'unknown';

export interface Evidence {
  expected?: unknown;
  actual?: unknown;
  /** Further facts in one line each (the near misses, what was looked at). */
  notes?: string[];
}

/** A structured fix, rendered for each tool. `null` where that tool cannot do it. */
export interface FixAction {
  /** e.g. add-iam-binding, annotate-service-account, update-node-pool, enable-service, manual */
  action: string;
  /** The resource changed: `projects/-/serviceAccounts/EMAIL`, `projects/P`, a cluster, `NS/serviceaccount/NAME`, … */
  target: string;
  params: Record<string, string>;
  /** One sentence a person reads. */
  description: string;
  gcloud: string | null;
  kubectl: string | null;
  terraform: string | null;
}

/** A fix as a check states it: the renderers fill in the commands. */
export type FixPlan = Omit<FixAction, 'gcloud' | 'kubectl' | 'terraform'>;

/**
 * A recorded change that explains a failure (who changed it): an Admin Activity audit log entry, or the
 * Kubernetes managedFields entry that last wrote an annotation.
 */
export interface ChangeRecord {
  source: 'admin-activity' | 'kubernetes-managed-fields';
  /** binding-removed, account-deleted, account-disabled, …, or annotation-written. */
  kind: string;
  /** RFC 3339. */
  at: string;
  /** What was changed, as logged (`projects/-/serviceAccounts/UNIQUE_ID`, `projects/P`, `namespaces/NS/serviceaccounts/KSA`). */
  resource: string;
  /** gcloud, Terraform, console (a browser), a Kubernetes field manager, … */
  tool: string;
  /** Who (Admin Activity: `authenticationInfo.principalEmail`). */
  by?: string;
  callerIp?: string;
  userAgent?: string;
  role?: string;
  member?: string;
  /** Kubernetes: Update or Apply. */
  operation?: string;
  insertId?: string;
}

export interface CheckResult {
  check: string;
  status: Status;
  /** As CHECKS.md "Subjects": `ns/ksa`, `ns/kind/name`, `ns/pod/name`, an email, a cluster, node pool or project name. */
  subject: string;
  title: string;
  /** The cause in one sentence (non-pass), or what was established (pass). */
  cause?: string;
  evidence?: Evidence;
  fix: FixAction[];
  /** Docs page of the check id. */
  docs: string;
  /** For unknown: what to collect or which permission was missing. */
  missing?: string[];
  /** A URI of what the result is about (bundle file or resource): SARIF needs one for every result. */
  location: string;
  /** Recorded changes that explain a failure, newest first (who changed it). */
  changes?: ChangeRecord[];
}

export interface Verdict {
  subject: string;
  /** The check id of the single most likely root cause; null when nothing failed. */
  rootCause: string | null;
  /** One line a person reads first. */
  headline: string;
  /** Causes ruled out, each with the evidence that rules it out. */
  ruledOut: string[];
  /** What could not be evaluated, and what still could block. */
  notEvaluated: string[];
  /** The exact remediation, real names filled in. */
  fix: FixAction[];
  /** Subjects of the cluster, node pool and project results this subject depends on. */
  related: string[];
  /** The recorded change that broke the root cause, when one is on record. */
  change?: ChangeRecord;
}

export interface VerdictGroup {
  rootCause: string | null;
  headline: string;
  subjects: string[];
}

export interface Summary {
  pass: number;
  fail: number;
  warn: number;
  unknown: number;
  skip: number;
}

export interface Report {
  format: 'wi-doctor-report/1';
  tool: { name: 'wi-doctor'; version: string };
  generatedAt: string;
  /** Where the facts came from: a bundle folder or `live`. */
  source: string;
  cluster: string;
  results: CheckResult[];
  verdicts: Verdict[];
  groups: VerdictGroup[];
  summary: Summary;
  /** Things the input reader noticed (invalid files, unknown files). */
  notes: string[];
}

export function summarize(results: readonly CheckResult[]): Summary {
  const summary: Summary = { pass: 0, fail: 0, warn: 0, unknown: 0, skip: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}

const SEVERITY: Record<Status, number> = { skip: 0, pass: 0, unknown: 1, warn: 2, fail: 3 };
const FAIL_ON_LEVEL: Record<FailOn, number> = { unknown: 1, warn: 2, fail: 3 };

/** 1 when some result reaches the `--fail-on` level. `unknown` counts only when asked for (and then `warn` and `fail` too). */
export function exitCodeFor(results: readonly CheckResult[], failOn: FailOn): 0 | 1 {
  const threshold = FAIL_ON_LEVEL[failOn];
  return results.some((r) => SEVERITY[r.status] >= threshold && r.status !== 'pass' && r.status !== 'skip') ? 1 : 0;
}

export const DOCS_BASE = 'https://github.com/wi-doctor/wi-doctor/blob/main/docs/checks';
export const docsUrl = (checkId: string): string => `${DOCS_BASE}/${checkId}.md`;
