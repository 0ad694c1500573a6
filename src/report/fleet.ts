// The fleet view of many clusters' reports: one combined verdict list, and the identities that several clusters
// share. A KSA's Workload Identity principal is its pool, namespace and name (`POOL[NS/KSA]`), not its cluster:
// the same `ns/ksa` in two clusters of one pool is one identity, holding the same grants, so a binding made for
// one cluster works (or breaks) in the other too. Pure: reports in, text or JSON out.

import type { Report, Status, Summary } from '../model/results.js';
import { redactSecrets } from './common.js';

export interface FleetVerdict {
  cluster: string;
  subject: string;
  /** `POOL[NS/KSA]` when the cluster's pool is known and the subject is a KSA. */
  identity?: string;
  /** The worst status among the subject's results (`unknown` for a cluster that could not be reached). */
  status: Status;
  rootCause: string | null;
  headline: string;
  /** Every finding behind this row is suppressed by the baseline: it stays listed, and fails no run. */
  suppressed?: true;
}

export interface SharedIdentity {
  identity: string;
  clusters: string[];
  /** True when the clusters' verdicts for it differ (a grant made for one cluster is the other's too). */
  differs: boolean;
}

export interface FleetClusterSummary {
  cluster: string;
  reachable: boolean;
  /** Why the cluster could not be collected or reached. */
  error?: string;
  subjects: number;
  summary: Summary;
  /** Results of this cluster that the baseline suppressed (absent when none). */
  suppressed?: number;
}

/** The baseline of a fleet run: applied to every cluster's report, its stale entries named once. */
export interface FleetBaseline {
  file: string;
  /** Results suppressed, over all clusters. */
  suppressed: number;
  /** `FILE:LINE` of each entry whose day has passed (the run fails). */
  expired: string[];
  /** `FILE:LINE` of each entry that matched no finding in any cluster. */
  unused: string[];
}

export interface FleetSummary {
  format: 'wi-doctor-fleet/1';
  clusters: FleetClusterSummary[];
  verdicts: FleetVerdict[];
  identities: SharedIdentity[];
  /** The asset searches made and what they found, in words. */
  searched: string[];
  notes: string[];
  baseline?: FleetBaseline;
}

const RANK: Record<Status, number> = { pass: 0, skip: 0, unknown: 1, warn: 2, fail: 3 };

/** Worst status of each subject's own results, indexed once per report (a cluster holds thousands of subjects). */
function worstBySubject(report: Report): Map<string, Status> {
  const worst = new Map<string, Status>();
  for (const r of report.results) {
    const seen = worst.get(r.subject);
    if (seen === undefined || RANK[r.status] > RANK[seen]) worst.set(r.subject, r.status);
  }
  return worst;
}

/** Subjects with findings (fail, warn, unknown) → whether every one of them is suppressed by the baseline. */
function suppressedBySubject(report: Report): Map<string, boolean> {
  const all = new Map<string, boolean>();
  for (const r of report.results) {
    if (RANK[r.status] === 0) continue;
    all.set(r.subject, (all.get(r.subject) ?? true) && r.suppressed !== undefined);
  }
  return all;
}

/** The verdicts of one cluster's report, as fleet rows. `pool` names identities (`POOL[NS/KSA]`). */
export function fleetVerdicts(cluster: string, report: Report, pool: string | undefined): FleetVerdict[] {
  const worst = worstBySubject(report);
  const hushed = suppressedBySubject(report);
  /** Subject → worst status of its own and related results. */
  const statusOf = (subject: string, related: readonly string[]): Status => {
    let status: Status = 'pass';
    for (const s of [subject, ...related]) {
      const w = worst.get(s);
      if (w !== undefined && RANK[w] > RANK[status]) status = w;
    }
    return status;
  };
  return report.verdicts.map((v) => {
    const parts = v.subject.split('/');
    const identity = pool !== undefined && parts.length === 2 ? `${pool}[${v.subject}]` : undefined;
    const findings = [v.subject, ...v.related].flatMap((s) => {
      const h = hushed.get(s);
      return h === undefined ? [] : [h];
    });
    return {
      cluster,
      subject: v.subject,
      ...(identity !== undefined ? { identity } : {}),
      status: statusOf(v.subject, v.related),
      rootCause: v.rootCause,
      headline: v.headline,
      ...(findings.length > 0 && findings.every(Boolean) ? { suppressed: true as const } : {}),
    };
  });
}

/** Identities found in more than one cluster, sorted. */
export function sharedIdentities(verdicts: readonly FleetVerdict[]): SharedIdentity[] {
  const by = new Map<string, FleetVerdict[]>();
  for (const v of verdicts) {
    if (v.identity === undefined) continue;
    const list = by.get(v.identity) ?? [];
    list.push(v);
    by.set(v.identity, list);
  }
  return [...by]
    .filter(([, list]) => new Set(list.map((v) => v.cluster)).size > 1)
    .map(([identity, list]) => ({
      identity,
      clusters: [...new Set(list.map((v) => v.cluster))].sort(),
      differs: new Set(list.map((v) => `${v.status} ${v.rootCause ?? ''}`)).size > 1,
    }))
    .sort((a, b) => a.identity.localeCompare(b.identity));
}

const ORDER: Record<Status, number> = { fail: 0, warn: 1, unknown: 2, pass: 3, skip: 4 };

export function sortVerdicts(verdicts: FleetVerdict[]): FleetVerdict[] {
  return verdicts.sort(
    (a, b) =>
      ORDER[a.status] - ORDER[b.status] || a.cluster.localeCompare(b.cluster) || a.subject.localeCompare(b.subject),
  );
}

const ICON: Record<Status, string> = { fail: '✗', warn: '!', unknown: '?', pass: '✓', skip: '-' };

/** The closing text of a fleet run: clusters, combined verdicts (problems first), shared identities. */
export function renderFleetText(fleet: FleetSummary, opts: { hidePass: boolean }): string {
  const lines: string[] = [];
  const unreachable = fleet.clusters.filter((c) => !c.reachable);
  const count = (s: Status) => fleet.verdicts.filter((v) => v.status === s).length;
  const suppressed = fleet.baseline?.suppressed ?? 0;
  const n = (k: number, one: string, many: string) => `${k.toLocaleString('en-US')} ${k === 1 ? one : many}`;
  // The counts add up to the rows listed below (a finding several clusters share is one row).
  const counts = [
    `${count('fail')} failing`,
    `${count('warn')} warning`,
    `${count('unknown')} unknown`,
    `${count('pass')} passing`,
    ...(count('skip') > 0 ? [`${count('skip')} not applicable`] : []),
  ];
  lines.push(
    `Fleet: ${n(fleet.clusters.length, 'cluster', 'clusters')} (${unreachable.length} not reached), ` +
      `${n(fleet.verdicts.length, 'subject', 'subjects')}: ${counts.join(', ')}` +
      (suppressed > 0 ? ` (${suppressed.toLocaleString('en-US')} suppressed by the baseline)` : ''),
  );
  for (const c of unreachable) lines.push(`  ? ${c.cluster}: ${c.error ?? 'not reached'}: its subjects are unknown`);
  for (const s of fleet.searched) lines.push(`  searched: ${s}`);
  const shown = fleet.verdicts.filter((v) => !opts.hidePass || (v.status !== 'pass' && v.status !== 'skip'));
  if (shown.length > 0) {
    lines.push('', 'Combined verdicts:');
    const width = Math.max(...shown.map((v) => v.cluster.length));
    for (const v of shown) {
      const hushed = v.suppressed === true ? ' (suppressed by the baseline)' : '';
      lines.push(`  ${ICON[v.status]} ${v.cluster.padEnd(width)}  ${v.subject}: ${v.headline}${hushed}`);
    }
  }
  if (fleet.identities.length > 0) {
    lines.push(
      '',
      'Identities shared by clusters (one pool, the same namespace and KSA: one principal, the same grants):',
    );
    for (const i of fleet.identities) {
      lines.push(`  ${i.identity}: ${i.clusters.join(', ')}${i.differs ? ' (verdicts differ between them)' : ''}`);
    }
  }
  for (const note of fleet.notes) lines.push(`note: ${note}`);
  return redactSecrets(`${lines.join('\n')}\n`);
}
