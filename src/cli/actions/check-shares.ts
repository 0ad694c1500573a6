// `check --from DIR --threads N`: a bundle's subjects split over threads. Each thread reads the bundle, diagnoses
// one share of the subjects (contiguous, in the usual order) and renders what only those subjects' results can
// tell: their text blocks, or their results as JSON. The results never cross between threads (copying 300,000 results costs
// more than making them); what crosses is the verdicts, the failures the groups are made of, the counts and the
// rendered text. This thread then writes the report exactly as one thread would have: the same bytes.
//
// Used for bundle input without a baseline file or `--error` (those rework the whole report after the
// diagnosis), in text or JSON. From the TypeScript sources (tests) there is no compiled worker to start: the
// shares are then diagnosed one after the other on this thread, through the same code.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CHECKS } from '../../checks/index.js';
import { readBundle } from '../../collect/bundle/read.js';
import { BundleError } from '../../collect/bundle/manifest.js';
import type { CheckOptions } from '../../checks/define.js';
import { planDiagnosis, shareRange } from '../../engine/diagnose.js';
import type { DiagnoseRequest } from '../../engine/diagnose.js';
import { UsageError } from '../../engine/errors.js';
import { groupVerdicts } from '../../engine/verdict.js';
import type { CheckResult, Report, Summary, Verdict } from '../../model/results.js';
import { sortBySeverity, summarize } from '../../model/results.js';
import { elementChunks, jsonChunks } from '../../report/json.js';
import type { TextOptions, VerdictTexts } from '../../report/text.js';
import { textChunks, verdictTexts } from '../../report/text.js';

/** What one share is asked to do. */
export interface ShareJob {
  from: string;
  index: number;
  count: number;
  request: {
    targets: DiagnoseRequest['targets'];
    options: CheckOptions;
    only?: readonly string[];
    skip?: readonly string[];
    source: string;
    version: string;
    generatedAt: string;
  };
  format: 'text' | 'json';
  text: TextOptions;
}

/** What the text report needs of one verdict of a share, rendered there (see `VerdictTexts`). */
interface TextEntry {
  block?: string[];
  foldBody?: string[];
  /** Index of its fold key in `ShareTexts.keys`. */
  key?: number;
  ids?: string[];
  brief?: string;
}

interface ShareTexts {
  /** The distinct fold keys of the share. */
  keys: string[];
  /** One per verdict, in the share's verdict order. */
  entries: TextEntry[];
}

/** What a share hands back. */
export interface ShareOutcome {
  /** The report without its subjects' results: header fields, shared results, the share's verdicts. */
  head: Report;
  /** Notes of reading the bundle (printed once, by the first share). */
  readNotes: string[];
  /** The share's failing subject results (what groups are made of). */
  failing: CheckResult[];
  /** Counts of the share's subject results. */
  summary: Summary;
  texts?: ShareTexts;
  /** The share's subject results as JSON elements, UTF-8. */
  json?: Uint8Array[];
}

/** Subjects diagnosed at a time within a share: their results are rendered and let go before the next ones. */
const BATCH = 1_000;

/** Diagnoses one share and renders what only its results can tell. Runs on a worker thread, or inline. */
export async function runShare(job: ShareJob): Promise<ShareOutcome> {
  const { facts, notes } = await readBundle(job.from);
  const plan = planDiagnosis(facts, CHECKS, job.request);
  const [from, to] = shareRange(plan.subjectCount, { index: job.index, count: job.count });
  const share = new ShareBuilder(job, plan.subjectCount, notes);
  for (let at = from; ; at += BATCH) {
    share.add(plan.report(at, Math.min(at + BATCH, to)));
    if (at + BATCH >= to) break;
  }
  return share.outcome();
}

/** A share's outcome, made a batch of subjects at a time. */
class ShareBuilder {
  private head: Report | undefined;
  private readonly verdicts: Verdict[] = [];
  private readonly entries: TextEntry[] = [];
  private readonly failing: CheckResult[] = [];
  private readonly summary: Summary = { pass: 0, fail: 0, warn: 0, unknown: 0, skip: 0 };
  private notes: string[] = [];
  private readonly keys: string[] = [];
  private readonly keyIndex = new Map<string, number>();
  private readonly json: string[] = [];
  private readonly bytes: Uint8Array[] = [];
  private jsonSize = 0;
  private wroteJson = false;

  constructor(
    private readonly job: ShareJob,
    private readonly subjectCount: number,
    private readonly readNotes: string[],
  ) {}

  add(report: Report): void {
    const own = new Set(report.verdicts.map((v) => v.subject));
    const shared: CheckResult[] = [];
    const subjects: CheckResult[] = [];
    for (const r of report.results) (own.has(r.subject) ? subjects : shared).push(r);
    this.notes = this.head === undefined ? report.notes : mergedNotes([this.notes, report.notes]);
    this.head ??= { ...report, results: shared, verdicts: [], groups: [] };
    for (const r of subjects) {
      this.summary[r.status]++;
      if (r.status === 'fail') this.failing.push(r);
    }
    this.verdicts.push(...report.verdicts);
    if (this.job.format === 'text') this.entries.push(...this.textEntries(report));
    else this.addJson(subjects);
  }

  /**
   * The texts the report may need of each verdict. A not-proven verdict that may fold (it has a fold key) and is
   * the first of its key in the share gets the fold's body (it may be the first of the whole run) and its own
   * block (it may be the only one of the whole run); the later ones of a key fold whatever the other shares hold.
   * Keyed verdicts are all not proven, so the first in subject order is the first in the report's order.
   */
  private textEntries(report: Report): TextEntry[] {
    const opts = this.job.text;
    const texts = verdictTexts(report, opts);
    return report.verdicts.map((v): TextEntry => {
      if (opts.brief === true) return { brief: texts.briefLine(v) };
      const key = texts.foldKey(v);
      if (key === undefined) {
        // A healthy subject is one line, made from its verdict, unless it is the only subject of the run.
        return v.status === 'pass' && this.subjectCount > 1 ? {} : { block: texts.block(v) };
      }
      const known = this.keyIndex.get(key);
      if (known !== undefined) return { key: known };
      const index = this.keys.length;
      this.keys.push(key);
      this.keyIndex.set(key, index);
      return { key: index, foldBody: texts.foldBody(v), ids: texts.nonPassIds(v), block: texts.block(v) };
    });
  }

  /** The batch's subject results as JSON elements, after the share's earlier ones. */
  private addJson(results: readonly CheckResult[]): void {
    let first = true;
    for (const chunk of elementChunks(results)) {
      if (first && this.wroteJson) this.write(',\n');
      first = false;
      this.wroteJson = true;
      this.write(chunk);
    }
  }

  /** JSON text kept as UTF-8 pieces of about a megabyte (off the heap, moved to the main thread, not copied). */
  private write(text: string): void {
    this.json.push(text);
    this.jsonSize += text.length;
    if (this.jsonSize >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.json.length === 0) return;
    this.bytes.push(ENCODER.encode(this.json.join('')));
    this.json.length = 0;
    this.jsonSize = 0;
  }

  outcome(): ShareOutcome {
    if (this.head === undefined) throw new Error('internal: a share with no batch');
    this.flush();
    // Each batch's verdicts are in the report's order; the share's are once sorted together (stably: the batches
    // are contiguous runs of subjects), their texts with them.
    const order = sortBySeverity(
      this.verdicts.map((_, i) => i),
      (i) => this.verdicts[i]?.status ?? 'skip',
    );
    const verdicts = order.map((i) => this.verdicts[i] as Verdict);
    const outcome: ShareOutcome = {
      head: { ...this.head, verdicts, notes: this.notes },
      readNotes: this.readNotes,
      failing: this.failing,
      summary: this.summary,
    };
    if (this.job.format === 'text') {
      outcome.texts = { keys: this.keys, entries: order.map((i) => this.entries[i] ?? {}) };
    } else {
      outcome.json = this.bytes;
    }
    return outcome;
  }
}

const ENCODER = new TextEncoder();

/** The shares' texts, looked up by subject (a subject is in one share). */
function mergedTexts(outcomes: readonly ShareOutcome[]): VerdictTexts {
  const bySubject = new Map<string, { entry: TextEntry; keys: string[] }>();
  for (const o of outcomes) {
    const keys = o.texts?.keys ?? [];
    o.head.verdicts.forEach((v, i) => {
      const entry = o.texts?.entries[i];
      if (entry !== undefined) bySubject.set(v.subject, { entry, keys });
    });
  }
  const entryOf = (v: Verdict): TextEntry => bySubject.get(v.subject)?.entry ?? {};
  const missing = (what: string, v: Verdict): never => {
    throw new Error(`internal: the share of ${v.subject} sent no ${what}`);
  };
  return {
    block: (v) => entryOf(v).block ?? missing('block', v),
    foldBody: (v) => entryOf(v).foldBody ?? missing('fold body', v),
    foldKey: (v) => {
      const found = bySubject.get(v.subject);
      const key = found?.entry.key;
      return key === undefined ? undefined : found?.keys[key];
    },
    nonPassIds: (v) => entryOf(v).ids ?? missing('finding ids', v),
    briefLine: (v) => entryOf(v).brief ?? missing('brief line', v),
  };
}

/**
 * The report as one thread would have made it, without the subjects' own results (each share rendered those):
 * the shared results once, the verdicts in the run's order, the groups, counts and notes of all shares.
 */
export function mergedReport(outcomes: readonly ShareOutcome[]): Report {
  const [first] = outcomes;
  if (first === undefined) throw new Error('internal: no shares');
  const shared = first.head.results;
  const summary = summarize(shared);
  for (const o of outcomes)
    for (const status of Object.keys(summary) as (keyof Summary)[]) summary[status] += o.summary[status];
  // Each share's verdicts are in the run's order already; sorting the concatenation (stably) gives the order a
  // single run gives, since the shares are contiguous runs of the subjects.
  const verdicts = sortBySeverity(
    outcomes.flatMap((o) => o.head.verdicts),
    (v) => v.status,
  );
  // The groups are made of the failures, the shares' own among them; the report's results are the shared ones
  // (each share wrote its own).
  const failures = [...shared, ...outcomes.flatMap((o) => o.failing)];
  const notes = mergedNotes(outcomes.map((o) => o.head.notes));
  return { ...first.head, results: shared, verdicts, groups: groupVerdicts(verdicts, failures), summary, notes };
}

/**
 * The notes of several parts of one run: each part holds the notes of the bundle and the engine (the first part's
 * are kept as they are); a note that only some parts made (one about the logs read for their failures) is added
 * once, after them.
 */
function mergedNotes(parts: readonly (readonly string[])[]): string[] {
  const [first = [], ...rest] = parts;
  const notes = [...first];
  const said = new Set(notes);
  for (const part of rest) {
    for (const note of part) {
      if (said.has(note)) continue;
      said.add(note);
      notes.push(note);
    }
  }
  return notes;
}

/** The report (without its subjects' own results) and its chunks from the shares' outcomes: text or JSON. */
export function mergedChunks(
  outcomes: readonly ShareOutcome[],
  format: 'text' | 'json',
  text: TextOptions,
): { report: Report; chunks: Iterable<string> } {
  const report = mergedReport(outcomes);
  if (format === 'text') return { report, chunks: textChunks(report, text, mergedTexts(outcomes)) };
  const decoder = new TextDecoder();
  // Decoded a piece at a time, as they are written.
  const parts = outcomes.map((o) => ({
    *[Symbol.iterator]() {
      for (const bytes of o.json ?? []) yield decoder.decode(bytes);
    },
  }));
  return { report, chunks: jsonChunks(report, parts) };
}

/** The compiled worker next to this module, when there is one. */
function workerFile(): URL | undefined {
  const url = new URL('./check-share-worker.js', import.meta.url);
  return import.meta.url.endsWith('.js') && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** Error kinds that cross from a worker as their message, and are thrown again here as what they were. */
export type ShareReply =
  { outcome: ShareOutcome } | { error: { kind: 'usage' | 'bundle' | 'internal'; message: string } };

function onWorker(file: URL, job: ShareJob): Promise<ShareOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: job });
    let settled = false;
    worker.once('message', (reply: ShareReply) => {
      settled = true;
      if ('outcome' in reply) resolve(reply.outcome);
      else if (reply.error.kind === 'usage') reject(new UsageError(reply.error.message));
      else if (reply.error.kind === 'bundle') reject(new BundleError(reply.error.message));
      else reject(new Error(reply.error.message));
      void worker.terminate();
    });
    worker.once('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`a diagnosis thread stopped (exit code ${String(code)})`));
      settled = true;
    });
  });
}

/** Diagnoses every share (on worker threads when built, else one after the other here). */
export async function runShares(jobs: readonly ShareJob[]): Promise<{ outcomes: ShareOutcome[]; onWorkers: boolean }> {
  const file = workerFile();
  if (file === undefined) {
    const outcomes: ShareOutcome[] = [];
    for (const job of jobs) outcomes.push(await runShare(job));
    return { outcomes, onWorkers: false };
  }
  return { outcomes: await Promise.all(jobs.map((job) => onWorker(file, job))), onWorkers: true };
}
