// Markdown for pull-request comments (GitHub flavoured): the summary as title, one collapsible section
// per subject with the verdict, the fix commands in fenced blocks, and the checklist as a table.
// Values come from clusters and policies, so none may break the table, the fences or the HTML around them.

import type { CheckResult, FixAction, Report, Status } from '../model/results.js';
import {
  blocksFor,
  compactJson,
  fixCommands,
  oneLine,
  redactSecrets,
  summaryLine,
  unclaimedResults,
  verdictStatus,
} from './common.js';
import { sanitizeReport } from './sanitize.js';

export const STATUS_EMOJI: Record<Status, string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  warn: '⚠️ warn',
  unknown: '❔ unknown',
  skip: '⏭️ skip',
};

export function renderMarkdown(unsafe: Report): string {
  const report = sanitizeReport(unsafe);
  const out: string[] = [`## wi-doctor: ${escapeHtml(summaryLine(report))}`, ''];
  out.push(`Cluster \`${codeSpanSafe(report.cluster)}\` · source \`${codeSpanSafe(report.source)}\``, '');
  for (const note of report.notes) out.push(`> **Note:** ${escapeProse(note)}`, '');

  for (const verdict of report.verdicts) {
    const status = verdictStatus(report, verdict);
    const open = status === 'fail' ? ' open' : '';
    out.push(
      `<details${open}>`,
      `<summary>${STATUS_EMOJI[status].split(' ')[0] ?? ''} <b>${escapeHtml(verdict.subject)}</b> — ${escapeHtml(
        oneLine(verdict.headline),
      )}</summary>`,
      '',
    );
    // The headline is in the summary line above; the root cause names the check to read about.
    const root = verdict.rootCause === null ? 'none found' : `\`${codeSpanSafe(verdict.rootCause)}\``;
    out.push(`**Root cause:** ${root}`, '');
    list(out, 'Ruled out', verdict.ruledOut);
    list(out, 'Not evaluated', verdict.notEvaluated);
    if (verdict.fix.length > 0) {
      out.push('**Fix**', '');
      verdict.fix.forEach((fix, i) => fixBlock(out, fix, `${i + 1}.`));
    }
    for (const block of blocksFor(report, verdict)) {
      out.push(block.own ? '**Checks**' : `**Checks of \`${codeSpanSafe(block.subject)}\`**`, '');
      table(out, block.results, false);
    }
    out.push('</details>', '');
  }

  const others = unclaimedResults(report);
  if (others.length > 0) {
    out.push(report.verdicts.length > 0 ? '### Other checks' : '### Checks', '');
    table(out, others, true);
    // No verdict carries these fixes, so they follow the table.
    const withFixes = others.filter((r) => r.status !== 'pass' && r.fix.length > 0);
    for (const r of withFixes) {
      r.fix.forEach((fix) => fixBlock(out, fix, `\`${codeSpanSafe(r.check)}\` · ${escapeProse(r.subject)}:`));
    }
  }

  if (report.verdicts.length > 1 && report.groups.length > 0) {
    out.push('### Groups', '', '| Root cause | Subjects | |', '|---|---|---|');
    for (const g of report.groups) {
      const subjects = g.subjects.map((s) => cell(s)).join(', ');
      out.push(`| ${cell(g.rootCause ?? 'no failure')} | ${subjects} | ${cell(g.headline)} |`);
    }
    out.push('');
  }

  return redactSecrets(out.join('\n').replace(/\n+$/, '') + '\n');
}

function list(out: string[], heading: string, items: readonly string[]): void {
  if (items.length === 0) return;
  out.push(`**${heading}**`, '');
  for (const item of items) out.push(`- ${escapeProse(item)}`);
  out.push('');
}

function fixBlock(out: string[], fix: FixAction, marker: string): void {
  out.push(`${marker} ${escapeProse(fix.description)}`, '');
  for (const { tool, command } of fixCommands(fix)) {
    const fence = fenceFor(command);
    out.push(`${fence}${tool === 'terraform' ? 'hcl' : 'sh'}`, command, fence, '');
  }
}

function table(out: string[], results: readonly CheckResult[], withSubject: boolean): void {
  out.push(withSubject ? '| Status | Check | Subject | Cause |' : '| Status | Check | Cause |');
  out.push(withSubject ? '|---|---|---|---|' : '|---|---|---|');
  for (const r of results) {
    let cause = r.cause ?? r.title;
    if (r.status !== 'pass' && r.evidence !== undefined) {
      if ('expected' in r.evidence) cause += ` — expected ${compactJson(r.evidence.expected, 120)}`;
      if ('actual' in r.evidence) cause += `, actual ${compactJson(r.evidence.actual, 120)}`;
    }
    if (r.missing !== undefined && r.missing.length > 0) cause += ` — missing: ${r.missing.join('; ')}`;
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

/** A fence longer than any run of backticks in the command, so the command cannot close it. */
function fenceFor(command: string): string {
  const longest = Math.max(0, ...(command.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}
