// The baseline (`.wi-doctor.yaml`): findings a team accepts on purpose, so that they do not fail a CI build.
// Each entry names a check id and a subject (exact, or with `*` wildcards), says why, and may expire. A
// suppressed result stays in every report, marked with the entry that matched it; only the exit code
// ignores it. An expired entry suppresses nothing, and the run fails until it is renewed or removed. An entry
// may name a cluster: then it applies to that cluster's report only (a fleet run applies one file to each).
// Any command that produces results (check, and audit) applies it the same way. Reading the file is in
// ./baseline-file.ts (it loads the YAML parser; this module does not).

import type { CheckResult, Report, Suppression } from '../model/results.js';

export const BASELINE_FILE = '.wi-doctor.yaml';

export interface BaselineEntry {
  check: string;
  /** A subject as reports name it; `*` matches any run of characters. */
  subject: string;
  /**
   * Only in this cluster: its kubeconfig context or `gke_PROJECT_LOCATION_CLUSTER` name, or its resource name
   * `projects/P/locations/L/clusters/C` (`*` wildcards as in `subject`). Without it the entry applies to every
   * cluster of a run.
   */
  cluster?: string;
  reason: string;
  /** Last day it applies (YYYY-MM-DD, UTC). */
  expires?: string;
  /** Where the entry is, for messages: `FILE:LINE`. */
  where: string;
}

export interface Baseline {
  file: string;
  entries: BaselineEntry[];
}

function matcher(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return (value) => re.test(value);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface BaselineOutcome {
  /** Entries whose day has passed: they suppress nothing, and the run fails. */
  expired: BaselineEntry[];
  /** Entries that matched no result (fixed, or a typo in the subject). */
  unused: BaselineEntry[];
  /** Results marked suppressed. */
  suppressed: number;
}

/** An entry as messages name it: `CHECK for SUBJECT` (`in CLUSTER` when it names one). */
export function describeEntry(e: BaselineEntry): string {
  return `${e.check} for ${e.subject}${e.cluster === undefined ? '' : ` in ${e.cluster}`}`;
}

/**
 * One baseline applied to every report of a run: a single cluster's, or each cluster's of a fleet run. Which
 * entries matched nothing is known only once every report has been seen (`unused()`), so that a fleet run names
 * an entry that another cluster used, or an expired one, once, not once per cluster.
 */
export class BaselineRun {
  /** Entries whose day has passed: they suppress nothing, and the run fails. */
  readonly expired: BaselineEntry[];
  private readonly live: {
    entry: BaselineEntry;
    subject: (s: string) => boolean;
    cluster: (names: readonly string[]) => boolean;
    used: boolean;
  }[];
  /** Results marked suppressed so far. */
  suppressed = 0;

  constructor(
    readonly baseline: Baseline,
    today: string,
  ) {
    this.expired = baseline.entries.filter((e) => e.expires !== undefined && e.expires < today);
    this.live = baseline.entries
      .filter((e) => !this.expired.includes(e))
      .map((entry) => {
        const cluster = entry.cluster === undefined ? undefined : matcher(entry.cluster);
        return {
          entry,
          subject: matcher(entry.subject),
          cluster: (names: readonly string[]) => cluster === undefined || names.some(cluster),
          used: false,
        };
      });
  }

  /**
   * Marks the results of one cluster's report that a live entry matches (pass and skip results are never
   * suppressed: there is nothing to accept). `clusters` are the names the cluster goes by (context, resource
   * name); an entry with `cluster` applies only when it matches one of them. Returns how many were marked.
   */
  apply(report: Report, clusters: readonly string[]): number {
    return this.applyTo(report.results, clusters);
  }

  /** `apply` for some of a report's results (a report read a slice at a time). */
  applyTo(results: readonly CheckResult[], clusters: readonly string[]): number {
    const here = this.live.filter((l) => l.cluster(clusters));
    const byCheck = new Map<string, typeof here>();
    for (const l of here) byCheck.set(l.entry.check, [...(byCheck.get(l.entry.check) ?? []), l]);
    let suppressed = 0;
    for (const result of results) {
      if (!isFinding(result)) continue;
      const hit = byCheck.get(result.check)?.find((l) => l.subject(result.subject));
      if (hit === undefined) continue;
      hit.used = true;
      const mark: Suppression = { file: this.baseline.file, reason: hit.entry.reason };
      if (hit.entry.expires !== undefined) mark.expires = hit.entry.expires;
      result.suppressed = mark;
      suppressed++;
    }
    this.suppressed += suppressed;
    return suppressed;
  }

  /** Where in the baseline's `entries` the live entries that matched a result so far are. */
  usedIndexes(): number[] {
    return this.live.filter((l) => l.used).map((l) => this.baseline.entries.indexOf(l.entry));
  }

  /**
   * What a run of the same baseline elsewhere (another thread, one cluster) applied: the entries it used (by
   * their index in `entries`) and how many results it marked.
   */
  recordUse(indexes: readonly number[], suppressed: number): void {
    const used = new Set(indexes.map((i) => this.baseline.entries[i]));
    for (const l of this.live) if (used.has(l.entry)) l.used = true;
    this.suppressed += suppressed;
  }

  /** Live entries that matched no result in any report applied so far. */
  unused(): BaselineEntry[] {
    return this.live.filter((l) => !l.used).map((l) => l.entry);
  }

  /** One line per expired entry and per entry that matched nothing (for the notes of the run). */
  notes(): string[] {
    return [
      ...this.expired.map(
        (e) =>
          `${e.where}: the suppression of ${describeEntry(e)} expired on ${e.expires ?? ''} (${e.reason}): it suppresses nothing and fails the run until it is renewed or removed`,
      ),
      ...this.unused().map((e) => `${e.where}: the suppression of ${describeEntry(e)} matched no finding: remove it`),
    ];
  }
}

/**
 * Marks the results that a live entry matches, and adds a note per expired or unused entry to the report.
 * `today` is YYYY-MM-DD; `clusters` are the names of the report's cluster that an entry's `cluster` may match
 * (by default the report's own `cluster`).
 */
export function applyBaseline(
  report: Report,
  baseline: Baseline,
  today: string,
  clusters: readonly string[] = [report.cluster],
): BaselineOutcome {
  const run = new BaselineRun(baseline, today);
  const suppressed = run.apply(report, clusters);
  report.notes.push(...run.notes());
  return { expired: run.expired, unused: run.unused(), suppressed };
}

const isFinding = (r: CheckResult): boolean => r.status === 'fail' || r.status === 'warn' || r.status === 'unknown';
