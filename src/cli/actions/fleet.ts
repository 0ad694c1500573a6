// `wi-doctor check --clusters projects/P|ALL_CONTEXTS|FILE`: every cluster in one run. Each cluster is collected,
// diagnosed and written out as soon as it is complete (text: its report under a heading; JSON: one element of
// the fleet document's `clusters`), then dropped; only the verdict rows stay for the combined list at the end.
// Diagnosing and rendering a cluster happen on a worker thread (fleet-threads.ts), so that the calls of the
// clusters still being collected go on meanwhile.

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CHECKS } from '../../checks/index.js';
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
import { selectAuditChecks } from '../../engine/audit.js';
import { selectDiagnoseChecks } from '../../engine/diagnose.js';
import { UsageError } from '../../engine/errors.js';
import { clusterResourceName } from '../../model/facts.js';
import { summarize } from '../../model/results.js';
import { BaselineRun } from '../../report/baseline.js';
import type { FleetSummary, FleetVerdict } from '../../report/fleet.js';
import { renderFleetText, sharedIdentities, sortVerdicts } from '../../report/fleet.js';
import { NO_WRAP, shouldColor, terminalWidth } from '../../report/text.js';
import { expiredLine, loadBaseline } from '../baseline.js';
import { extensionOf, gcsTarget, uploadReport } from '../gcs-output.js';
import type { Io } from '../output.js';
import { warn } from '../output.js';
import { packageVersion } from '../package-info.js';
import type { CheckCommandOptions } from './check.js';
import { auditLogs, auditRequires, creationEvidence } from './audit.js';
import { describeStats, liveHooks } from './collect.js';
import type { ClusterJob } from './fleet-cluster.js';
import type { ClusterDiagnoser } from './fleet-threads.js';
import { clusterDiagnoser } from './fleet-threads.js';

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
  write(text: string | Uint8Array): void;
  /** `complete`: the report was written whole (a bucket receives only a whole report). */
  close(complete: boolean): Promise<void>;
}

/** A sink that writes as it goes: stdout, or the --output file; a bucket (gs://) receives the report at the end. */
function sink(io: Io, options: FleetOptions): Sink {
  const output = options.output;
  const bucket = gcsTarget(output, extensionOf(options.format));
  if (bucket !== undefined) {
    const parts: Buffer[] = [];
    return {
      write: (t) =>
        void parts.push(typeof t === 'string' ? Buffer.from(t) : Buffer.from(t.buffer, t.byteOffset, t.length)),
      close: async (complete) => {
        if (!complete) return;
        await uploadReport(bucket, Buffer.concat(parts).toString('utf8'), options.format, options, io.env);
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
    write: (t) => {
      const bytes = typeof t === 'string' ? Buffer.from(t) : t;
      for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done);
    },
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
  const today = new Date().toISOString().slice(0, 10);
  const baselineRun = baseline === undefined ? undefined : new BaselineRun(baseline, today);
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
  let diagnoser: ClusterDiagnoser | undefined;
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
    const writeReport = async (pieces: Iterable<string | Uint8Array>): Promise<void> => {
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
    const job: ClusterJob = {
      mode: auditing ? 'audit' : 'check',
      targets: { all: options.all, ksa: options.ksa, workload: options.workload, pod: options.pod },
      need: options.need ?? [],
      ...(options.on !== undefined ? { on: options.on } : {}),
      ...(options.impersonate !== undefined ? { impersonate: options.impersonate } : {}),
      ...(options.only !== undefined ? { only: options.only } : {}),
      ...(options.skip !== undefined ? { skip: options.skip } : {}),
      unusedDays,
      version: packageVersion(),
      format: options.format === 'json' ? 'json' : 'text',
      text: { color: useColor, hidePass: options.hidePass ?? false, width },
      failOn: options.failOn,
      ...(baseline !== undefined ? { baseline } : {}),
      today,
    };
    const diagnosing = clusterDiagnoser(job);
    diagnoser = diagnosing;
    const finishCluster = async (result: FleetCollection): Promise<void> => {
      const unknownCluster = (error: string, headline: string): void => {
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
          headline,
        });
      };
      if (!result.ok) {
        unknownCluster(result.error, `not diagnosed: ${result.error}`);
        return;
      }
      const label = result.cluster.label;
      const outcome = await diagnosing.diagnose({
        input: result.input,
        label,
        // An entry naming a cluster matches its context or gke_ name, or its resource name.
        names: [label, ...(result.cluster.ref !== undefined ? [clusterResourceName(result.cluster.ref)] : [])],
        ...(result.unreachable !== undefined ? { unreachable: result.unreachable } : {}),
      });
      if (outcome.kind === 'unnamed') {
        // --all without the cluster's KSA list: nothing to name, the cluster's subjects are unknown.
        unknownCluster(outcome.error, `its subjects are unknown: ${outcome.error}`);
        return;
      }
      baselineRun?.recordUse(outcome.baselineUsed, outcome.suppressed);
      if (fleet.searched.length === 0) fleet.searched.push(...outcome.searched);
      for (const line of outcome.notes) if (!fleet.notes.includes(line)) fleet.notes.push(line);
      fleet.verdicts.push(...outcome.rows);
      fleet.clusters.push(outcome.summary);
      exit = Math.max(exit, outcome.exit);
      if (options.format === 'json') {
        const head = `${first ? '' : ',\n'}{"cluster": ${JSON.stringify(label)}, "reachable": ${String(outcome.summary.reachable)}, "report": `;
        first = false;
        await writeReport([head, ...outcome.body, '}']);
      } else {
        const head = `${first ? '' : '\n'}== ${label} ==\n`;
        first = false;
        await writeReport([head, ...outcome.body]);
      }
    };
    // A collected cluster is handed to the diagnosis and its slot freed for the next cluster's calls, while at
    // most as many clusters as are collected at once wait for their diagnosis (memory stays bounded): holding the
    // slot until the diagnosis was done left every slot waiting on the diagnosis thread and no call in flight.
    const clusterConcurrency = options.clusterConcurrency ?? 4;
    const failure: { error?: Error } = {};
    const backlog = new Set<Promise<void>>();
    const onCluster = async (result: FleetCollection): Promise<void> => {
      while (backlog.size >= clusterConcurrency) await Promise.race(backlog);
      if (failure.error !== undefined) throw failure.error;
      const finished: Promise<void> = finishCluster(result)
        .catch((error: unknown) => {
          failure.error ??= error instanceof Error ? error : new Error(String(error));
        })
        .finally(() => backlog.delete(finished));
      backlog.add(finished);
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
      clusterConcurrency,
      onCluster,
    );
    await Promise.all(backlog);
    if (failure.error !== undefined) throw failure.error;
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
    await diagnoser?.close();
    await out.close(complete);
  }
  for (const entry of baselineRun?.expired ?? []) warn(io, expiredLine(entry));
  if (baselineRun !== undefined && baselineRun.expired.length > 0) exit = Math.max(exit, 1);
  if (options.debug) {
    if (diagnoser !== undefined) {
      warn(io, `clusters diagnosed on ${diagnoser.onWorker ? 'a worker thread' : 'the main thread'}`);
    }
    const totalCalls = Object.values(runner.stats.calls).reduce((a, n) => a + n, 0);
    warn(io, describeStats({ ...runner.stats, totalCalls, phases: 0 }));
  }
  return exit;
}
