// wi-doctor as a library: the engine the CLI runs, for other tools (a controller, a portal plugin, a CI step)
// to embed. Four steps, in the order data flows:
//
//   readBundle(dir) | collectLive(options)  →  facts  →  diagnose(facts, request)  →  report  →  render(report, format)
//
// The CLI's `check` uses these same functions. Live collection loads the Google and Kubernetes clients only
// when it is called. Everything else here is pure and reads no environment. See docs/library.md.

import { CHECKS } from './checks/index.js';
import type { AnyCheck, CheckOptions } from './checks/define.js';
import type { LiveHooks, LiveRequestOptions, LiveStats } from './collect/live/live.js';
import type { TargetRequest } from './engine/subjects.js';
import { DEFAULT_OPTIONS, startDiagnosis } from './engine/diagnose.js';
import { errorOrdering } from './engine/error-context.js';
import { classifyText } from './explain/classify.js';
import type { Facts } from './model/facts.js';
import type { Report, ReportStream } from './model/results.js';
import { reportOf, tapStream } from './model/results.js';
import type { CatalogEntry, RenderContext, ReportFormat } from './report/index.js';
import { renderChunks as chunksOf, renderStreamChunks as streamChunksOf, RENDERERS } from './report/index.js';
import { packageVersion } from './cli/package-info.js';

export { readBundle } from './collect/bundle/read.js';
export type { BundleRead } from './collect/bundle/read.js';
export { BundleError } from './collect/bundle/manifest.js';
export { UsageError } from './engine/errors.js';
export { applyBaseline } from './report/baseline.js';
export type { Baseline, BaselineEntry, BaselineOutcome } from './report/baseline.js';
export { renderedFix } from './report/fixes.js';
export { REPORT_FORMATS } from './report/formats.js';
export { exitCodeFor, reportOf, tapStream } from './model/results.js';
export { FIX_ACTIONS } from './fix/actions.js';
export type { FixActionName } from './fix/actions.js';
export type {
  CheckResult,
  Evidence,
  FailOn,
  FixAction,
  FixPlan,
  Report,
  ReportEnd,
  ReportHead,
  ReportSlice,
  ReportStream,
  Status,
  Summary,
  Suppression,
  Verdict,
  VerdictGroup,
} from './model/results.js';
export type { Facts } from './model/facts.js';
export type { CheckOptions } from './checks/define.js';
export type { TargetRequest } from './engine/subjects.js';
export type { LiveHooks, LiveRequestOptions, LiveStats } from './collect/live/live.js';
export type { ReportFormat } from './report/index.js';

/** Every check of this version, in registry order: id, title, scope, the facts it reads. */
export const checks: readonly AnyCheck[] = CHECKS;

/**
 * Reads the live APIs (GKE, IAM, Resource Manager, Service Usage, the cluster's Kubernetes API) for what
 * the selected checks need about the targets. Credentials and endpoints come from `options` and the
 * environment exactly as for `wi-doctor check` (docs/live.md): Application Default Credentials or
 * `accessTokenFile`, the kubeconfig's current or named context. Read-only.
 */
export async function collectLive(
  options: LiveRequestOptions,
  hooks: LiveHooks = {},
  extra: CollectExtras = {},
): Promise<{ facts: Facts; notes: string[]; stats: LiveStats }> {
  const [{ liveFacts }, { changeEvidenceFor }] = await Promise.all([
    import('./collect/live/live.js'),
    import('./collect/live/change-evidence.js'),
  ]);
  const changesFor = extra.changesFor;
  return liveFacts(
    options,
    hooks,
    changesFor === undefined
      ? {}
      : { changeEvidence: changeEvidenceFor({ ...changesFor, only: options.only, skip: options.skip }) },
  );
}

export interface CollectExtras {
  /**
   * Who changed it: for these targets, what fails in a way a recorded change can explain (a removed binding,
   * a deleted or disabled account, a rewritten annotation) is also looked up in the Admin Activity logs and
   * in Kubernetes' managedFields. Nothing more is read when nothing such fails.
   */
  changesFor?: TargetRequest;
}

export interface DiagnoseRequest {
  /** What to check: `{ all: true }`, `{ ksa: ['shop/cart'] }`, `{ workload: ['shop/deployment/cart'] }`, `{ pod: [...] }`. */
  targets: TargetRequest;
  /** `need`, `on`, `impersonate`, `e2e`: as the flags of the same names. */
  options?: Partial<CheckOptions>;
  /** Check ids to run (default: all) or to leave out. */
  only?: readonly string[];
  skip?: readonly string[];
  /** Where the facts came from, for the report (a bundle folder or `live`; default `library`). */
  source?: string;
  /** When the report is made (ISO time; default now). */
  generatedAt?: string;
  /** The error text the application saw (as `--error`): each verdict's evidence is ordered by its likely causes. */
  error?: string;
  /** Subjects per slice of `diagnoseStream` (default 50): the report is the same whatever it is. */
  sliceSize?: number;
}

/**
 * Runs the checks on the facts and builds the verdicts: pure, synchronous, no I/O. Throws `UsageError` for
 * targets that name nothing in the facts or unknown check ids (its message says which, and suggests).
 */
export function diagnose(facts: Facts, request: DiagnoseRequest): Report {
  return reportOf(diagnoseStream(facts, request));
}

/**
 * `diagnose`, a slice of subjects at a time: the checks on shared objects run at once, each slice when it is
 * read. For thousands of subjects, `renderStreamChunks` lays out or writes each slice as it comes and lets its
 * results go, which takes a fraction of the memory and time of the report made whole. Read `slices` once, then
 * `end()`.
 */
export function diagnoseStream(facts: Facts, request: DiagnoseRequest): ReportStream {
  const stream = startDiagnosis(facts, CHECKS, {
    targets: request.targets,
    options: { ...DEFAULT_OPTIONS, ...request.options },
    ...(request.only !== undefined ? { only: request.only } : {}),
    ...(request.skip !== undefined ? { skip: request.skip } : {}),
    source: request.source ?? 'library',
    version: packageVersion(),
    generatedAt: request.generatedAt ?? new Date().toISOString(),
    ...(request.sliceSize !== undefined ? { sliceSize: request.sliceSize } : {}),
  });
  if (request.error === undefined) return stream;
  const ordering = errorOrdering(classifyText(request.error));
  const notes = [...ordering.notes];
  return tapStream(stream, { slice: (slice) => notes.push(...ordering.order(slice.verdicts)), notes: () => notes });
}

export interface RenderOptions {
  /** ANSI colour in the text report (default false). */
  color?: boolean;
  /** Count passing checks instead of listing them (text). */
  hidePass?: boolean;
  /** One line per subject (text). */
  brief?: boolean;
  /** Columns to wrap prose at (text; default 100). */
  width?: number;
}

function contextOf(options: RenderOptions): RenderContext {
  const catalog: readonly CatalogEntry[] = CHECKS;
  return {
    color: options.color ?? false,
    hidePass: options.hidePass ?? false,
    checks: catalog,
    ...(options.brief !== undefined ? { brief: options.brief } : {}),
    ...(options.width !== undefined ? { width: options.width } : {}),
  };
}

/**
 * The report as `text` (what a person reads), `json` (schema/report.schema.json, fix commands filled in),
 * `sarif` (SARIF 2.1.0) or `markdown` (a pull-request comment under GitHub's size limit).
 */
export function render(report: Report, format: ReportFormat = 'text', options: RenderOptions = {}): string {
  return RENDERERS[format](report, contextOf(options));
}

/** A stream from `diagnoseStream`, rendered as it is read (text and JSON piece by piece; the others made whole first). */
export function renderStreamChunks(
  stream: ReportStream,
  format: ReportFormat = 'text',
  options: RenderOptions = {},
): Iterable<string> {
  return streamChunksOf(format, stream, contextOf(options));
}

/** Like `render`, in chunks (text and JSON are produced piece by piece): for reports of thousands of subjects. */
export function renderChunks(
  report: Report,
  format: ReportFormat = 'text',
  options: RenderOptions = {},
): Iterable<string> {
  return chunksOf(format, report, contextOf(options));
}
