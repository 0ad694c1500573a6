// `wi-doctor collect --all --out DIR`: read the live APIs for every check and write the answers as an
// evidence bundle (docs/bundle.md), scrubbed of secrets, that `check --from DIR` diagnoses exactly as live.
// Also the terminal side of live collection shared with `check`: the progress line and the --debug trace.

import { CHECKS, DIAGNOSE_CHECKS } from '../../checks/index.js';
import { DEFAULT_UNUSED_DAYS } from '../../checks/unused-gsa.js';
import { auditLogs, creationEvidence, mergeTargets } from './audit.js';
import { changeEvidenceFor } from './check.js';
import { writeBundle } from '../../collect/bundle/write.js';
import type { TraceEvent } from '../../collect/live/calls.js';
import type { LiveHooks, LiveRequestOptions, LiveStats, Progress } from '../../collect/live/live.js';
import { requiredFacts } from '../../collect/live/required.js';
import { UsageError } from '../../engine/errors.js';
import { K8S_KINDS } from '../../model/k8s/types.js';
import type { FactName } from '../../checks/define.js';
import type { Io } from '../output.js';
import { isKnownPermission, similarPermissions } from '../../model/iam/catalog.js';
import { isServiceAccountEmail } from '../../model/identifiers.js';
import { validateAccessFlags } from '../options.js';
import { safeLine, warn } from '../output.js';

export interface CollectCommandOptions extends LiveRequestOptions {
  out?: string;
  force?: boolean;
  /** Also collect what `audit` reads (Policy Analyzer activity, keys, the pool's clusters, token logs). */
  audit?: boolean;
  unusedDays?: number;
}

/** Runs that finish sooner than this show no progress line at all. */
const PROGRESS_AFTER_MS = 1000;

/** Progress on stderr (only a TTY, not --quiet, only for long runs) and the --debug HTTP trace. */
export function liveHooks(io: Io, options: { debug?: boolean; quiet?: boolean }): LiveHooks & { finish(): void } {
  const started = Date.now();
  let shown = false;
  let last = 0;
  const showProgress = io.stderr.isTTY === true && !options.quiet && !options.debug;
  const hooks: LiveHooks & { finish(): void } = {
    env: io.env,
    finish() {
      if (shown) io.stderr.write('\r\x1b[2K');
    },
  };
  if (showProgress) {
    hooks.onProgress = (p: Progress) => {
      const now = Date.now();
      if (now - started < PROGRESS_AFTER_MS || now - last < 100) return;
      last = now;
      shown = true;
      io.stderr.write(`\r\x1b[2Kwi-doctor: collecting (${p.phase}): ${p.done}/${p.started} API calls`);
    };
  }
  if (options.debug) {
    hooks.onTrace = (e: TraceEvent) => {
      const retry = e.attempt > 1 ? ` (attempt ${e.attempt})` : '';
      io.stderr.write(`wi-doctor: ${safeLine(`http ${e.method} ${e.url} → ${e.status} ${e.ms} ms${retry}`)}\n`);
    };
  }
  return hooks;
}

/** One line: calls per API, retries, failures, wall time. */
export function describeStats(stats: LiveStats): string {
  const perApi = Object.entries(stats.calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([api, n]) => `${api} ${n}`)
    .join(', ');
  return `${stats.totalCalls} API calls (${perApi || 'none'}), ${stats.retries} retries, ${stats.failures} failed, ${(stats.wallMs / 1000).toFixed(1)} s`;
}

export async function runCollectCommand(given: CollectCommandOptions, io: Io): Promise<number> {
  const out = given.out;
  if (!out) throw new UsageError('collect needs --out DIR (an empty folder for the bundle)');
  // The audit's scope is every KSA with a Google identity: --audit alone means --all.
  const noTarget = !given.ksa?.length && !given.workload?.length && !given.pod?.length;
  const options = given.audit === true && noTarget ? { ...given, all: true } : given;
  if (!options.all && !options.ksa?.length && !options.workload?.length && !options.pod?.length) {
    throw new UsageError(
      'name what to collect for: --all (or --audit), or --ksa NS/KSA, --workload NS/KIND/NAME, --pod NS/POD',
    );
  }
  if (options.on && !options.need?.length) throw new UsageError('--on needs --need PERMISSION_OR_ROLE');
  validateAccessFlags(options, isKnownPermission, similarPermissions, isServiceAccountEmail);
  // A bundle serves every check and every target kind, whatever `check --from` later selects; with --audit, every
  // audit check too.
  const checks = options.audit === true ? CHECKS : DIAGNOSE_CHECKS;
  const requires: FactName[] = [...requiredFacts(checks), ...K8S_KINDS.map((k): FactName => `k8s:${k}`)];
  const hooks = liveHooks(io, options);
  let result;
  try {
    const { collectLiveInput } = await import('../../collect/live/live.js');
    result = await collectLiveInput(options, [...new Set(requires)], hooks, {
      changeEvidence:
        options.audit === true
          ? (input) => mergeTargets(changeEvidenceFor(options)(input), creationEvidence(input))
          : changeEvidenceFor(options),
      ...(options.audit === true ? { logs: auditLogs(options.unusedDays ?? DEFAULT_UNUSED_DAYS) } : {}),
    });
  } finally {
    hooks.finish();
  }
  const { input, stats } = result;
  const written = writeBundle(out, input, { force: options.force ?? false });
  for (const note of input.notes ?? []) warn(io, note);
  const errors = Object.entries(input.manifest.errors ?? {});
  for (const [path, message] of errors) warn(io, `${path}: ${message}`);
  const absent = input.manifest.absent?.length ?? 0;
  io.stderr.write(
    `wi-doctor: wrote ${safeLine(out)}: ${written.length} files, ${absent} known absent, ${errors.length} unreadable; ${describeStats(stats)}\n`,
  );
  return 0;
}
