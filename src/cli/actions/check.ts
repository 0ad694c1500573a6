// `wi-doctor check`: diagnose subjects from an evidence bundle or the live APIs.

import { CHECKS } from '../../checks/index.js';
import { collectLive, diagnoseStream, readBundle } from '../../index.js';
import type { LiveOptions, LiveRequestOptions } from '../../collect/live/live.js';
import type { Facts } from '../../model/facts.js';
import { UsageError } from '../../engine/errors.js';
import type { FailOn } from '../../model/results.js';
import { exitCodeFor, reportOf, tapStream } from '../../model/results.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaselineRun } from '../../report/baseline.js';
import type { CatalogEntry } from '../../report/index.js';
import { renderChunks, renderStreamChunks } from '../../report/index.js';
import type { ReportFormat } from '../../report/formats.js';
import { NO_WRAP, shouldColor, terminalWidth } from '../../report/text.js';
import { expiredLine, loadBaseline } from '../baseline.js';
import { extensionOf, gcsTarget, uploadReport } from '../gcs-output.js';
import type { Io } from '../output.js';
import { isKnownPermission, similarPermissions } from '../../model/iam/catalog.js';
import { isServiceAccountEmail } from '../../model/identifiers.js';
import { validateAccessFlags } from '../options.js';
import { emitChunks, warn } from '../output.js';
import { PACKAGE_ROOT } from '../package-info.js';

export interface CheckCommandOptions extends LiveOptions {
  from?: string;
  ksa?: string[];
  workload?: string[];
  pod?: string[];
  all?: boolean;
  format: ReportFormat;
  output?: string;
  failOn: FailOn;
  hidePass?: boolean;
  only?: string[];
  skip?: string[];
  need?: string[];
  on?: string;
  impersonate?: string;
  e2e?: boolean;
  /** `--error TEXT`: orders each verdict's evidence by the likely causes of that error. */
  error?: string;
  color?: boolean;
  brief?: boolean;
  /** `--baseline FILE`, or false for `--no-baseline`. */
  baseline?: string | boolean;
  /** Many clusters: `projects/P`, `ALL_CONTEXTS` or a file (../actions/fleet.ts). */
  clusters?: string;
  clusterConcurrency?: number;
  /** Cloud Asset Inventory scope searched for grants (`auto`, `none`, or a scope). */
  scope?: string;
}

export async function runCheckCommand(options: CheckCommandOptions, io: Io): Promise<number> {
  const { ksa, workload, pod, all } = options;
  if (!all && !ksa?.length && !workload?.length && !pod?.length) {
    throw new UsageError('name what to check: --ksa NS/KSA, --workload NS/KIND/NAME, --pod NS/POD, or --all');
  }
  if (options.clusters !== undefined) {
    const { runFleetCheck } = await import('./fleet.js');
    return runFleetCheck({ ...options, clusters: options.clusters }, io);
  }
  if (options.on && !options.need?.length) throw new UsageError('--on needs --need PERMISSION_OR_ROLE');
  if (options.brief && options.format !== 'text') throw new UsageError('--brief is for --format text');
  validateAccessFlags(options, isKnownPermission, similarPermissions, isServiceAccountEmail);
  const baseline = await loadBaseline(options.baseline, process.cwd(), CHECK_IDS);
  const bucket = gcsTarget(options.output, extensionOf(options.format));
  const { facts, notes } = options.from ? await readBundle(options.from) : await readLive(options, io);
  for (const note of notes) warn(io, note);
  const now = new Date();
  // The library's diagnoseStream (src/index.ts): the CLI runs the same engine other tools embed, a slice of
  // subjects at a time, so that text and JSON are laid out or written as each slice is read.
  const diagnosis = diagnoseStream(facts, {
    targets: { all: options.all, ksa: options.ksa, workload: options.workload, pod: options.pod },
    options: { need: options.need ?? [], on: options.on, impersonate: options.impersonate, e2e: options.e2e ?? false },
    ...(options.only !== undefined ? { only: options.only } : {}),
    ...(options.skip !== undefined ? { skip: options.skip } : {}),
    source: options.from ?? 'live',
    generatedAt: now.toISOString(),
    ...(options.error !== undefined ? { error: options.error } : {}),
  });
  // An entry naming a cluster matches the report's cluster, or the --context it was read through.
  const clusterNames = [diagnosis.head.cluster, ...(options.context !== undefined ? [options.context] : [])];
  const run = baseline === undefined ? undefined : new BaselineRun(baseline, now.toISOString().slice(0, 10));
  // Suppressions are marked on each slice before it is laid out; the exit code is worked out on the way.
  let exit: 0 | 1 = 0;
  const stream = tapStream(diagnosis, {
    results: (results) => {
      run?.applyTo(results, clusterNames);
      if (exit === 0)
        exit = exitCodeFor(
          results.filter((r) => r.suppressed === undefined),
          options.failOn,
        );
    },
    notes: () => run?.notes() ?? [],
  });
  const toStdout = !options.output;
  const color = options.format === 'text' && toStdout && options.color !== false && shouldColor(io.stdout, io.env);
  const context = {
    color,
    hidePass: options.hidePass ?? false,
    checks: options.format === 'sarif' ? catalogWithHelp() : CHECKS,
    brief: options.brief ?? false,
    width: toStdout ? terminalWidth(io.stdout) : NO_WRAP,
  };
  let chunks: Iterable<string>;
  if (options.format === 'html') {
    // The HTML report draws the identity graph of the run, from the report made whole.
    const report = reportOf(stream);
    const graph = (await import('../../graph/index.js')).identityGraph(facts, report, options);
    chunks = renderChunks(options.format, report, { ...context, graph });
  } else {
    chunks = renderStreamChunks(options.format, stream, context);
  }
  if (bucket !== undefined) {
    await uploadReport(bucket, [...chunks].join(''), options.format, options, io.env);
    warn(io, `report written to ${bucket.uri}`);
  } else {
    await emitChunks(io, chunks, options.output);
  }
  for (const entry of run?.expired ?? []) {
    warn(io, expiredLine(entry));
  }
  return run !== undefined && run.expired.length > 0 ? 1 : exit;
}

const CHECK_IDS = CHECKS.map((c) => c.id);

/** The catalog with each check's docs page, for SARIF rule help (read only when SARIF is asked for). */
function catalogWithHelp(): CatalogEntry[] {
  return CHECKS.map((c) => {
    const page = join(PACKAGE_ROOT, 'docs', 'checks', `${c.id}.md`);
    return existsSync(page) ? { ...c, help: readFileSync(page, 'utf8') } : c;
  });
}

export { changeEvidenceFor } from '../../collect/live/change-evidence.js';

/** Live input: read only what the selected checks and targets need, with progress and --debug on stderr. */
export async function readLive(options: LiveRequestOptions, io: Io): Promise<{ facts: Facts; notes: string[] }> {
  // Loaded only for live input: the Google and Kubernetes clients take most of a second to import.
  const { describeStats, liveHooks } = await import('./collect.js');
  const hooks = liveHooks(io, options);
  try {
    // Who changed it: what fails in a way a recorded change explains is looked up in the Admin Activity logs.
    const { facts, notes, stats } = await collectLive(options, hooks, { changesFor: options });
    if (options.debug) warn(io, describeStats(stats));
    return { facts, notes };
  } finally {
    hooks.finish();
  }
}
