// `wi-doctor check --clusters projects/P|ALL_CONTEXTS|FILE`: every cluster in one run. Each cluster is collected,
// diagnosed and written out as soon as it is complete (text: its report under a heading; JSON: one element of
// the fleet document's `clusters`), then dropped; only the verdict rows stay for the combined list at the end.

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CHECKS } from '../../checks/index.js';
import { factsFromFiles } from '../../collect/bundle/facts.js';
import { autoScope, fleetSearch, parseScopeFlag } from '../../collect/live/asset.js';
import { CallRunner } from '../../collect/live/calls.js';
import { googleCredentials } from '../../collect/live/credentials.js';
import { parseEndpointFlags, resolveEndpoints } from '../../collect/live/endpoints.js';
import type { FleetCluster, FleetCollection } from '../../collect/live/fleet.js';
import { collectFleet, parseClustersFlag, resolveFleet } from '../../collect/live/fleet.js';
import { GoogleApi } from '../../collect/live/google.js';
import { requiredFacts } from '../../collect/live/live.js';
import type { LiveHooks } from '../../collect/live/live.js';
import { DEFAULT_UNUSED_DAYS } from '../../checks/unused-gsa.js';
import { audit, selectAuditChecks } from '../../engine/audit.js';
import { diagnose, selectDiagnoseChecks } from '../../engine/diagnose.js';
import { UsageError } from '../../engine/errors.js';
import type { Facts } from '../../model/facts.js';
import { clusterResourceName } from '../../model/facts.js';
import type { Report } from '../../model/results.js';
import { exitCodeFor, summarize } from '../../model/results.js';
import { BaselineRun } from '../../report/baseline.js';
import type { FleetClusterSummary, FleetSummary, FleetVerdict } from '../../report/fleet.js';
import { fleetVerdicts, renderFleetText, sharedIdentities, sortVerdicts } from '../../report/fleet.js';
import { jsonChunks } from '../../report/json.js';
import { NO_WRAP, shouldColor, terminalWidth, textChunks } from '../../report/text.js';
import { expiredLine, loadBaseline } from '../baseline.js';
import { extensionOf, gcsTarget, uploadReport } from '../gcs-output.js';
import type { Io } from '../output.js';
import { warn } from '../output.js';
import { packageVersion } from '../package-info.js';
import type { CheckCommandOptions } from './check.js';
import { auditLogs, auditRequires, creationEvidence } from './audit.js';
import { describeStats, liveHooks } from './collect.js';

export interface FleetOptions extends CheckCommandOptions {
  clusters: string;
  /** `check` (diagnose every KSA) or `audit` (the least-privilege checks of every cluster). */
  mode?: 'check' | 'audit';
  /** audit: unused-gsa's window. */
  unusedDays?: number;
  /** Clusters collected at once (memory holds about this many). */
  clusterConcurrency?: number;
}

interface Sink {
  write(text: string): void;
  /** `complete`: the report was written whole (a bucket receives only a whole report). */
  close(complete: boolean): Promise<void>;
}

/** A sink that writes as it goes: stdout, or the --output file; a bucket (gs://) receives the report at the end. */
function sink(io: Io, options: FleetOptions): Sink {
  const output = options.output;
  const bucket = gcsTarget(output, extensionOf(options.format));
  if (bucket !== undefined) {
    const parts: string[] = [];
    return {
      write: (t) => void parts.push(t),
      close: async (complete) => {
        if (!complete) return;
        await uploadReport(bucket, parts.join(''), options.format, options, io.env);
        io.stderr.write(`wi-doctor: report written to ${bucket.uri}\n`);
      },
    };
  }
  if (output === undefined) return { write: (t) => void io.stdout.write(t), close: () => Promise.resolve() };
  let fd: number;
  try {
    mkdirSync(dirname(output), { recursive: true });
    fd = openSync(output, 'w');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`--output ${output}: cannot write the report (${code})`);
  }
  return {
    write: (t) => void writeSync(fd, t),
    close: () => {
      closeSync(fd);
      io.stderr.write(`wi-doctor: report written to ${output}\n`);
      return Promise.resolve();
    },
  };
}

function validate(options: FleetOptions): void {
  if (options.from !== undefined) throw new UsageError('--clusters reads the live APIs: it cannot be used with --from');
  for (const flag of ['context', 'cluster', 'location', 'project'] as const) {
    if (options[flag] !== undefined) throw new UsageError(`--clusters names the clusters: drop --${flag}`);
  }
  if (options.format !== 'text' && options.format !== 'json') {
    throw new UsageError(`--clusters writes --format text or json (got ${options.format})`);
  }
  if (options.e2e === true) throw new UsageError('--e2e runs per cluster: use it without --clusters');
}

function mergeByFinding(rows: readonly FleetVerdict[]): FleetVerdict[] {
  const by = new Map<string, FleetVerdict>();
  for (const row of rows) {
    const key = `${row.status}\u0000${row.subject}\u0000${row.headline}`;
    const seen = by.get(key);
    if (seen === undefined) by.set(key, { ...row });
    else {
      if (!seen.cluster.split(', ').includes(row.cluster)) {
        seen.cluster = [...seen.cluster.split(', '), row.cluster].sort().join(', ');
      }
      // Suppressed only when it is in every cluster that found it (an entry may name one cluster).
      if (row.suppressed !== true) delete seen.suppressed;
    }
  }
  return [...by.values()];
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

/** The pool of a cluster, when its describe was read. */
function poolOf(facts: Facts): string | undefined {
  return facts.cluster.status === 'present' ? facts.cluster.value.workloadIdentityConfig?.workloadPool : undefined;
}

/** What the asset searches of a run found, in words (from the first cluster's facts: they share them). */
function describeSearches(facts: Facts): string[] {
  return facts.assetSearches.map((s) =>
    s.results.status === 'present'
      ? `Cloud Asset Inventory ${s.scope} (query ${s.query}): ${s.results.value.length} policies with matching bindings in ${s.pages} page(s)`
      : `Cloud Asset Inventory ${s.scope}: not searched (${s.results.message})`,
  );
}

export async function runFleetCheck(options: FleetOptions, io: Io): Promise<number> {
  validate(options);
  const spec = parseClustersFlag(options.clusters);
  const scopeFlag = parseScopeFlag(options.scope, 'auto');
  const env = io.env;
  const hooks: LiveHooks & { finish(): void } = liveHooks(io, options);
  const endpoints = resolveEndpoints(parseEndpointFlags(options.endpoint), env);
  const credentials = googleCredentials(options, env);
  const runner = new CallRunner({
    concurrency: options.concurrency ?? 8,
    timeoutMs: (options.timeout ?? 20) * 1000,
    ...(hooks.onTrace ? { onTrace: hooks.onTrace } : {}),
    onSettled: (done, started) => hooks.onProgress?.({ phase: 'clusters', done, started }),
  });
  const google = new GoogleApi(credentials, endpoints, runner, new Map());
  const auditing = options.mode === 'audit';
  const checks = auditing
    ? selectAuditChecks(CHECKS, options.only, options.skip)
    : selectDiagnoseChecks(CHECKS, options.only, options.skip);
  const unusedDays = options.unusedDays ?? DEFAULT_UNUSED_DAYS;
  // The baseline is read once, before any call (a file that cannot be used is exit 2), and applied per cluster.
  const baseline = await loadBaseline(
    options.baseline,
    process.cwd(),
    CHECKS.map((c) => c.id),
  );
  const baselineRun =
    baseline === undefined ? undefined : new BaselineRun(baseline, new Date().toISOString().slice(0, 10));
  const out = sink(io, options);
  let complete = false;
  const fleet: FleetSummary = {
    format: 'wi-doctor-fleet/1',
    clusters: [],
    verdicts: [],
    identities: [],
    searched: [],
    notes: [],
  };
  let exit = 0;
  try {
    const clusters: FleetCluster[] = await resolveFleet({
      spec,
      google,
      ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
      env,
    });
    // One search per distinct scope above the clusters' projects serves every cluster.
    const scopes = new Set<string>();
    if (scopeFlag.kind === 'scope') scopes.add(scopeFlag.scope);
    else if (scopeFlag.kind === 'auto') {
      const projects = [...new Set(clusters.flatMap((c) => (c.ref !== undefined ? [c.ref.project] : [])))];
      for (const found of await Promise.all(projects.map((p) => autoScope(google, p)))) {
        scopes.add(found.scope);
        if (found.note !== undefined) fleet.notes.push(found.note);
      }
    }
    const color = options.format === 'text' && options.output === undefined && options.color !== false;
    const useColor = color && shouldColor(io.stdout, env);
    // Wrapped to the terminal only when a person reads it there; whole lines in files and pipes.
    const width = options.output === undefined ? terminalWidth(io.stdout) : NO_WRAP;
    let first = true;
    if (options.format === 'json') {
      out.write(
        `{\n"format": "wi-doctor-fleet/1",\n"tool": {"name": "wi-doctor", "version": ${JSON.stringify(packageVersion())}},\n"clusters": [\n`,
      );
    }
    // One cluster's report is written at a time; while it is written, the event loop is given back every few
    // chunks, so that the other clusters' calls go out and their answers are read (the budget stays busy).
    let writing: Promise<void> = Promise.resolve();
    const writeReport = async (pieces: Iterable<string>): Promise<void> => {
      const previous = writing;
      let done = (): void => undefined;
      writing = new Promise((resolve) => (done = resolve));
      await previous;
      try {
        let n = 0;
        for (const piece of pieces) {
          out.write(piece);
          if (++n % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        done();
      }
    };
    const onCluster = async (result: FleetCollection): Promise<void> => {
      if (!result.ok) {
        fleet.clusters.push({
          cluster: result.cluster.label,
          reachable: false,
          error: result.error,
          subjects: 0,
          summary: summarize([]),
        });
        fleet.verdicts.push({
          cluster: result.cluster.label,
          subject: '*',
          status: 'unknown',
          rootCause: null,
          headline: `not diagnosed: ${result.error}`,
        });
        return;
      }
      const facts = factsFromFiles(result.input);
      let report: Report;
      try {
        report = auditing
          ? audit(facts, CHECKS, {
              options: { need: [], on: undefined, impersonate: undefined, e2e: false, unusedDays },
              only: options.only,
              skip: options.skip,
              source: 'live',
              version: packageVersion(),
              generatedAt: new Date().toISOString(),
            })
          : diagnose(facts, CHECKS, {
              targets: { all: options.all, ksa: options.ksa, workload: options.workload, pod: options.pod },
              options: { need: options.need ?? [], on: options.on, impersonate: options.impersonate, e2e: false },
              only: options.only,
              skip: options.skip,
              source: 'live',
              version: packageVersion(),
              generatedAt: new Date().toISOString(),
            });
      } catch (e) {
        // --all without the cluster's KSA list: nothing to name, the cluster's subjects are unknown.
        if (!(e instanceof UsageError)) throw e;
        const error = result.unreachable ?? e.message;
        fleet.clusters.push({
          cluster: result.cluster.label,
          reachable: false,
          error,
          subjects: 0,
          summary: summarize([]),
        });
        fleet.verdicts.push({
          cluster: result.cluster.label,
          subject: '*',
          status: 'unknown',
          rootCause: null,
          headline: `its subjects are unknown: ${error}`,
        });
        return;
      }
      // An entry naming a cluster matches its context or gke_ name, or its resource name.
      const suppressed =
        baselineRun?.apply(report, [
          result.cluster.label,
          ...(result.cluster.ref !== undefined ? [clusterResourceName(result.cluster.ref)] : []),
          report.cluster,
        ]) ?? 0;
      if (fleet.searched.length === 0) fleet.searched.push(...describeSearches(facts));
      // A failed search names its fallback once for the run, not once per cluster; other notes are the cluster's.
      for (const note of facts.notes) {
        const line = note.startsWith('Cloud Asset Inventory search') ? note : `${result.cluster.label}: ${note}`;
        if (!fleet.notes.includes(line)) fleet.notes.push(line);
      }
      const label = result.cluster.label;
      const rows: FleetVerdict[] = auditing ? auditRows(label, report) : fleetVerdicts(label, report, poolOf(facts));
      const reached =
        result.unreachable === undefined && result.input.manifest.errors?.['k8s:serviceaccounts'] === undefined;
      if (rows.length === 0 && !reached) {
        rows.push({
          cluster: label,
          subject: '*',
          status: 'unknown',
          rootCause: null,
          headline: `its subjects are unknown: ${result.unreachable ?? result.input.manifest.errors?.['k8s:serviceaccounts'] ?? ''}`,
        });
      }
      fleet.verdicts.push(...rows);
      const summary: FleetClusterSummary = {
        cluster: label,
        reachable: reached,
        subjects: auditing ? new Set(report.results.map((r) => r.subject)).size : report.verdicts.length,
        summary: report.summary,
        ...(suppressed > 0 ? { suppressed } : {}),
        ...(reached
          ? {}
          : { error: result.unreachable ?? result.input.manifest.errors?.['k8s:serviceaccounts'] ?? 'not reached' }),
      };
      fleet.clusters.push(summary);
      // Only what the baseline does not accept fails the run: new findings.
      exit = Math.max(
        exit,
        exitCodeFor(
          report.results.filter((r) => r.suppressed === undefined),
          options.failOn,
        ),
      );
      if (options.format === 'json') {
        const head = `${first ? '' : ',\n'}{"cluster": ${JSON.stringify(label)}, "reachable": ${String(reached)}, "report": `;
        first = false;
        await writeReport(withoutTrailingNewline(head, jsonChunks(report), '}'));
      } else {
        const head = `${first ? '' : '\n'}== ${label} ==\n`;
        first = false;
        await writeReport(
          prefixed(head, textChunks(report, { color: useColor, hidePass: options.hidePass ?? false, width })),
        );
      }
    };
    await collectFleet(
      clusters,
      {
        google,
        runner,
        credentials,
        ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
        env,
      },
      {
        requires: auditing ? auditRequires(checks) : requiredFacts(checks),
        targets: auditing
          ? { all: true }
          : { all: options.all, ksa: options.ksa, workload: options.workload, pod: options.pod },
        options: { need: options.need, on: options.on, impersonate: options.impersonate, e2e: false },
        assetSearches: [...scopes].map(fleetSearch),
        ...(auditing && checks.some((c) => c.requires.includes('logEntries'))
          ? { logs: auditLogs(unusedDays), changeEvidence: creationEvidence }
          : {}),
      },
      options.clusterConcurrency ?? 4,
      onCluster,
    );
    hooks.finish();
    if (options.failOn === 'unknown' && fleet.clusters.some((c) => !c.reachable)) exit = 1;
    // A project's or GSA's finding is the same whichever of its clusters found it: listed once, naming them all.
    if (auditing) fleet.verdicts = mergeByFinding(fleet.verdicts);
    sortVerdicts(fleet.verdicts);
    fleet.clusters.sort((a, b) => a.cluster.localeCompare(b.cluster));
    fleet.identities = sharedIdentities(fleet.verdicts);
    if (baselineRun !== undefined) {
      // Stale entries are named once for the run: expired ones fail it, unused ones should be removed.
      fleet.notes.push(...baselineRun.notes());
      fleet.baseline = {
        file: baselineRun.baseline.file,
        suppressed: baselineRun.suppressed,
        expired: baselineRun.expired.map((e) => e.where),
        unused: baselineRun.unused().map((e) => e.where),
      };
    }
    if (options.format === 'json') {
      const { clusters: summaries, verdicts, identities, searched, notes } = fleet;
      out.write(
        `\n],\n"summary": ${JSON.stringify(summaries)},\n"verdicts": ${JSON.stringify(verdicts)},\n` +
          `"identities": ${JSON.stringify(identities)},\n"searched": ${JSON.stringify(searched)},\n` +
          (fleet.baseline !== undefined ? `"baseline": ${JSON.stringify(fleet.baseline)},\n` : '') +
          `"notes": ${JSON.stringify(notes)}\n}\n`,
      );
    } else {
      out.write(`\n${renderFleetText(fleet, { hidePass: options.hidePass ?? false })}`);
    }
    complete = true;
  } finally {
    hooks.finish();
    await out.close(complete);
  }
  for (const entry of baselineRun?.expired ?? []) warn(io, expiredLine(entry));
  if (baselineRun !== undefined && baselineRun.expired.length > 0) exit = Math.max(exit, 1);
  if (options.debug) {
    const totalCalls = Object.values(runner.stats.calls).reduce((a, n) => a + n, 0);
    warn(io, describeStats({ ...runner.stats, totalCalls, phases: 0 }));
  }
  return exit;
}

/** `head`, then the pieces as they are made. */
function* prefixed(head: string, pieces: Iterable<string>): Generator<string> {
  yield head;
  yield* pieces;
}

/** `head`, the pieces as they are made with the last one's trailing white space cut, then `tail`. */
function* withoutTrailingNewline(head: string, pieces: Iterable<string>, tail: string): Generator<string> {
  yield head;
  let held: string | undefined;
  for (const piece of pieces) {
    if (held !== undefined) yield held;
    held = piece;
  }
  yield `${(held ?? '').trimEnd()}${tail}`;
}
