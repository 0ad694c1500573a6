// `wi-doctor check`: diagnose subjects from an evidence bundle or the live APIs.

import { CHECKS } from '../../checks/index.js';
import { readBundle } from '../../collect/bundle/read.js';
import type { LiveOptions, LiveRequestOptions } from '../../collect/live/live.js';
import { liveFacts } from '../../collect/live/live.js';
import type { Facts } from '../../model/facts.js';
import { describeStats, liveHooks } from './collect.js';
import { DEFAULT_OPTIONS, diagnose } from '../../engine/diagnose.js';
import { changeTargets } from '../../engine/changes.js';
import { orderByError } from '../../engine/error-context.js';
import { classifyText } from '../../explain/classify.js';
import { resolveSubjects } from '../../engine/subjects.js';
import { factsFromFiles } from '../../collect/bundle/facts.js';
import type { BundleInput } from '../../collect/bundle/facts.js';
import type { ChangeTarget } from '../../model/log-query.js';
import { UsageError } from '../../engine/errors.js';
import type { FailOn } from '../../model/results.js';
import { exitCodeFor } from '../../model/results.js';
import { RENDERERS } from '../../report/index.js';
import type { ReportFormat } from '../../report/formats.js';
import { shouldColor } from '../../report/text.js';
import type { Io } from '../output.js';
import { isKnownPermission, similarPermissions } from '../../model/iam/catalog.js';
import { isServiceAccountEmail } from '../../model/identifiers.js';
import { validateAccessFlags } from '../options.js';
import { emit, warn } from '../output.js';
import { packageVersion } from '../package-info.js';

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
}

export async function runCheckCommand(options: CheckCommandOptions, io: Io): Promise<number> {
  const { ksa, workload, pod, all } = options;
  if (!all && !ksa?.length && !workload?.length && !pod?.length) {
    throw new UsageError('name what to check: --ksa NS/KSA, --workload NS/KIND/NAME, --pod NS/POD, or --all');
  }
  if (options.on && !options.need?.length) throw new UsageError('--on needs --need PERMISSION_OR_ROLE');
  validateAccessFlags(options, isKnownPermission, similarPermissions, isServiceAccountEmail);
  const { facts, notes } = options.from ? await readBundle(options.from) : await readLive(options, io);
  for (const note of notes) warn(io, note);
  const report = diagnose(facts, CHECKS, {
    targets: { all: options.all, ksa: options.ksa, workload: options.workload, pod: options.pod },
    options: { need: options.need ?? [], on: options.on, impersonate: options.impersonate, e2e: options.e2e ?? false },
    only: options.only,
    skip: options.skip,
    source: options.from ?? 'live',
    version: packageVersion(),
    generatedAt: new Date().toISOString(),
  });
  if (options.error !== undefined) orderByError(report, classifyText(options.error));
  const color =
    options.format === 'text' && !options.output && options.color !== false && shouldColor(io.stdout, io.env);
  // The HTML report draws the identity graph of the run.
  const graph =
    options.format === 'html'
      ? (await import('../../graph/index.js')).identityGraph(facts, report, options)
      : undefined;
  const text = RENDERERS[options.format](report, {
    color,
    hidePass: options.hidePass ?? false,
    checks: CHECKS,
    ...(graph ? { graph } : {}),
  });
  emit(io, text, options.output);
  return exitCodeFor(report.results, options.failOn);
}

/**
 * Who changed it, live: once the facts are in, diagnose them; for what failed in a way a recorded change can
 * explain, the collector reads the Admin Activity logs too (nothing more is read when nothing such failed).
 */
export function changeEvidenceFor(options: {
  ksa?: string[];
  workload?: string[];
  pod?: string[];
  all?: boolean;
  only?: string[];
  skip?: string[];
}): (input: BundleInput) => ChangeTarget[] {
  return (input) => {
    const facts = factsFromFiles(input);
    const targets = { all: options.all, ksa: options.ksa, workload: options.workload, pod: options.pod };
    const report = diagnose(facts, CHECKS, {
      targets,
      options: DEFAULT_OPTIONS,
      only: options.only,
      skip: options.skip,
      source: 'live',
      version: packageVersion(),
    });
    return changeTargets(report, facts, resolveSubjects(facts, targets));
  };
}

/** Live input: read only what the selected checks and targets need, with progress and --debug on stderr. */
export async function readLive(options: LiveRequestOptions, io: Io): Promise<{ facts: Facts; notes: string[] }> {
  const hooks = liveHooks(io, options);
  try {
    const { facts, notes, stats } = await liveFacts(options, hooks, { changeEvidence: changeEvidenceFor(options) });
    if (options.debug) warn(io, describeStats(stats));
    return { facts, notes };
  } finally {
    hooks.finish();
  }
}
