// `wi-doctor audit`: the Audit checks over an evidence bundle or the live APIs, in the same report formats and
// with the same exit codes as `check`.

import { AUDIT_CHECKS, CHECKS } from '../../checks/index.js';
import { DEFAULT_UNUSED_DAYS } from '../../checks/unused-gsa.js';
import { readBundle } from '../../collect/bundle/read.js';
import { factsFromFiles } from '../../collect/bundle/facts.js';
import type { BundleInput } from '../../collect/bundle/facts.js';
import type { ChangeTarget } from '../../model/log-query.js';
import { parseServiceAccountEmail } from '../../model/identifiers.js';
import type { LiveOptions } from '../../collect/live/live.js';
import { audit, selectAuditChecks } from '../../engine/audit.js';
import type { FactName } from '../../checks/define.js';
import type { Facts } from '../../model/facts.js';
import type { FailOn, Report } from '../../model/results.js';
import type { IdentityGraph } from '../../graph/types.js';
import { exitCodeFor } from '../../model/results.js';
import { RENDERERS } from '../../report/index.js';
import type { ReportFormat } from '../../report/formats.js';
import { NO_WRAP, shouldColor, terminalWidth } from '../../report/text.js';
import type { Io } from '../output.js';
import { emit, warn } from '../output.js';
import { packageVersion } from '../package-info.js';
import { UsageError } from '../../engine/errors.js';
import { applyBaseline } from '../../report/baseline.js';
import { expiredLine, loadBaseline } from '../baseline.js';
import { extensionOf, gcsTarget, uploadReport } from '../gcs-output.js';

export interface AuditCommandOptions extends LiveOptions {
  from?: string;
  format: ReportFormat;
  output?: string;
  failOn: FailOn;
  hidePass?: boolean;
  only?: string[];
  skip?: string[];
  unusedDays?: number;
  color?: boolean;
  /** `--baseline FILE`, or false for `--no-baseline` (docs/baseline.md). */
  baseline?: string | boolean;
  /** Many clusters: `projects/P`, `organizations/N`, `folders/N`, `ALL_CONTEXTS` or a file (./fleet.ts). */
  clusters?: string;
  clusterConcurrency?: number;
  /** Cloud Asset Inventory scope: alone, every cluster in it is audited; with --context, searched for grants. */
  scope?: string;
}

const DAY = 86_400_000;

/** What the audit reads live, besides its checks' facts: the KSAs, their pods and namespaces name the scope. */
export function auditRequires(checks = AUDIT_CHECKS): FactName[] {
  const required = [...new Set(checks.flatMap((c) => c.requires))].sort();
  return [...new Set<FactName>([...required, 'k8s:serviceaccounts', 'k8s:pods', 'k8s:namespaces'])];
}

/** The newest successful GenerateAccessToken of each GSA in the window is all unused-gsa needs from the logs. */
/**
 * The Admin Activity logs that date the accounts' creation: unused-gsa never calls an account younger than its
 * window unused, and the IAM ServiceAccount resource carries no creation time, only the CreateServiceAccount
 * entry does. One query per project, for the user-managed accounts read.
 */
export function creationEvidence(input: BundleInput): ChangeTarget[] {
  const facts = factsFromFiles(input);
  const byProject = new Map<string, { emails: Set<string>; uniqueIds: Set<string> }>();
  const listed = facts.knownProjects.flatMap((project) => {
    const list = facts.projectServiceAccounts(project);
    return list.status === 'present' ? list.value.map((sa) => sa.email) : [];
  });
  for (const email of new Set([...facts.knownServiceAccounts, ...listed])) {
    let parsed;
    try {
      parsed = parseServiceAccountEmail(email);
    } catch {
      continue;
    }
    if (parsed.kind !== 'user-managed' || parsed.projectId === undefined) continue;
    const entry = byProject.get(parsed.projectId) ?? { emails: new Set<string>(), uniqueIds: new Set<string>() };
    entry.emails.add(parsed.email);
    const account = facts.serviceAccount(parsed.email);
    if (account.status === 'present' && account.value.uniqueId !== undefined)
      entry.uniqueIds.add(account.value.uniqueId);
    byProject.set(parsed.projectId, entry);
  }
  return [...byProject].map(([project, e]) => ({
    project,
    emails: [...e.emails].sort(),
    uniqueIds: [...e.uniqueIds].sort(),
  }));
}

/** Two lists of Admin Activity targets as one, a project once (the collector writes one file per project). */
export function mergeTargets(...lists: readonly ChangeTarget[][]): ChangeTarget[] {
  const byProject = new Map<string, ChangeTarget>();
  for (const t of lists.flat()) {
    const seen = byProject.get(t.project);
    byProject.set(
      t.project,
      seen === undefined
        ? { ...t }
        : {
            project: t.project,
            emails: [...new Set([...seen.emails, ...t.emails])].sort(),
            uniqueIds: [...new Set([...seen.uniqueIds, ...t.uniqueIds])].sort(),
          },
    );
  }
  return [...byProject.values()];
}

export function auditLogs(unusedDays: number, now = new Date()) {
  return { tokens: { since: new Date(now.getTime() - unusedDays * DAY), maxEntries: 1, successOnly: true } };
}

async function readLive(options: AuditCommandOptions, io: Io): Promise<{ facts: Facts; notes: string[] }> {
  // The live collector and its client libraries load only for a live audit, not for one that reads a bundle.
  const { collectLiveInput } = await import('../../collect/live/live.js');
  const { describeStats, liveHooks } = await import('./collect.js');
  const hooks = liveHooks(io, options);
  try {
    const checks = selectAuditChecks(CHECKS, options.only, options.skip);
    const { input, stats } = await collectLiveInput(
      { ...options, all: true },
      auditRequires(checks),
      hooks,
      checks.some((c) => c.requires.includes('logEntries'))
        ? { logs: auditLogs(options.unusedDays ?? DEFAULT_UNUSED_DAYS), changeEvidence: creationEvidence }
        : {},
    );
    if (options.debug) warn(io, describeStats(stats));
    const facts = factsFromFiles(input);
    return { facts, notes: [...facts.notes] };
  } finally {
    hooks.finish();
  }
}

/**
 * The HTML audit draws who can become which identity: the identity graph of a diagnosis of every KSA over the
 * same facts (what could not be read is drawn unknown), with the audit's findings on the accounts and projects
 * they are about.
 */
async function auditGraph(facts: Facts, report: Report): Promise<IdentityGraph | undefined> {
  const { diagnose, DEFAULT_OPTIONS } = await import('../../engine/diagnose.js');
  const { identityGraph } = await import('../../graph/index.js');
  let diagnosis: Report;
  try {
    diagnosis = diagnose(facts, CHECKS, {
      targets: { all: true },
      options: DEFAULT_OPTIONS,
      source: report.source,
      version: report.tool.version,
      generatedAt: report.generatedAt,
    });
  } catch {
    // No KSA could be resolved (the audit says why in its own results): the page has no graph then.
    return undefined;
  }
  return identityGraph(facts, { ...diagnosis, results: [...diagnosis.results, ...report.results] });
}

export async function runAuditCommand(options: AuditCommandOptions, io: Io): Promise<number> {
  // Bad --only/--skip ids fail before anything is read.
  selectAuditChecks(CHECKS, options.only, options.skip);
  // Many clusters: --clusters, or --scope alone (every cluster in the organization, folder or project).
  const wholeScope =
    options.scope !== undefined &&
    options.scope !== 'auto' &&
    options.scope !== 'none' &&
    options.from === undefined &&
    options.context === undefined &&
    options.cluster === undefined;
  if (options.clusters !== undefined || wholeScope) {
    if (options.format !== 'text' && options.format !== 'json') {
      throw new UsageError(`audit over many clusters writes --format text or json (got ${options.format})`);
    }
    const { runFleetCheck } = await import('./fleet.js');
    return runFleetCheck(
      {
        ...options,
        format: options.format,
        mode: 'audit',
        all: true,
        clusters: options.clusters ?? options.scope ?? '',
      },
      io,
    );
  }
  const baseline = await loadBaseline(
    options.baseline,
    process.cwd(),
    CHECKS.map((c) => c.id),
  );
  const bucket = gcsTarget(options.output, extensionOf(options.format));
  const { facts, notes } = options.from ? await readBundle(options.from) : await readLive(options, io);
  for (const note of notes) warn(io, note);
  const report = audit(facts, CHECKS, {
    options: {
      need: [],
      on: undefined,
      impersonate: undefined,
      e2e: false,
      unusedDays: options.unusedDays ?? DEFAULT_UNUSED_DAYS,
    },
    only: options.only,
    skip: options.skip,
    source: options.from ?? 'live',
    version: packageVersion(),
    generatedAt: new Date().toISOString(),
  });
  const clusterNames = [report.cluster, ...(options.context !== undefined ? [options.context] : [])];
  const applied =
    baseline === undefined
      ? undefined
      : applyBaseline(report, baseline, new Date().toISOString().slice(0, 10), clusterNames);
  const color =
    options.format === 'text' && !options.output && options.color !== false && shouldColor(io.stdout, io.env);
  const graph = options.format === 'html' ? await auditGraph(facts, report) : undefined;
  const text = RENDERERS[options.format](report, {
    color,
    hidePass: options.hidePass ?? false,
    checks: CHECKS,
    width: options.output ? NO_WRAP : terminalWidth(io.stdout),
    title: 'Workload Identity audit',
    ...(graph ? { graph } : {}),
  });
  if (bucket !== undefined) {
    await uploadReport(bucket, text.endsWith('\n') ? text : `${text}\n`, options.format, options, io.env);
    warn(io, `report written to ${bucket.uri}`);
  } else {
    emit(io, text, options.output);
  }
  for (const entry of applied?.expired ?? []) warn(io, expiredLine(entry));
  const exit = exitCodeFor(
    report.results.filter((r) => r.suppressed === undefined),
    options.failOn,
  );
  return applied !== undefined && applied.expired.length > 0 ? 1 : exit;
}
