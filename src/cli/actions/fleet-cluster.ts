// One cluster of a fleet run, from its collected bundle to its written report: facts, diagnosis (or audit), the
// baseline, the fleet rows and the report's text or JSON. Everything in and out is plain data, so that it runs
// on a worker thread (src/cli/actions/fleet-worker.ts) while the main thread keeps the calls of the other
// clusters going; it runs on the main thread the same way when no worker can be started.

import { CHECKS } from '../../checks/index.js';
import type { BundleInput } from '../../collect/bundle/facts.js';
import { factsFromFiles } from '../../collect/bundle/facts.js';
import { audit } from '../../engine/audit.js';
import { diagnose } from '../../engine/diagnose.js';
import { UsageError } from '../../engine/errors.js';
import type { Facts } from '../../model/facts.js';
import type { FailOn, Report } from '../../model/results.js';
import { exitCodeFor } from '../../model/results.js';
import type { Baseline } from '../../report/baseline.js';
import { BaselineRun } from '../../report/baseline.js';
import type { FleetClusterSummary, FleetVerdict } from '../../report/fleet.js';
import { fleetVerdicts } from '../../report/fleet.js';
import { jsonChunks } from '../../report/json.js';
import { textChunks } from '../../report/text.js';

/** How every cluster of a run is diagnosed and written (the same for all of them). */
export interface ClusterJob {
  mode: 'check' | 'audit';
  targets: { all?: boolean; ksa?: string[]; workload?: string[]; pod?: string[] };
  need: string[];
  on?: string;
  impersonate?: string;
  only?: string[];
  skip?: string[];
  unusedDays: number;
  version: string;
  format: 'text' | 'json';
  text: { color: boolean; hidePass: boolean; width: number };
  failOn: FailOn;
  baseline?: Baseline;
  /** YYYY-MM-DD: entries of the baseline that expire before it suppress nothing. */
  today: string;
}

/** One collected cluster to diagnose. */
export interface ClusterWork {
  input: BundleInput;
  label: string;
  /** The names a baseline entry's `cluster` may match: context or gke_ name, resource name. */
  names: string[];
  /** Why its Kubernetes API could not be reached, when it could not. */
  unreachable?: string;
}

export type ClusterOutcome =
  /** Nothing to name (--all without the cluster's KSA list): its subjects are unknown. */
  | { kind: 'unnamed'; error: string }
  | {
      kind: 'report';
      rows: FleetVerdict[];
      summary: FleetClusterSummary;
      /** What the run's asset searches found, in words. */
      searched: string[];
      notes: string[];
      exit: number;
      /** The baseline entries that matched (index in `entries`) and how many results they marked. */
      baselineUsed: number[];
      suppressed: number;
      /**
       * The cluster's report (JSON: the report object, no trailing newline), in pieces of about a megabyte:
       * strings, or their UTF-8 bytes when they come from the worker thread.
       */
      body: (string | Uint8Array)[];
    };

/** The pool of a cluster, when its describe was read. */
function poolOf(facts: Facts): string | undefined {
  return facts.cluster.status === 'present' ? facts.cluster.value.workloadIdentityConfig?.workloadPool : undefined;
}

/** What the asset searches of a run found, in words. */
function describeSearches(facts: Facts): string[] {
  return facts.assetSearches.map((s) =>
    s.results.status === 'present'
      ? `Cloud Asset Inventory ${s.scope} (query ${s.query}): ${s.results.value.length} policies with matching bindings in ${s.pages} page(s)`
      : `Cloud Asset Inventory ${s.scope}: not searched (${s.results.message})`,
  );
}

/** An audit has no per-subject verdicts: each result that is not a pass is a fleet row of its own. */
function auditRows(cluster: string, report: Report): FleetVerdict[] {
  return report.results
    .filter((r) => r.status !== 'pass' && r.status !== 'skip')
    .map((r) => ({
      cluster,
      subject: r.subject,
      status: r.status,
      rootCause: r.check,
      headline: `${r.check}: ${r.cause ?? r.title}`,
      ...(r.suppressed !== undefined ? { suppressed: true as const } : {}),
    }));
}

const PIECE = 1 << 20;

/** Small chunks joined into pieces of about PIECE characters (fewer, larger messages between threads). */
function pieces(chunks: Iterable<string>): string[] {
  const out: string[] = [];
  let held: string[] = [];
  let size = 0;
  for (const chunk of chunks) {
    held.push(chunk);
    size += chunk.length;
    if (size >= PIECE) {
      out.push(held.join(''));
      held = [];
      size = 0;
    }
  }
  if (held.length > 0) out.push(held.join(''));
  return out;
}

/** The chunks with the last one's trailing white space cut, then `tail`. */
function* closed(chunks: Iterable<string>, tail: string): Generator<string> {
  let held: string | undefined;
  for (const chunk of chunks) {
    if (held !== undefined) yield held;
    held = chunk;
  }
  yield `${(held ?? '').trimEnd()}${tail}`;
}

export function diagnoseCluster(work: ClusterWork, job: ClusterJob): ClusterOutcome {
  const facts = factsFromFiles(work.input);
  const common = {
    only: job.only,
    skip: job.skip,
    source: 'live' as const,
    version: job.version,
    generatedAt: new Date().toISOString(),
  };
  let report: Report;
  try {
    report =
      job.mode === 'audit'
        ? audit(facts, CHECKS, {
            options: { need: [], on: undefined, impersonate: undefined, e2e: false, unusedDays: job.unusedDays },
            ...common,
          })
        : diagnose(facts, CHECKS, {
            targets: job.targets,
            options: { need: job.need, on: job.on, impersonate: job.impersonate, e2e: false },
            ...common,
          });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return { kind: 'unnamed', error: work.unreachable ?? e.message };
  }
  // One run of the baseline per cluster; the caller adds up what each used (the clusters may be on other threads).
  const baselineRun = job.baseline === undefined ? undefined : new BaselineRun(job.baseline, job.today);
  const suppressed = baselineRun?.apply(report, [...work.names, report.cluster]) ?? 0;
  // A failed search names its fallback once for the run, not once per cluster; other notes are the cluster's.
  const notes = facts.notes.map((note) =>
    note.startsWith('Cloud Asset Inventory search') ? note : `${work.label}: ${note}`,
  );
  const rows = job.mode === 'audit' ? auditRows(work.label, report) : fleetVerdicts(work.label, report, poolOf(facts));
  const kubeError = work.input.manifest.errors?.['k8s:serviceaccounts'];
  const reached = work.unreachable === undefined && kubeError === undefined;
  if (rows.length === 0 && !reached) {
    rows.push({
      cluster: work.label,
      subject: '*',
      status: 'unknown',
      rootCause: null,
      headline: `its subjects are unknown: ${work.unreachable ?? kubeError ?? ''}`,
    });
  }
  const summary: FleetClusterSummary = {
    cluster: work.label,
    reachable: reached,
    subjects: job.mode === 'audit' ? new Set(report.results.map((r) => r.subject)).size : report.verdicts.length,
    summary: report.summary,
    ...(suppressed > 0 ? { suppressed } : {}),
    ...(reached ? {} : { error: work.unreachable ?? kubeError ?? 'not reached' }),
  };
  const body =
    job.format === 'json'
      ? pieces(closed(jsonChunks(report), ''))
      : pieces(textChunks(report, { color: job.text.color, hidePass: job.text.hidePass, width: job.text.width }));
  return {
    kind: 'report',
    rows,
    summary,
    searched: describeSearches(facts),
    notes,
    // Only what the baseline does not accept fails the run: new findings.
    exit: exitCodeFor(
      report.results.filter((r) => r.suppressed === undefined),
      job.failOn,
    ),
    baselineUsed: baselineRun?.usedIndexes() ?? [],
    suppressed,
    body,
  };
}
