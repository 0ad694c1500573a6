// What every human-facing renderer shares: which results belong under which verdict, the summary line,
// the header, wrapping, and the scrubbing of secrets, so that text and markdown can never disagree.

import { redactSecrets } from '../model/redact.js';
import type { CheckResult, FixPlan, Report, Status, Summary, Verdict } from '../model/results.js';
import { renderedFix } from './fixes.js';
import { sanitize } from './sanitize.js';

export { redactSecrets } from '../model/redact.js';

/** Results shown under one heading: the subject's own, or one shared subject it depends on. */
export interface ResultBlock {
  /** The subject of these results. */
  subject: string;
  /** True for the verdict's own subject, false for a related cluster/node pool/project subject. */
  own: boolean;
  results: CheckResult[];
}

/** What the renderers look up per report, worked out once per report (filtering all results per verdict is quadratic). */
interface ReportIndex {
  /** Results grouped by subject. */
  bySubject: Map<string, CheckResult[]>;
  /** A related subject's results but its once-per-cluster findings, by subject. */
  related: Map<string, CheckResult[]>;
  /** Every result a verdict rests on. */
  byVerdict: WeakMap<Verdict, readonly CheckResult[]>;
}

const indexes = new WeakMap<Report, ReportIndex>();

function indexOf(report: Report): ReportIndex {
  let index = indexes.get(report);
  if (index === undefined) {
    const bySubject = new Map<string, CheckResult[]>();
    for (const result of report.results) {
      const list = bySubject.get(result.subject);
      if (list) list.push(result);
      else bySubject.set(result.subject, [result]);
    }
    index = { bySubject, related: new Map(), byVerdict: new WeakMap() };
    indexes.set(report, index);
  }
  return index;
}

/**
 * The subject's own results first, then each related subject's, in the order the verdict lists them.
 * A once-per-cluster finding (`clusterWide`) is about no subject's chain and is shown on its own.
 */
export function blocksFor(report: Report, verdict: Verdict): ResultBlock[] {
  const index = indexOf(report);
  const blocks: ResultBlock[] = [
    { subject: verdict.subject, own: true, results: index.bySubject.get(verdict.subject) ?? [] },
  ];
  for (const related of verdict.related) {
    if (related === verdict.subject) continue;
    const results = relatedResults(index, related);
    if (results.length > 0) blocks.push({ subject: related, own: false, results });
  }
  return blocks;
}

/** A related (shared) subject's results but its once-per-cluster findings: the same for every verdict, made once. */
function relatedResults(index: ReportIndex, related: string): CheckResult[] {
  let results = index.related.get(related);
  if (results === undefined) {
    results = (index.bySubject.get(related) ?? []).filter((r) => r.clusterWide !== true);
    index.related.set(related, results);
  }
  return results;
}

/**
 * Every result a verdict rests on: its own, then its related subjects'. Asked several times per verdict by
 * each renderer (root cause, other findings, skipped checks), so worked out once per report and verdict.
 */
export function resultsOf(report: Report, verdict: Verdict): readonly CheckResult[] {
  const index = indexOf(report);
  let results = index.byVerdict.get(verdict);
  if (results === undefined) {
    const all: CheckResult[] = [];
    for (const block of blocksFor(report, verdict)) for (const r of block.results) all.push(r);
    results = all;
    index.byVerdict.set(verdict, results);
  }
  return results;
}

/**
 * Results no verdict shows (a once-per-cluster risk, audit results about a GSA, a project nobody depends
 * on): never drop them silently.
 */
export function unclaimedResults(report: Report): CheckResult[] {
  const shown = new Set<string>();
  for (const v of report.verdicts) {
    shown.add(v.subject);
    for (const r of v.related) shown.add(r);
  }
  return report.results.filter((r) => r.clusterWide === true || !shown.has(r.subject));
}

/** The status a verdict shows. An unknown never shows as a pass. */
export function verdictStatus(_report: Report, verdict: Verdict): Status {
  return verdict.status;
}

/** Non-pass, non-skip results of a verdict other than its root cause: what else to look at or fix. */
export function otherFindings(report: Report, verdict: Verdict): CheckResult[] {
  const root = rootResult(report, verdict);
  return resultsOf(report, verdict).filter(
    (r) => r !== root && (r.status === 'fail' || r.status === 'warn' || r.status === 'unknown'),
  );
}

/** The result that is the verdict's root cause, when there is one. */
export function rootResult(report: Report, verdict: Verdict): CheckResult | undefined {
  if (verdict.rootCause === null) return undefined;
  return resultsOf(report, verdict).find((r) => r.check === verdict.rootCause && r.status === 'fail');
}

/** Check ids of the verdict's skipped results (not applicable, not requested), each once. */
export function skippedChecks(report: Report, verdict: Verdict): string[] {
  return [
    ...new Set(
      resultsOf(report, verdict)
        .filter((r) => r.status === 'skip')
        .map((r) => r.check),
    ),
  ];
}

const plural = (n: number, one: string, many: string): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** What the subjects are: KSAs, workloads or pods when all are of one kind. */
function subjectNoun(kind: SubjectKind | undefined, n: number): string {
  if (kind !== undefined) {
    return {
      ksa: n === 1 ? 'KSA' : 'KSAs',
      workload: n === 1 ? 'workload' : 'workloads',
      pod: n === 1 ? 'pod' : 'pods',
    }[kind];
  }
  return n === 1 ? 'subject' : 'subjects';
}

type SubjectKind = 'ksa' | 'workload' | 'pod';

/** `ns/name` is a KSA, `ns/pod/name` a pod, `ns/kind/name` a workload (so is a name without `/`). */
function subjectKind(subject: string): SubjectKind {
  // Found by position, not by splitting: this runs for every subject of the report.
  const first = subject.indexOf('/');
  if (first === -1) return 'workload';
  const second = subject.indexOf('/', first + 1);
  if (second === -1) return 'ksa';
  return second - first - 1 === 3 && subject.startsWith('pod', first + 1) ? 'pod' : 'workload';
}

/**
 * What a passing verdict says in one line: that Workload Identity should work, or, when `--only`/`--skip` left
 * checks out, only that the checks run found no failure.
 */
export function passPhrase(report: Pick<Report, 'selection'>, checksPassed: number): string {
  const n = `${checksPassed} check${checksPassed === 1 ? '' : 's'}`;
  return report.selection === undefined
    ? `Workload Identity should work (${n} passed)`
    : `no failure in the ${n} run (${report.selection}; the others were not run)`;
}

/** Subjects by the status of their verdict. */
export function subjectCounts(report: Report): Record<Status, number> {
  const counts: Record<Status, number> = { fail: 0, warn: 0, unknown: 0, pass: 0, skip: 0 };
  for (const v of report.verdicts) counts[v.status]++;
  return counts;
}

/**
 * The subjects first ("1 of 2 KSAs broken, 1 healthy"), then the check results, saying what each number
 * counts. It always says how many checks were unknown, even 0.
 */
export function summaryLine(report: Report): string {
  const tally = new SummaryTally(report.verdicts.length === 0);
  tally.addVerdicts(report.verdicts);
  tally.addResults(report.results);
  return tally.line(report.summary, report.selection);
}

/**
 * What the summary line counts besides the results' statuses, taken from verdicts and results as they come (a
 * report read a slice at a time never has them all at once).
 */
export class SummaryTally {
  private readonly counts: Record<Status, number> = { fail: 0, warn: 0, unknown: 0, pass: 0, skip: 0 };
  private total = 0;
  /** The one kind all subjects are of so far; null once they are of several kinds. */
  private kind: SubjectKind | null | undefined;
  private suppressed = 0;
  /** Subjects of results, counted only for a report without verdicts (an audit's objects). */
  private readonly objects: Set<string> | undefined;

  constructor(countObjects: boolean) {
    this.objects = countObjects ? new Set() : undefined;
  }

  addVerdicts(verdicts: readonly Verdict[]): void {
    for (const v of verdicts) {
      this.counts[v.status]++;
      this.total++;
      if (this.kind === null) continue;
      const kind = subjectKind(v.subject);
      if (this.kind === undefined) this.kind = kind;
      else if (kind !== this.kind) this.kind = null;
    }
  }

  addResults(results: readonly CheckResult[]): void {
    // Counted, not cached: `applyBaseline` marks results of a report that may have been rendered already.
    for (const r of results) {
      if (r.suppressed !== undefined) this.suppressed++;
      this.objects?.add(r.subject);
    }
  }

  line(s: Summary, selection: string | undefined): string {
    const { total, counts } = this;
    const kind = this.kind ?? undefined;
    // An audit has no subjects: its results are about the cluster, node pools, GSAs and projects it read.
    const objects = total === 0 ? (this.objects?.size ?? 0) : 0;
    const subjects =
      total === 0
        ? objects === 0
          ? 'No subjects'
          : `${plural(objects, 'object', 'objects')} checked`
        : [
            `${counts.fail.toLocaleString('en-US')} of ${plural(total, subjectNoun(kind, 1), subjectNoun(kind, total))} broken`,
            ...(counts.warn > 0 ? [`${counts.warn.toLocaleString('en-US')} with warnings`] : []),
            ...(counts.unknown > 0 ? [`${counts.unknown.toLocaleString('en-US')} not proven (checks unknown)`] : []),
            ...(counts.pass > 0
              ? [
                  selection === undefined
                    ? `${counts.pass.toLocaleString('en-US')} healthy`
                    : `${counts.pass.toLocaleString('en-US')} with no failure in the checks run (${selection})`,
                ]
              : []),
          ].join(', ');
    const checks = [
      `${s.fail.toLocaleString('en-US')} failed`,
      plural(s.warn, 'warning', 'warnings'),
      `${s.unknown.toLocaleString('en-US')} unknown`,
      `${s.pass.toLocaleString('en-US')} passed`,
      `${s.skip.toLocaleString('en-US')} not applicable`,
    ].join(', ');
    const suppressed = this.suppressed;
    const baseline = suppressed > 0 ? ` (${suppressed.toLocaleString('en-US')} suppressed by the baseline)` : '';
    return `${subjects} · checks: ${checks}${baseline}`;
  }
}

/** `2026-11-24 14:05 UTC`. */
export function humanTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** How long before `now` something happened: `3 days`, `5 hours`, `under a minute`. */
export function age(fromIso: string, nowIso: string): string | undefined {
  const from = Date.parse(fromIso);
  const now = Date.parse(nowIso);
  if (Number.isNaN(from) || Number.isNaN(now)) return undefined;
  const ms = now - from;
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const span =
    minutes < 1
      ? 'under a minute'
      : minutes < 120
        ? plural(minutes, 'minute', 'minutes')
        : minutes < 48 * 60
          ? plural(Math.floor(minutes / 60), 'hour', 'hours')
          : plural(Math.floor(minutes / 1440), 'day', 'days');
  return ms < 0 ? `${span} after this report was made (clock skew?)` : span;
}

/** A shared subject in few words: `node pool batch-pool`, `cluster prod`, `project acme-shop`. */
export function shortSubject(name: string): string {
  const pool = /^projects\/[^/]+\/locations\/[^/]+\/clusters\/[^/]+\/nodePools\/([^/]+)$/.exec(name);
  if (pool?.[1] !== undefined) return `node pool ${pool[1]}`;
  const cluster = /^projects\/[^/]+\/locations\/[^/]+\/clusters\/([^/]+)$/.exec(name);
  if (cluster?.[1] !== undefined) return `cluster ${cluster[1]}`;
  const project = /^projects\/([^/]+)$/.exec(name);
  if (project?.[1] !== undefined) return `project ${project[1]}`;
  return name;
}

/** Where the facts came from and how old they are: the header's second half. */
export function sourceLine(report: Pick<Report, 'collectedAt' | 'source' | 'generatedAt'>): string {
  const when = report.collectedAt;
  if (report.source === 'live') {
    return when === undefined ? 'read live' : `read live at ${humanTime(when)}`;
  }
  if (report.source === 'library') {
    return when === undefined
      ? 'facts given to the library'
      : `facts given to the library, collected ${humanTime(when)}`;
  }
  if (when === undefined) return `bundle ${report.source}`;
  const old = age(when, report.generatedAt);
  return `bundle ${report.source} · collected ${humanTime(when)}${old === undefined ? '' : ` (${old} old)`}`;
}

/** The first command of a fix a person would paste, or its description when it has no command. */
export function firstFixLine(plan: FixPlan): string {
  const fix = renderedFix(plan);
  return fix.gcloud ?? fix.kubectl ?? oneLine(fix.description);
}

/** A fix plan's identity: plans repeated in several results are shown once. */
export const fixKey = (plan: FixPlan): string => `${plan.action} ${plan.target} ${JSON.stringify(plan.params)}`;

/** One line: line breaks and runs of spaces inside a value must not break the layout; controls are escaped. */
export const oneLine = (text: string): string => sanitize(joinLines(text).trim());

/** `text` with each line break and the whitespace around it as one space. */
function joinLines(text: string): string {
  // Most text has no line break: two quick searches instead of a regex that tries every position.
  if (!text.includes('\n') && !text.includes('\r')) return text;
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/**
 * Greedy word wrap at `width` columns: the first line starts with `first`, the others with `rest`.
 * Words longer than a line (a URL, a resource name) are never cut: they get a line of their own.
 */
export function wrap(text: string, width: number, first: string, rest: string): string[] {
  // Scrubbed before it is cut into lines: a key split over two lines would no longer match a pattern.
  const clean = oneLine(redactSecrets(text));
  // Fits on the first line (always, unwrapped: width Infinity) and has no empty word: the loop below would
  // append every word to `first` with one space between, which is `first + clean`. No empty word: no space
  // at either end and no two spaces together, so `clean.split(' ')` would give back its words, none skipped.
  if (first.length + clean.length <= width && !hasEmptyWord(clean)) return [first + clean];
  const words = clean.split(' ');
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    if (word === '') continue;
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else {
      line = empty ? line + word : `${line} ${word}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** Whether splitting `text` at spaces gives an empty word (other than for empty text): a space at an end, or two together. */
const hasEmptyWord = (text: string): boolean => text.startsWith(' ') || text.endsWith(' ') || text.includes('  ');

/**
 * An evidence value as text a person reads: strings as they are, anything else as JSON with a space after
 * each comma and colon, so that it can wrap between elements instead of being cut mid-string.
 */
export function evidenceText(value: unknown): string {
  if (typeof value === 'string') return value;
  let json: string | undefined;
  try {
    json = JSON.stringify(value, null, 1);
  } catch {
    // A value nested too deep for JSON.stringify (the readers refuse such input; this is a last guard).
    return '(too deeply nested to show)';
  }
  if (json === undefined) return String(value);
  return json
    .replace(/\n\s*/g, ' ')
    .replace(/([[{]) /g, '$1')
    .replace(/ ([\]}])/g, '$1');
}

/** Characters that continue a name: a subject's name inside a longer name is not that subject. */
const NAME_CHAR = /[A-Za-z0-9._-]/;

/** `text` with every whole occurrence of the subject's names (`ns/name`, then each part) replaced by `{}`. */
export function withoutSubjectNames(text: string, subject: string): string {
  return withoutNames(text, namesOf(subject));
}

/** A subject's names, longest first: `ns/name`, then each part (`pod` aside); among equals, in that order. */
function namesOf(subject: string): string[] {
  const names = [subject];
  for (const part of subject.split('/')) {
    if (part.length === 0 || part === 'pod') continue;
    // Placed by insertion (a few names): Array#sort would copy them for each of 20,000 subjects.
    let at = names.length;
    while (at > 0 && (names[at - 1]?.length ?? 0) < part.length) at--;
    names.splice(at, 0, part);
  }
  return names;
}

function withoutNames(text: string, names: readonly string[]): string {
  let out = text;
  for (const name of names) {
    // An empty subject is no name (and `indexOf('')` would find it at the end for ever).
    if (name === '' || !out.includes(name)) continue;
    let result = '';
    let from = 0;
    for (let at = out.indexOf(name); at !== -1; at = out.indexOf(name, at + 1)) {
      const before = at > 0 ? out.charAt(at - 1) : '';
      const after = out.charAt(at + name.length);
      if (NAME_CHAR.test(before) || NAME_CHAR.test(after)) continue;
      if (at < from) continue;
      result += `${out.slice(from, at)}{}`;
      from = at + name.length;
    }
    out = result + out.slice(from);
  }
  return out;
}

/**
 * What a subject that is not healthy shows under its name, with its own names taken out, followed by its fix plans
 * as they are: subjects with the same key are broken, warned about or not proven for the same reason, and the text
 * report says that reason once for all of them. A fix command is copied as it is, so it must read the same for
 * every subject of a fold: a plan that names the subject (a binding for its own KSA) makes the key its own, and the
 * subject keeps its block. Undefined for a subject that is not to be folded: a healthy one, or one with a
 * suppressed finding (each says by which entry).
 */
export function foldKey(report: Report, verdict: Verdict): string | undefined {
  if (verdict.status === 'pass' || verdict.status === 'skip') return undefined;
  const root = rootResult(report, verdict);
  const findings = otherFindings(report, verdict);
  if (root?.suppressed !== undefined || findings.some((r) => r.suppressed !== undefined)) return undefined;
  const parts: string[] = [verdict.status, verdict.rootCause ?? '', verdict.headline];
  if (verdict.change !== undefined) parts.push(JSON.stringify(verdict.change));
  parts.push(...verdict.notEvaluated, ...skippedChecks(report, verdict));
  const plans: string[] = verdict.fix.map(fixKey);
  for (const r of root === undefined ? findings : [root, ...findings]) {
    const own = r.subject === verdict.subject;
    parts.push(r.check, r.status, own ? '' : r.subject, r.cause ?? r.title);
    if (r.evidence !== undefined) parts.push(own ? compactJson(r.evidence) : sharedEvidenceJson(r.evidence));
    parts.push(...(r.missing ?? []));
    for (const plan of r.fix) plans.push(fixKey(plan));
  }
  // The plans first, after their length: where they end is known whatever text they hold. One join makes the
  // key one flat string (a concatenation would be copied again when the key is first hashed).
  const planText = plans.join('\u0000');
  return foldKeyOf(parts, verdict.subject, [String(planText.length), planText]);
}

/**
 * Evidence as compact JSON, for a fold key: the same values as `evidenceText` shows, without laying them out
 * (only whitespace between tokens differs, and none of it borders a name differently).
 */
function compactJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '(too deeply nested to show)';
  }
}

/** The evidence of a shared object's result (a node pool's), under thousands of subjects: made once. */
const sharedJson = new WeakMap<object, string>();

function sharedEvidenceJson(evidence: object): string {
  let json = sharedJson.get(evidence);
  if (json === undefined) {
    json = compactJson(evidence);
    sharedJson.set(evidence, json);
  }
  return json;
}

/**
 * `withoutSubjectNames(parts.join('\u0000'), subject)`, with the names taken out of each part before they are
 * joined: the same text (a part's ends border on U+0000, which is no name character, as the start and end of a
 * text are not), in a fraction of the copying, as most parts hold no name. A name holding U+0000 could span two
 * parts: such a subject is done the long way. `before`: parts put first as they are (a fold key's fix plans).
 */
export function foldKeyOf(parts: readonly string[], subject: string, before: readonly string[] = []): string {
  if (subject.includes('\u0000')) return [...before, withoutSubjectNames(parts.join('\u0000'), subject)].join('\u0000');
  const names = namesOf(subject);
  const take = PLAIN_SUBJECT.test(subject) ? withoutPlainNames : withoutNames;
  const out = [...before];
  for (const part of parts) out.push(take(part, names));
  return out.join('\u0000');
}

/** A subject of name characters and `/` only (what Kubernetes names are made of). */
const PLAIN_SUBJECT = /^[A-Za-z0-9._/-]*$/;

/**
 * `withoutNames(text, names)` for the names of a plain subject, in one pass over `text` as it is. `withoutNames`
 * replaces one name after the other, in the text the longer names left; here each name is found in the text as
 * given. The two agree: a name is replaced only where no name character borders it, and `{}` is none either, so
 * what borders the rest reads the same; no name holds a brace, so none is found across a `{}`; and an occurrence
 * inside or across one already taken out is skipped, as the text `withoutNames` searches no longer holds it.
 */
function withoutPlainNames(text: string, names: readonly string[]): string {
  let ranges: number[] | undefined; // [start, end) pairs, in order
  for (const name of names) {
    if (name === '') continue;
    for (let at = text.indexOf(name); at !== -1; at = text.indexOf(name, at + 1)) {
      const end = at + name.length;
      if (NAME_CHAR.test(text.charAt(at - 1)) || NAME_CHAR.test(text.charAt(end))) continue;
      ranges = withRange(ranges, at, end);
    }
  }
  if (ranges === undefined) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    out += `${text.slice(from, ranges[i])}{}`;
    from = ranges[i + 1] ?? text.length;
  }
  return out + text.slice(from);
}

/** `ranges` with [start, end) in its place, unless it overlaps one already there. */
function withRange(ranges: number[] | undefined, start: number, end: number): number[] | undefined {
  if (ranges === undefined) return [start, end];
  let i = 0;
  for (; i < ranges.length; i += 2) {
    const taken = ranges[i] ?? 0;
    if (start < (ranges[i + 1] ?? 0) && taken < end) return ranges;
    if (taken > start) break;
  }
  ranges.splice(i, 0, start, end);
  return ranges;
}
