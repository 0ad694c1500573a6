// The terminal report, read top-down by someone paged at night: a header (what, from where, how old), the
// summary, then the subjects most severe first. Per subject the root cause and its evidence come first and
// the fix right after them; then the other findings with their fixes, what was ruled out (each passing
// check once), what was not evaluated and what did not apply. Healthy subjects take one line when there
// are several. `--brief` prints one line per subject. Prose wraps at the terminal width; commands never
// wrap (they are copied whole). Colour is ANSI, and only when asked.
//
// Subjects come most severe first whatever order the verdicts are given in. A diagnosis is laid out a slice of
// subjects at a time: each subject's block is laid out as its slice comes and kept as text in its place; the
// header, which counts everything, is written at the end.
//
// Every string from data is redacted and escaped (sanitize.ts) before it is laid out: the header's fields
// once, then each verdict, result and group as it is rendered, without copying the report, so that nothing
// reaches the output unsanitised.

import type {
  CheckResult,
  FixPlan,
  Report,
  ReportEnd,
  ReportHead,
  ReportSlice,
  ReportStream,
  Status,
  Verdict,
  VerdictGroup,
} from '../model/results.js';
import { sortBySeverity, streamOf } from '../model/results.js';
import {
  passPhrase,
  evidenceText,
  firstFixLine,
  fixKey,
  foldKey,
  oneLine,
  otherFindings,
  redactSecrets,
  rootResult,
  shortSubject,
  skippedChecks,
  sourceLine,
  SummaryTally,
  wrap,
} from './common.js';
import { fixCommands, renderedFix } from './fixes.js';
import { sanitize, sanitizeDeep } from './sanitize.js';

export interface TextOptions {
  color: boolean;
  /** Say how many checks passed instead of listing them (the summary still counts them). */
  hidePass: boolean;
  /** Print the fix commands (default true). */
  showFixes?: boolean;
  /** One line per subject: subject · verdict · first fix command. */
  brief?: boolean;
  /** Columns to wrap prose at (default 100). */
  width?: number;
}

export const STATUS_SYMBOL: Record<Status, string> = { pass: '✓', fail: '✗', warn: '!', unknown: '?', skip: '–' };

const ANSI = {
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  magenta: '\u001b[35m',
  reset: '\u001b[0m',
} as const;

const STATUS_COLOR: Record<Status, keyof typeof ANSI> = {
  pass: 'green',
  fail: 'red',
  warn: 'yellow',
  unknown: 'magenta',
  skip: 'dim',
};

/** The width prose wraps at when the output is not a terminal. */
export const DEFAULT_WIDTH = 100;

/** Lines of one evidence value before it is cut (the JSON report has all of it). */
const MAX_EVIDENCE_LINES = 12;

/**
 * Whether to colour output written to `stream`. Same precedence as Node's own `tty.hasColors`:
 * FORCE_COLOR (anything but `0`/`false`) forces colour, then a non-empty NO_COLOR (no-color.org) turns it
 * off, then a TTY that is not TERM=dumb turns it on.
 */
export function shouldColor(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  const noColor = env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

/** No wrapping: pipes and files keep whole lines, for grep and for viewers that wrap by themselves. */
export const NO_WRAP = Number.POSITIVE_INFINITY;

/** The columns of a terminal; no wrapping for pipes and files. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }): number {
  if (stream.isTTY !== true) return NO_WRAP;
  return typeof stream.columns === 'number' && stream.columns >= 40 ? stream.columns : DEFAULT_WIDTH;
}

type Paint = (style: keyof typeof ANSI, text: string) => string;

/** `projects/P/locations/L/clusters/C` as `C (P, L)`: the cluster's name first. */
function clusterLabel(name: string): string {
  const m = /^projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)$/.exec(name);
  return m ? `${m[3] ?? ''} (project ${m[1] ?? ''}, ${m[2] ?? ''})` : name;
}

const I1 = '  ';
const I2 = '    ';
const I3 = '      ';

export function renderText(report: Report, opts: TextOptions): string {
  return [...textChunks(report, opts)].join('');
}

/** The report in chunks (a subject's block, or up to 500 lines of one-line subjects): never one string. */
export function* textChunks(report: Report, opts: TextOptions): Generator<string> {
  yield* textStreamChunks(streamOf(report), opts);
}

/**
 * A report read a slice of subjects at a time: each slice is laid out as it comes (the subjects' blocks, kept as
 * text in reading order) and its results let go; the header, which counts everything, and the rest come at the
 * end.
 */
export function* textStreamChunks(stream: ReportStream, opts: TextOptions): Generator<string> {
  const layout = new TextLayout(stream.head, stream.subjectCount, opts);
  for (const slice of stream.slices) layout.add(stream.shared, slice);
  yield* layout.chunks(stream.shared, stream.end());
}

/** The reading order of statuses (as `sortBySeverity`): one list of laid-out subjects per status. */
const RANK: Record<Status, number> = { fail: 0, warn: 1, unknown: 2, pass: 3, skip: 4 };

/** How a fold of subjects of each status is told: in its header, and on each subject's line. */
const FOLD_PHRASE: Record<Fold['status'], { header: string; member: string }> = {
  fail: { header: 'broken for the same reason', member: 'broken' },
  warn: { header: 'warned about for the same reason', member: 'warnings' },
  unknown: { header: 'not proven for the same reason', member: 'not proven' },
};

/** A subject's block in its parts: a folded block shows only `body` and `tail`. */
interface BlockParts {
  head: string[];
  body: string[];
  ruledOut: string[];
  tail: string[];
}

/** Subjects that are not healthy, with one fold key: the first one's block, and a line's worth of each. */
interface Fold {
  status: Exclude<Status, 'pass' | 'skip'>;
  /** The first subject's root cause and headline as its block's first line says them, and its name (sanitised), the ids of its other findings, its block. */
  headline: string;
  subject: string;
  ids: string[];
  parts: BlockParts;
  members: { subject: string; passed: number }[];
}

class TextLayout {
  private readonly paint: Paint;
  private readonly width: number;
  private readonly showFixes: boolean;
  /** Several subjects: healthy ones take one line each, and not-proven ones sharing a reason are folded. */
  private readonly collapse: boolean;

  /** Per status (RANK): laid-out blocks, and folds of not-proven subjects at the place of their first. */
  private readonly bins: (string | Fold)[][] = [[], [], [], [], []];
  /** Per status: one line per subject (`--brief`). */
  private readonly briefBins: string[][] = [[], [], [], [], []];
  private readonly folds = new Map<string, Fold>();
  private readonly healthyLines: string[] = [];
  private healthyCount = 0;
  private healthyNotEvaluated: string[] | undefined;
  /** Results no verdict shows, from the slices (the shared ones are known at the end). */
  private readonly unclaimed: CheckResult[] = [];
  /** Subjects shown by some verdict (its own or related) that are also subjects of shared results. */
  private sharedShown = new Set<string>();
  private sharedSubjects: Set<string> | undefined;
  private readonly tally: SummaryTally;

  constructor(
    private readonly head: ReportHead,
    private readonly subjectCount: number,
    private readonly opts: TextOptions,
  ) {
    this.paint = opts.color ? (style, text) => `${ANSI[style]}${text}${ANSI.reset}` : (_style, text) => text;
    this.width = opts.width ?? DEFAULT_WIDTH;
    this.showFixes = opts.showFixes ?? true;
    this.collapse = subjectCount > 1;
    this.tally = new SummaryTally(subjectCount === 0);
  }

  /** Lays out one slice of subjects; what it needs of the slice's results is taken now. */
  add(shared: readonly CheckResult[], slice: ReportSlice): void {
    const report: Report = {
      ...this.head,
      results: shared.length === 0 ? slice.results : [...shared, ...slice.results],
      verdicts: slice.verdicts,
      groups: [],
      summary: { pass: 0, fail: 0, warn: 0, unknown: 0, skip: 0 },
      notes: [],
    };
    this.tally.addVerdicts(slice.verdicts);
    this.tally.addResults(slice.results);
    this.claim(shared, slice);
    for (const verdict of slice.verdicts) {
      const rank = RANK[verdict.status];
      if (this.opts.brief === true) {
        this.briefBins[rank]?.push(this.briefLine(report, verdict));
        continue;
      }
      if (verdict.status === 'pass') {
        this.healthyCount++;
        this.healthyNotEvaluated ??= clean(verdict).notEvaluated;
      }
      const key = this.collapse ? foldKey(report, verdict) : undefined;
      if (key !== undefined) {
        this.fold(report, verdict, key, rank);
        continue;
      }
      if (this.collapse && verdict.status === 'pass') {
        this.healthyLines.push(this.healthyLine(verdict));
        continue;
      }
      const parts = this.blockParts(report, verdict);
      this.bins[rank]?.push(this.out(['', ...parts.head, ...parts.body, ...parts.ruledOut, ...parts.tail]));
    }
  }

  /** Results of the slice that no verdict shows; and which shared subjects its verdicts show. */
  private claim(shared: readonly CheckResult[], slice: ReportSlice): void {
    this.sharedSubjects ??= new Set(shared.map((r) => r.subject));
    const shown = new Set<string>();
    for (const v of slice.verdicts) {
      shown.add(v.subject);
      for (const r of v.related) shown.add(r);
    }
    for (const name of shown) if (this.sharedSubjects.has(name)) this.sharedShown.add(name);
    for (const r of slice.results) if (r.clusterWide === true || !shown.has(r.subject)) this.unclaimed.push(r);
  }

  /** A subject with a fold key: the first of its key keeps its block; the others, a line. */
  private fold(report: Report, unsafe: Verdict, key: string, rank: number): void {
    const passed = unsafe.ruledOut.length;
    const subject = cleanText(unsafe.subject);
    const known = this.folds.get(key);
    if (known !== undefined) {
      known.members.push({ subject, passed });
      return;
    }
    const verdict = clean(unsafe);
    const root = cleanOrNone(rootResult(report, unsafe));
    // foldKey keys no healthy or skipped subject.
    const status = verdict.status as Fold['status'];
    const fold: Fold = {
      status,
      headline: `${causeOf(verdict, root)}${headlineOf(verdict, root)}`,
      subject: verdict.subject,
      ids: this.nonPassIds(report, unsafe).map((id) => sanitize(id)),
      parts: this.blockParts(report, unsafe),
      members: [{ subject, passed }],
    };
    this.folds.set(key, fold);
    this.bins[rank]?.push(fold);
  }

  /** The report's text, once every slice has been added. */
  *chunks(shared: readonly CheckResult[], end: ReportEnd): Generator<string> {
    const { paint, head: reportHead } = this;
    this.tally.addResults(shared);
    const safe = sanitizeDeep({
      notes: end.notes,
      tool: reportHead.tool,
      cluster: reportHead.cluster,
      source: reportHead.source,
      ...(reportHead.collectedAt !== undefined ? { collectedAt: reportHead.collectedAt } : {}),
    });
    const summary = this.tally.line(end.summary, reportHead.selection);
    const head: string[] = [];
    for (const note of safe.notes) head.push(...wrap(`Note: ${note}`, this.width, '', I1));
    head.push(
      ...wrap(`wi-doctor ${safe.tool.version} · cluster ${clusterLabel(safe.cluster)}`, this.width, '', I1),
      ...wrap(sourceLine({ ...reportHead, ...safe }), this.width, '', I1),
    );
    head.push(...wrap(summary, this.width, '', I1).map((l) => paint('bold', l)));
    yield this.out(head);

    if (this.opts.brief === true) {
      const lines = this.briefBins.flat();
      for (let i = 0; i < lines.length; i += 500) yield this.out(lines.slice(i, i + 500));
    } else {
      for (const bin of this.bins) {
        for (const entry of bin) {
          if (typeof entry === 'string') yield entry;
          else if (entry.members.length < 2) {
            const { parts } = entry;
            yield this.out(['', ...parts.head, ...parts.body, ...parts.ruledOut, ...parts.tail]);
          } else yield* this.foldedBlock(entry);
        }
      }
      for (let i = 0; i < this.healthyLines.length; i += 500) yield this.out(this.healthyLines.slice(i, i + 500));
      const beyond = this.beyondViewOfHealthy();
      if (beyond.length > 0) yield this.out(beyond);
    }

    const others = [
      ...shared.filter((r) => r.clusterWide === true || !this.sharedShown.has(r.subject)),
      ...this.unclaimed,
    ];
    if (others.length > 0) yield this.out(this.otherChecks(others.map(clean)));
    if (this.opts.brief !== true) {
      const groups = this.groups(end.groups);
      if (groups.length > 0) yield this.out(groups);
    }
    yield this.out(['', ...wrap(summary, this.width, '', I1).map((l) => paint('bold', l))]);
  }

  /** Lines out, secrets scrubbed. */
  private out(lines: readonly string[]): string {
    return redactSecrets(lines.join('\n') + '\n');
  }

  private symbol(status: Status): string {
    return this.paint(STATUS_COLOR[status], STATUS_SYMBOL[status]);
  }

  private briefLine(report: Report, unsafe: Verdict): string {
    const verdict = clean(unsafe);
    const root = cleanOrNone(rootResult(report, unsafe));
    const what =
      verdict.status === 'pass'
        ? this.head.selection === undefined
          ? 'healthy'
          : 'no failure in the checks run'
        : root !== undefined
          ? `${root.check}: ${oneLine(root.title)}`
          : `${verdict.status === 'warn' ? 'warnings' : 'not proven'}: ${this.nonPassIds(report, unsafe).join(', ')}`;
    const [first] = verdict.fix;
    const fix = first === undefined ? [] : [sanitize(firstFixLine(first))];
    return [`${this.symbol(verdict.status)} ${verdict.subject}`, what, ...fix].join(' · ');
  }

  /** The root cause's check id, then those of the other findings, each once. */
  private nonPassIds(report: Report, verdict: Verdict): string[] {
    const root = verdict.rootCause === null ? [] : [verdict.rootCause];
    return [...new Set([...root, ...otherFindings(report, verdict).map((r) => r.check)])];
  }

  private healthyLine(verdict: Verdict): string {
    const passed = verdict.ruledOut.length;
    return `${this.symbol('pass')} ${cleanText(verdict.subject)} — ${passPhrase(this.head, passed)}`;
  }

  /**
   * Subjects broken, warned about or not proven for one shared reason: the root cause, the fix, the evidence, the
   * other findings and what was not evaluated, once (shown for the first subject, as the others have them with
   * their own names; the fix reads the same for all, or they would not share a fold), then a line per subject.
   */
  private *foldedBlock(fold: Fold): Generator<string> {
    const { members, ids, parts, status } = fold;
    const n = members.length.toLocaleString('en-US');
    const header = `${n} subjects ${FOLD_PHRASE[status].header} — ${oneLine(fold.headline)}`;
    const [first = '', ...rest] = wrap(header, this.width, '  ', I1);
    const lines = [
      '',
      `${this.symbol(status)} ${this.paint('bold', first.slice(2))}`,
      ...rest,
      ...wrap(
        `Shown for ${fold.subject}; each subject listed below has the same findings with its own names.`,
        this.width,
        I1,
        I1,
      ),
      ...parts.body,
      ...parts.tail,
      `${I1}Subjects (${n}):`,
    ];
    yield this.out(lines);
    const why = ids.length > 0 ? ids.join(', ') : 'no check ran';
    const symbol = this.symbol(status);
    const what = FOLD_PHRASE[status].member;
    for (let i = 0; i < members.length; i += 500) {
      yield this.out(
        members
          .slice(i, i + 500)
          .map(
            ({ subject, passed }) =>
              `${I2}${symbol} ${subject} — ${what}: ${why} (${passed} check${passed === 1 ? '' : 's'} passed)`,
          ),
      );
    }
  }

  /**
   * A subject's block: its first line (`head`), the fix, evidence and other findings (`body`), what was ruled out,
   * and what was not evaluated or did not apply (`tail`). A folded block shows only `body` and `tail`.
   */
  private blockParts(report: Report, unsafe: Verdict): BlockParts {
    const { paint, width } = this;
    const head: string[] = [];
    const lines: string[] = [];
    // Looked up on the report as it is, rendered from sanitised copies.
    const verdict = clean(unsafe);
    const root = cleanOrNone(rootResult(report, unsafe));
    // The subject, its root cause and the headline; the fix right after them, then the evidence.
    const [first = '', ...rest] = wrap(
      `${verdict.subject} — ${causeOf(verdict, root)}${headlineOf(verdict, root)}`,
      width,
      '  ',
      I1,
    );
    head.push(`${this.symbol(verdict.status)} ${paint('bold', first.slice(2))}`, ...rest);

    const shownFixes = new Set<string>();
    if (this.showFixes && verdict.fix.length > 0) {
      lines.push(`${I1}Fix:`);
      verdict.fix.forEach((fix, i) => {
        shownFixes.add(fixKey(fix));
        lines.push(...this.fixLines(fix, I2, `${i + 1}. `));
      });
    }
    if (root !== undefined) {
      const evidence = this.evidenceLines(root, I2);
      if (evidence.length > 0) lines.push(`${I1}Evidence:`, ...evidence);
    }

    const others = otherFindings(report, unsafe).map(clean);
    if (others.length > 0) {
      lines.push(`${I1}${root === undefined ? 'Findings' : 'Also found'}:`);
      for (const r of others) {
        const about = r.subject === verdict.subject ? '' : ` (${shortSubject(r.subject)})`;
        lines.push(...wrap(`${r.check}${about}: ${r.cause ?? r.title}`, width, `${I2}${this.symbol(r.status)} `, I3));
        lines.push(...this.evidenceLines(r, I3));
        if (!this.showFixes) continue;
        for (const fix of r.fix) {
          if (shownFixes.has(fixKey(fix))) continue;
          shownFixes.add(fixKey(fix));
          lines.push(...this.fixLines(fix, I3, 'fix: '));
        }
      }
    }

    const ruledOut: string[] = [];
    if (verdict.ruledOut.length > 0) {
      if (this.opts.hidePass) {
        ruledOut.push(`${I1}Ruled out: ${verdict.ruledOut.length} passing checks (listed without --hide-pass)`);
      } else {
        ruledOut.push(`${I1}Ruled out (${verdict.ruledOut.length}):`);
        for (const item of verdict.ruledOut) ruledOut.push(...wrap(item, width, `${I2}• `, I3));
      }
    }
    const tail: string[] = [];
    if (verdict.notEvaluated.length > 0) {
      tail.push(`${I1}Not evaluated:`);
      for (const item of verdict.notEvaluated) tail.push(...wrap(item, width, `${I2}• `, I3));
    }
    const skipped = skippedChecks(report, unsafe).map((id) => sanitize(id));
    if (skipped.length > 0) {
      tail.push(...wrap(`Not applicable or not requested: ${skipped.join(', ')}`, width, I1, I2));
    }
    return { head, body: lines, ruledOut, tail };
  }

  /** Expected, actual, notes and what is missing, under a result; long values wrap, huge ones are cut. */
  private evidenceLines(r: CheckResult, indent: string): readonly string[] {
    return this.laidOut(r, indent, () => this.evidenceLinesOf(r, indent));
  }

  /**
   * Lines laid out for an object (a result's evidence, a fix) at an indent, made once: a shared object's failure
   * (a node pool's) is the root cause of thousands of subjects, and its evidence and fix read the same under each.
   * Results and plans are not changed once they reach the report layer.
   */
  private readonly laidOutLines = new WeakMap<object, Map<string, readonly string[]>>();

  private laidOut(of: object, at: string, make: () => readonly string[]): readonly string[] {
    let byPlace = this.laidOutLines.get(of);
    if (byPlace === undefined) {
      byPlace = new Map();
      this.laidOutLines.set(of, byPlace);
    }
    let lines = byPlace.get(at);
    if (lines === undefined) {
      lines = make();
      byPlace.set(at, lines);
    }
    return lines;
  }

  private evidenceLinesOf(r: CheckResult, indent: string): string[] {
    const lines: string[] = [];
    const ev = r.evidence;
    if (ev !== undefined) {
      if ('expected' in ev) lines.push(...this.value('expected: ', ev.expected, indent));
      if ('actual' in ev) lines.push(...this.value('actual:   ', ev.actual, indent));
      for (const note of ev.notes ?? []) lines.push(...wrap(note, this.width, `${indent}· `, `${indent}  `));
    }
    for (const m of r.missing ?? []) lines.push(...wrap(`missing: ${m}`, this.width, indent, `${indent}  `));
    if (r.suppressed !== undefined) {
      const until = r.suppressed.expires === undefined ? '' : ` until ${r.suppressed.expires}`;
      lines.push(
        ...wrap(`suppressed${until} by ${r.suppressed.file}: ${r.suppressed.reason}`, this.width, indent, indent),
      );
    }
    return lines;
  }

  private value(label: string, value: unknown, indent: string): string[] {
    const text = evidenceText(value);
    if (!Number.isFinite(this.width)) {
      // Unwrapped: one line, cut only when it is huge (at a word, saying how much was cut).
      const cap = MAX_EVIDENCE_LINES * DEFAULT_WIDTH;
      if (text.length <= cap) return wrap(text, this.width, `${indent}${label}`, indent);
      const cut = text.lastIndexOf(' ', cap) > cap / 2 ? text.lastIndexOf(' ', cap) : cap;
      return [
        ...wrap(text.slice(0, cut), this.width, `${indent}${label}`, indent),
        `${indent}${' '.repeat(label.length)}… ${(text.length - cut).toLocaleString('en-US')} more characters (the JSON report has all of it)`,
      ];
    }
    const lines = wrap(text, this.width, `${indent}${label}`, indent + ' '.repeat(label.length));
    if (lines.length <= MAX_EVIDENCE_LINES) return lines;
    const kept = lines.slice(0, MAX_EVIDENCE_LINES);
    const shown = kept.reduce((n, l) => n + l.trim().length, 0) - label.trim().length;
    kept.push(
      `${indent}${' '.repeat(label.length)}… ${(text.length - shown).toLocaleString('en-US')} more characters (the JSON report has all of it)`,
    );
    return kept;
  }

  /** A fix: its description, then each shell command on a line of its own, then the Terraform. */
  private fixLines(fix: FixPlan, indent: string, marker: string): readonly string[] {
    return this.laidOut(fix, `${indent}\u0000${marker}`, () => this.fixLinesOf(fix, indent, marker));
  }

  private fixLinesOf(fix: FixPlan, indent: string, marker: string): string[] {
    const body = indent + ' '.repeat(marker.length);
    const lines = wrap(renderedFix(fix).description, this.width, `${indent}${marker}`, body);
    for (const { tool, command } of fixCommands(fix)) {
      const commandLines = sanitize(redactSecrets(command), { keepNewlines: true }).split('\n');
      if (tool === 'terraform') {
        lines.push(`${body}Terraform:`);
        for (const line of commandLines) lines.push(`${body}  ${line}`.trimEnd());
      } else {
        // Shell commands are one line each; a continued one keeps its lines whole.
        for (const line of commandLines) lines.push(`${body}${line}`.trimEnd());
      }
    }
    return lines;
  }

  /** What no check can see, said once for the healthy subjects shown in one line. */
  private beyondViewOfHealthy(): string[] {
    const notEvaluated = this.healthyNotEvaluated;
    if (!this.collapse || notEvaluated === undefined || notEvaluated.length === 0) return [];
    const count = this.healthyCount;
    // With --only/--skip a passing subject only passed the checks run: not "healthy".
    const kind = this.head.selection === undefined ? 'healthy' : 'passing';
    const lines = [
      '',
      ...wrap(
        `Not evaluated for the ${count === 1 ? `${kind} subject` : `${count.toLocaleString('en-US')} ${kind} subjects`} (no check can see them):`,
        this.width,
        '',
        I1,
      ),
    ];
    for (const item of notEvaluated) lines.push(...wrap(item, this.width, `${I1}• `, I2));
    return lines;
  }

  private otherChecks(others: readonly CheckResult[]): string[] {
    const { width } = this;
    const lines = ['', this.paint('bold', this.subjectCount > 0 ? 'Other findings' : 'Checks')];
    // Failures first, then warnings, unknowns and passes; the catalog's order within each.
    const ordered = sortBySeverity(others, (r) => r.status);
    const shown = this.opts.hidePass ? ordered.filter((r) => r.status !== 'pass') : ordered;
    for (const r of shown) {
      lines.push(
        ...wrap(`${r.check} (${r.subject}): ${r.cause ?? r.title}`, width, `${I1}${this.symbol(r.status)} `, I2),
      );
      if (r.status === 'pass' || r.status === 'skip') continue;
      lines.push(...this.evidenceLines(r, I2));
      if (this.showFixes) for (const fix of r.fix) lines.push(...this.fixLines(fix, I2, 'fix: '));
    }
    if (shown.length < others.length) lines.push(`${I1}(${others.length - shown.length} passing not listed)`);
    return lines;
  }

  /** Subjects sharing a root cause, most severe first; long lists of names are cut with a count. */
  private groups(groups: readonly VerdictGroup[]): string[] {
    const { width } = this;
    // Groups say something only when some root cause is shared.
    if (this.subjectCount < 2 || !groups.some((g) => g.subjects.length > 1)) return [];
    const lines = ['', this.paint('bold', 'Groups (subjects sharing a root cause, most severe first)')];
    for (const unsafe of groups) {
      const group = clean(unsafe);
      const name = group.rootCause ?? 'no root cause';
      lines.push(...wrap(`${name}: ${group.headline}`, width, `${I1}${this.symbol(group.status)} `, I2));
      const listed = group.subjects.slice(0, 20);
      const more = group.subjects.length - listed.length;
      lines.push(
        ...wrap(`${listed.join(', ')}${more > 0 ? ` and ${more.toLocaleString('en-US')} more` : ''}`, width, I2, I2),
      );
    }
    return lines;
  }
}

/** One string from data, redacted and escaped as `clean` does it. */
const cleanText = (text: string): string => sanitize(redactSecrets(text), { keepNewlines: true });

/** A verdict, result or group with every string redacted and escaped (copied only when something changes). */
const clean = <T extends object>(value: T): T => sanitizeDeep(value);
const cleanOrNone = <T extends object>(value: T | undefined): T | undefined =>
  value === undefined ? undefined : sanitizeDeep(value);

/** `ROOT_CAUSE (shared object): ` before a failing subject's headline; nothing when nothing failed. */
function causeOf(verdict: Verdict, root: CheckResult | undefined): string {
  if (verdict.rootCause === null) return '';
  const of = root !== undefined && root.subject !== verdict.subject ? ` (${shortSubject(root.subject)})` : '';
  return `${verdict.rootCause}${of}: `;
}

/**
 * The verdict's headline for its first line. When a recorded change explains the root cause, the headline
 * ends with who changed it; the root result's evidence says the same right after the fix, so the first line
 * keeps to the cause.
 */
function headlineOf(verdict: Verdict, root: CheckResult | undefined): string {
  const change = verdict.change;
  if (change === undefined || root === undefined) return verdict.headline;
  const cut = verdict.headline.lastIndexOf(' — ');
  const told = (root.evidence?.notes ?? []).some((n) => n.startsWith('changed: '));
  return cut > 0 && told ? verdict.headline.slice(0, cut) : verdict.headline;
}
