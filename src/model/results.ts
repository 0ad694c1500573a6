// Results of checks and the verdicts built from them: the shapes every renderer reads.
// The JSON report (schema/report.schema.json) is these shapes serialised, with every fix plan's commands
// filled in by the report layer; fields may be added, never renamed.

import type { FixActionName } from '../fix/actions.js';

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

/**
 * A fix as a check states it: an action of the closed vocabulary (src/fix/actions.ts), its target and
 * params. The engine carries plans only; the report layer renders the commands (src/report/fixes.ts).
 */
export interface FixPlan {
  action: FixActionName;
  /** The resource changed: `projects/-/serviceAccounts/EMAIL`, `projects/P`, a cluster, `namespaces/NS/serviceaccounts/NAME`, … */
  target: string;
  params: Record<string, string>;
  /** One sentence a person reads. */
  description: string;
}

/** A fix plan with its commands, as the JSON report carries it. `null` where that tool cannot do it. */
export interface FixAction extends FixPlan {
  gcloud: string | null;
  kubectl: string | null;
  terraform: string | null;
}

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
  /** `ns/ksa`, `ns/kind/name`, `ns/pod/name`, an email, or a cluster, node pool or project resource name. */
  subject: string;
  title: string;
  /** The cause in one sentence (non-pass), or what was established (pass). */
  cause?: string;
  evidence?: Evidence;
  fix: FixPlan[];
  /** Docs page of the check id: a path inside the wi-doctor package (`wi-doctor explain ID` prints it). */
  docs: string;
  /** For unknown: what to collect or which permission was missing. */
  missing?: string[];
  /** A URI of what the result is about (bundle file or resource): SARIF needs one for every result. */
  location: string;
  /**
   * A finding about the whole cluster that a subject check would otherwise repeat for every subject (the
   * metadata server's OOM risk): reported once, and part of no subject's verdict.
   */
  clusterWide?: true;
  /** Set when a baseline entry (`.wi-doctor.yaml`) suppresses this result: it stays in the report, marked. */
  suppressed?: Suppression;
  /** Recorded changes that explain a failure, newest first (who changed it). */
  changes?: ChangeRecord[];
}

/** Why a result is suppressed: the baseline entry that matched it. */
export interface Suppression {
  /** The baseline file. */
  file: string;
  reason: string;
  /** The day it lapses (YYYY-MM-DD), if it does. */
  expires?: string;
}

export interface Verdict {
  subject: string;
  /**
   * How the subject stands: `fail` with a root cause; otherwise the worst of its own and related results
   * (`warn` before `unknown`); `pass` only when nothing it depends on failed, warned or was unknown.
   */
  status: Status;
  /** The check id of the single most likely root cause; null when nothing failed. */
  rootCause: string | null;
  /** One line a person reads first. */
  headline: string;
  /** Causes ruled out, each with the evidence that rules it out. */
  ruledOut: string[];
  /** What could not be evaluated, and what still could block. */
  notEvaluated: string[];
  /** The exact remediation, real names filled in. */
  fix: FixPlan[];
  /** Subjects of the cluster, node pool and project results this subject depends on. */
  related: string[];
  /** The recorded change that broke the root cause, when one is on record. */
  change?: ChangeRecord;
}

export interface VerdictGroup {
  /** The status its subjects share: groups come most severe first. */
  status: Status;
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
  /** When the facts were collected (a bundle's `collectedAt`; the time of reading for live input). */
  collectedAt?: string;
  /** Where the facts came from: a bundle folder or `live`. */
  source: string;
  cluster: string;
  results: CheckResult[];
  verdicts: Verdict[];
  groups: VerdictGroup[];
  summary: Summary;
  /** Things the input reader noticed (invalid files, unknown files). */
  notes: string[];
  /**
   * The checks asked for with `--only`/`--skip` (`--only host-network`), when some were left out: a subject
   * with no failure then passed only the checks that ran, which is no verdict on its Workload Identity.
   */
  selection?: string;
}

/** The fields of a report known before any subject is diagnosed. */
export type ReportHead = Pick<
  Report,
  'format' | 'tool' | 'generatedAt' | 'collectedAt' | 'source' | 'cluster' | 'selection'
>;

/** Some subjects' results and verdicts, in the order the subjects were asked for (not yet most severe first). */
export interface ReportSlice {
  results: CheckResult[];
  verdicts: Verdict[];
}

/** The fields of a report that need every subject: known once the slices have been read. */
export type ReportEnd = Pick<Report, 'summary' | 'groups' | 'notes'>;

/**
 * A report produced a slice of subjects at a time, so that a renderer can lay out (text) or write (JSON) each
 * slice and let its results go: 20,000 subjects have 320,000 results, and holding them all until the report is
 * written costs more time in the garbage collector than the checks take. `results` of the whole report are
 * `shared` followed by every slice's; `verdicts` are the slices' in reading order (`sortBySeverity`).
 */
export interface ReportStream {
  head: ReportHead;
  /** Results about what the subjects share (project, cluster, node pools), and findings once per cluster. */
  shared: readonly CheckResult[];
  /** How many verdicts the slices hold in all. */
  subjectCount: number;
  /** Read once. */
  slices: Iterable<ReportSlice>;
  /** After the slices have been read. */
  end(): ReportEnd;
}

/** A report as a stream of one slice (what renderers of streams read, for a report already made whole). */
export function streamOf(report: Report): ReportStream {
  const { format, tool, generatedAt, collectedAt, source, cluster, selection } = report;
  return {
    head: {
      format,
      tool,
      generatedAt,
      source,
      cluster,
      ...(collectedAt !== undefined ? { collectedAt } : {}),
      ...(selection !== undefined ? { selection } : {}),
    },
    shared: [],
    subjectCount: report.verdicts.length,
    slices: [{ results: report.results, verdicts: report.verdicts }],
    end: () => ({ summary: report.summary, groups: report.groups, notes: report.notes }),
  };
}

/**
 * A template literal is a tree of string pieces in V8 until something reads it whole; with hundreds of
 * thousands of results held at once those trees cost more memory than the text. Converting to a number
 * flattens a string in place (the idiom of the `flatstr` package).
 */
export function flat(text: string): string {
  void Number(text);
  return text;
}

/** A report stream made whole: the slices gathered, the verdicts in reading order. */
export function reportOf(stream: ReportStream): Report {
  const results = [...stream.shared];
  const verdicts: Verdict[] = [];
  for (const slice of stream.slices) {
    for (const r of slice.results) {
      // Held to the end: one flat string costs less than the tree of pieces a template literal leaves.
      if (r.cause !== undefined) flat(r.cause);
      results.push(r);
    }
    for (const v of slice.verdicts) verdicts.push(v);
  }
  const { summary, groups, notes } = stream.end();
  const { format, tool, generatedAt, collectedAt, source, cluster, selection } = stream.head;
  return {
    format,
    tool,
    generatedAt,
    ...(collectedAt !== undefined ? { collectedAt } : {}),
    source,
    cluster,
    results,
    verdicts: sortBySeverity(verdicts, (v) => v.status),
    groups,
    summary,
    notes,
    ...(selection !== undefined ? { selection } : {}),
  };
}

/** What a pass over a stream does on the way: with the results (shared ones at once), each slice, and notes to add at the end. */
export interface StreamTap {
  results?: (results: readonly CheckResult[]) => void;
  slice?: (slice: ReportSlice) => void;
  notes?: () => readonly string[];
}

/**
 * The stream, with `tap` run on its results and slices as they are read, and its notes added to the end. The shared
 * results are tapped at once, here: they are known before any slice.
 */
export function tapStream(stream: ReportStream, tap: StreamTap): ReportStream {
  tap.results?.(stream.shared);
  return {
    head: stream.head,
    shared: stream.shared,
    subjectCount: stream.subjectCount,
    slices: {
      *[Symbol.iterator]() {
        for (const slice of stream.slices) {
          tap.results?.(slice.results);
          tap.slice?.(slice);
          yield slice;
        }
      },
    },
    end: () => {
      const end = stream.end();
      const notes = tap.notes?.() ?? [];
      return notes.length === 0 ? end : { ...end, notes: [...end.notes, ...notes] };
    },
  };
}

export function summarize(results: readonly CheckResult[]): Summary {
  const summary: Summary = { pass: 0, fail: 0, warn: 0, unknown: 0, skip: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}

/**
 * The summary and the failed results, in order, in one pass: a diagnosis at scale has 300,000 results, and each
 * pass over them costs tens of milliseconds in memory reads alone.
 */
export function tally(results: readonly CheckResult[]): { summary: Summary; failures: CheckResult[] } {
  const summary: Summary = { pass: 0, fail: 0, warn: 0, unknown: 0, skip: 0 };
  const failures: CheckResult[] = [];
  for (const r of results) {
    summary[r.status]++;
    if (r.status === 'fail') failures.push(r);
  }
  return { summary, failures };
}

const SEVERITY: Record<Status, number> = { skip: 0, pass: 0, unknown: 1, warn: 2, fail: 3 };

/** Reading order of subjects and groups: failures, then warnings, then unknowns, then the rest. */
const READING_ORDER: Record<Status, number> = { fail: 0, warn: 1, unknown: 2, pass: 3, skip: 4 };

/** A stable sort, most severe first: items of one status keep their order (one pass, a list per status). */
export function sortBySeverity<T>(items: readonly T[], statusOf: (item: T) => Status): T[] {
  const byRank: T[][] = [[], [], [], [], []];
  for (const item of items) byRank[READING_ORDER[statusOf(item)]]?.push(item);
  const ordered: T[] = [];
  for (const list of byRank) for (const item of list) ordered.push(item);
  return ordered;
}
const FAIL_ON_LEVEL: Record<FailOn, number> = { unknown: 1, warn: 2, fail: 3 };

/** 1 when some result reaches the `--fail-on` level. `unknown` counts only when asked for (and then `warn` and `fail` too). */
export function exitCodeFor(results: readonly CheckResult[], failOn: FailOn): 0 | 1 {
  const threshold = FAIL_ON_LEVEL[failOn];
  return results.some((r) => SEVERITY[r.status] >= threshold && r.status !== 'pass' && r.status !== 'skip') ? 1 : 0;
}

/**
 * Where a check's documentation is: its page in the `docs/checks/` folder that ships in the package (no web
 * address: the project publishes none). `wi-doctor explain ID` prints the page.
 */
export const DOCS_DIR = 'docs/checks';
const docsPaths = new Map<string, string>();
/** One string per check id, however many results name it. */
export function docsUrl(checkId: string): string {
  let path = docsPaths.get(checkId);
  if (path === undefined) {
    path = `${DOCS_DIR}/${checkId}.md`;
    docsPaths.set(checkId, path);
  }
  return path;
}
