// Markdown for pull-request comments (GitHub flavoured): the summary as title, the subjects most severe
// first, each in a collapsible section (open when broken) with the root cause, its evidence and the fix
// commands in fenced blocks, then the other findings as a table, and what was ruled out folded away.
// Healthy subjects are one line each. The comment stays under GitHub's 65,536-character limit: what does
// not fit is cut at a subject boundary, and the comment says what was cut.
// Values come from clusters and policies, so none may break the table, the fences or the HTML around them.

import type { CheckResult, FixPlan, Report, Status, Verdict } from '../model/results.js';
import {
  passPhrase,
  evidenceText,
  fixKey,
  oneLine,
  otherFindings,
  redactSecrets,
  resultsOf,
  rootResult,
  skippedChecks,
  sourceLine,
  subjectCounts,
  summaryLine,
  unclaimedResults,
} from './common.js';
import { fixCommands, renderedFix } from './fixes.js';
import { sanitizeReport } from './sanitize.js';

export const STATUS_EMOJI: Record<Status, string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  warn: '⚠️ warn',
  unknown: '❔ unknown',
  skip: '⏭️ skip',
};

/** GitHub rejects issue and pull-request comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface MarkdownOptions {
  /** The most characters the comment may have (default: GitHub's comment limit). */
  limit?: number;
}

const emoji = (status: Status): string => STATUS_EMOJI[status].split(' ')[0] ?? '';

/** Room kept for the note that says what was cut. */
const FOOTER_ROOM = 1_000;

export function renderMarkdown(unsafe: Report, opts: MarkdownOptions = {}): string {
  // Every string from data is redacted and escaped before it is used, a part at a time: the report's own fields
  // now, each subject's verdict and results when its section is made. Sections are made only while they fit, so a
  // cluster of 20,000 subjects costs the comment's 64 KB of work, not a walk over every result.
  const { verdicts, results, groups: unsafeGroups, ...fields } = unsafe;
  const report: Report = { ...sanitizeReport(fields), verdicts, results, groups: [] };
  const limit = opts.limit ?? GITHUB_COMMENT_LIMIT;
  const head: string[] = [`## wi-doctor: ${escapeHtml(summaryLine(report))}`, ''];
  head.push(`Cluster \`${codeSpanSafe(report.cluster)}\` · ${escapeProse(sourceLine(report))}`, '');
  for (const note of report.notes) head.push(`> **Note:** ${escapeProse(note)}`, '');

  const sections: { make: () => string; verdict?: Verdict; what: string }[] = [];
  const multi = report.verdicts.length > 1;
  let healthy: Verdict[] = [];
  const flushHealthy = (): void => {
    if (healthy.length === 0) return;
    for (const v of healthy) {
      sections.push({
        make: () =>
          `- ✅ **${escapeHtml(sanitizeReport(v.subject))}** — ${escapeProse(passPhrase(report, v.ruledOut.length))}\n`,
        verdict: v,
        what: v.subject,
      });
    }
    sections.push({ make: () => '\n', what: '' });
    healthy = [];
  };
  for (const verdict of report.verdicts) {
    if (multi && verdict.status === 'pass') {
      healthy.push(verdict);
      continue;
    }
    flushHealthy();
    sections.push({ make: () => subjectSectionOf(report, verdict), verdict, what: verdict.subject });
  }
  flushHealthy();
  const others = unclaimedResults(report);
  if (others.length > 0) {
    sections.push({ make: () => otherSection(report, sanitizeReport(others)), what: 'the other findings' });
  }
  if (report.verdicts.length > 1 && unsafeGroups.length > 0)
    sections.push({ make: () => groupSection(sanitizeReport(unsafeGroups)), what: 'the groups' });

  let out = redactSecrets(head.join('\n') + '\n');
  const cut: typeof sections = [];
  for (const section of sections) {
    if (cut.length > 0) {
      cut.push(section);
      continue;
    }
    const text = redactSecrets(section.make());
    if (out.length + text.length <= limit - FOOTER_ROOM) {
      out += text;
      continue;
    }
    // A broken subject too long for what is left still gets its headline and fix.
    const compact =
      section.verdict !== undefined && section.verdict.status !== 'pass'
        ? redactSecrets(compactSection(sanitizeReport(section.verdict)))
        : undefined;
    if (compact !== undefined && out.length + compact.length <= limit - FOOTER_ROOM) {
      out += compact;
      continue;
    }
    cut.push(section);
  }
  if (cut.length > 0) out += cutNote(report, cut);
  return out.replace(/\n+$/, '') + '\n';
}

/**
 * A subject's section from its verdict and the results it rests on, redacted and escaped as the whole report would
 * be: the same values, each made safe by itself.
 */
function subjectSectionOf(report: Report, unsafe: Verdict): string {
  const { verdict, results } = sanitizeReport({ verdict: unsafe, results: resultsOf(report, unsafe) });
  return subjectSection({ ...report, results: [...results], verdicts: [verdict] }, verdict);
}

/** What was left out, counted by status, and where to find all of it. */
function cutNote(report: Report, cut: readonly { verdict?: Verdict; what: string }[]): string {
  const verdicts = cut.flatMap((s) => (s.verdict === undefined ? [] : [s.verdict]));
  const counts: Record<Status, number> = { fail: 0, warn: 0, unknown: 0, pass: 0, skip: 0 };
  for (const v of verdicts) counts[v.status]++;
  const parts = [
    counts.fail > 0 ? `${counts.fail} broken` : '',
    counts.warn > 0 ? `${counts.warn} with warnings` : '',
    counts.unknown > 0 ? `${counts.unknown} not proven` : '',
    counts.pass > 0 ? `${counts.pass} healthy` : '',
  ].filter((p) => p !== '');
  const extra = cut.filter((s) => s.verdict === undefined && s.what !== '').map((s) => s.what);
  const what = [
    ...(verdicts.length > 0 ? [`${verdicts.length} of ${report.verdicts.length} subjects (${parts.join(', ')})`] : []),
    ...extra,
  ].join(' and ');
  const total = subjectCounts(report);
  return (
    `\n> **Cut to fit GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character comment limit:** ${escapeProse(what)} ` +
    `${verdicts.length === 1 ? 'is' : 'are'} not shown here (the title counts all ${total.fail + total.warn + total.unknown + total.pass}). ` +
    'The JSON and SARIF reports (`--format json`, `--format sarif`) hold every result.\n'
  );
}

function subjectSection(report: Report, verdict: Verdict): string {
  const out: string[] = [];
  const root = rootResult(report, verdict);
  out.push(
    `<details${verdict.status === 'fail' ? ' open' : ''}>`,
    `<summary>${emoji(verdict.status)} <b>${escapeHtml(verdict.subject)}</b> — ${escapeHtml(oneLine(verdict.headline))}</summary>`,
    '',
  );
  // The root cause, the fix right after it, then the evidence.
  if (root !== undefined) {
    const of = root.subject === verdict.subject ? '' : ` (of \`${codeSpanSafe(root.subject)}\`)`;
    out.push(`**Root cause:** \`${codeSpanSafe(root.check)}\`${of}`, '');
  } else {
    out.push('**Root cause:** none found', '');
  }
  const shown = new Set<string>();
  if (verdict.fix.length > 0) {
    out.push('**Fix**', '');
    verdict.fix.forEach((fix, i) => {
      shown.add(fixKey(fix));
      fixBlock(out, fix, `${i + 1}.`);
    });
  }
  if (root !== undefined) evidence(out, root);
  const others = otherFindings(report, verdict);
  if (others.length > 0) {
    out.push(root === undefined ? '**Findings**' : '**Also found**', '');
    table(out, others, verdict.subject);
    for (const r of others) {
      for (const fix of r.fix) {
        if (shown.has(fixKey(fix))) continue;
        shown.add(fixKey(fix));
        fixBlock(out, fix, `\`${codeSpanSafe(r.check)}\`:`);
      }
    }
  }
  folded(out, `Ruled out (${verdict.ruledOut.length})`, verdict.ruledOut);
  list(out, 'Not evaluated', verdict.notEvaluated);
  const skipped = skippedChecks(report, verdict);
  if (skipped.length > 0)
    out.push(`Not applicable or not requested: ${skipped.map((c) => `\`${codeSpanSafe(c)}\``).join(', ')}`, '');
  out.push('</details>', '');
  return out.join('\n') + '\n';
}

/** A broken subject when the full section does not fit: its headline and the fix commands only. */
function compactSection(verdict: Verdict): string {
  const out = [
    `<details${verdict.status === 'fail' ? ' open' : ''}>`,
    `<summary>${emoji(verdict.status)} <b>${escapeHtml(verdict.subject)}</b> — ${escapeHtml(oneLine(verdict.headline))}</summary>`,
    '',
    `**Root cause:** ${verdict.rootCause === null ? 'none found' : `\`${codeSpanSafe(verdict.rootCause)}\``} (details cut to fit; see the JSON report)`,
    '',
  ];
  verdict.fix.forEach((fix, i) => fixBlock(out, fix, `${i + 1}.`));
  out.push('</details>', '');
  return out.join('\n') + '\n';
}

function otherSection(report: Report, others: readonly CheckResult[]): string {
  const out = [report.verdicts.length > 0 ? '### Other findings' : '### Checks', ''];
  table(out, others, undefined);
  for (const r of others) {
    if (r.status === 'pass' || r.status === 'skip') continue;
    r.fix.forEach((fix) => fixBlock(out, fix, `\`${codeSpanSafe(r.check)}\` · ${escapeProse(r.subject)}:`));
  }
  return out.join('\n') + '\n';
}

function groupSection(groups: Report['groups']): string {
  const out = ['### Groups', '', '| | Root cause | Subjects | |', '|---|---|---|---|'];
  for (const g of groups) {
    const listed = g.subjects.slice(0, 20).map((s) => cell(s));
    const more = g.subjects.length - listed.length;
    const subjects = `${listed.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
    out.push(`| ${emoji(g.status)} | ${cell(g.rootCause ?? 'no root cause')} | ${subjects} | ${cell(g.headline)} |`);
  }
  return out.join('\n') + '\n\n';
}

function evidence(out: string[], r: CheckResult): void {
  const items: string[] = [];
  const ev = r.evidence;
  if (ev !== undefined) {
    if ('expected' in ev) items.push(`- expected: ${codeSpan(evidenceText(ev.expected))}`);
    if ('actual' in ev) items.push(`- actual: ${codeSpan(evidenceText(ev.actual))}`);
    for (const note of ev.notes ?? []) items.push(`- ${escapeProse(note)}`);
  }
  for (const m of r.missing ?? []) items.push(`- missing: ${escapeProse(m)}`);
  if (items.length > 0) out.push('**Evidence**', '', ...items, '');
}

function list(out: string[], heading: string, items: readonly string[]): void {
  if (items.length === 0) return;
  out.push(`**${heading}**`, '');
  for (const item of items) out.push(`- ${escapeProse(item)}`);
  out.push('');
}

/** A list folded in its own `<details>`: passing checks are worth a click, not a screen. */
function folded(out: string[], heading: string, items: readonly string[]): void {
  if (items.length === 0) return;
  out.push('<details>', `<summary>${escapeHtml(heading)}</summary>`, '');
  for (const item of items) out.push(`- ${escapeProse(item)}`);
  out.push('', '</details>', '');
}

function fixBlock(out: string[], fix: FixPlan, marker: string): void {
  out.push(`${marker} ${escapeProse(renderedFix(fix).description)}`, '');
  for (const { tool, command } of fixCommands(fix)) {
    const fence = fenceFor(command);
    out.push(`${fence}${tool === 'terraform' ? 'hcl' : 'sh'}`, command, fence, '');
  }
}

/** Non-pass results as a table; `own` names the verdict's subject, whose results need no subject column. */
function table(out: string[], results: readonly CheckResult[], own: string | undefined): void {
  const withSubject = own === undefined || results.some((r) => r.subject !== own);
  out.push(withSubject ? '| Status | Check | Subject | Cause |' : '| Status | Check | Cause |');
  out.push(withSubject ? '|---|---|---|---|' : '|---|---|---|');
  for (const r of results) {
    let cause = r.cause ?? r.title;
    if (r.status !== 'pass' && r.evidence !== undefined) {
      if ('expected' in r.evidence) cause += ` — expected ${evidenceText(r.evidence.expected)}`;
      if ('actual' in r.evidence) cause += `, actual ${evidenceText(r.evidence.actual)}`;
    }
    if (r.missing !== undefined && r.missing.length > 0) cause += ` — missing: ${r.missing.join('; ')}`;
    if (r.suppressed !== undefined) cause += ` — suppressed: ${r.suppressed.reason}`;
    const cells = [STATUS_EMOJI[r.status], r.check, ...(withSubject ? [r.subject] : []), cause];
    out.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  out.push('');
}

/** A table cell: one line, no raw HTML, and no pipe or backtick that could end the cell or open code. */
export function cell(text: string): string {
  return escapeHtml(oneLine(text)).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, '\\`');
}

/** Prose outside tables keeps its `code` spans but may not inject HTML. */
const escapeProse = (text: string): string => escapeHtml(oneLine(text));

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Names we put inside a code span: a backtick in one would end the span early. */
const codeSpanSafe = (text: string): string => oneLine(text).replace(/`/g, "'");

/** A code span around any text: delimited by more backticks than it holds, HTML escaped by Markdown itself. */
function codeSpan(text: string): string {
  const value = oneLine(text);
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${value}${pad}${ticks}`;
}

/** A fence longer than any run of backticks in the command, so the command cannot close it. */
function fenceFor(command: string): string {
  const longest = Math.max(0, ...(command.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}
