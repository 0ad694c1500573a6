// The terminal report: per subject the verdict first (root cause, what was ruled out, what was not
// evaluated, the fix), then its checklist; a one-line summary last. Colour is ANSI, and only when asked.

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

export interface TextOptions {
  color: boolean;
  /** Omit pass lines from the checklists (the summary still counts them). */
  hidePass: boolean;
  /** Print the fix commands (default true). */
  showFixes?: boolean;
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

type Paint = (style: keyof typeof ANSI, text: string) => string;

const INDENT = '  ';

export function renderText(unsafe: Report, opts: TextOptions): string {
  const report = sanitizeReport(unsafe);
  const paint: Paint = opts.color ? (style, text) => `${ANSI[style]}${text}${ANSI.reset}` : (_style, text) => text;
  const showFixes = opts.showFixes ?? true;
  const lines: string[] = [];

  for (const note of report.notes) lines.push(`Note: ${oneLine(note)}`);
  lines.push(paint('dim', `wi-doctor ${report.tool.version} · ${report.cluster} · ${report.source}`));

  for (const verdict of report.verdicts) {
    lines.push('', paint('bold', verdict.subject));
    const status = verdictStatus(report, verdict);
    const cause = verdict.rootCause === null ? '' : `${verdict.rootCause} — `;
    lines.push(`${symbol(status, paint)} ${cause}${oneLine(verdict.headline)}`);
    bullets(lines, 'Ruled out:', verdict.ruledOut);
    bullets(lines, 'Not evaluated:', verdict.notEvaluated);
    if (showFixes && verdict.fix.length > 0) {
      lines.push(`${INDENT}Fix:`);
      verdict.fix.forEach((fix, i) => lines.push(...fixLines(fix, `${INDENT}${INDENT}`, `${i + 1}. `)));
    }
    const blocks = blocksFor(report, verdict);
    // One column width for the subject's own and its shared results, so the causes line up.
    const width = Math.max(0, ...blocks.flatMap((b) => b.results.map((r) => r.check.length)));
    for (const block of blocks) {
      const heading = block.own ? 'Checks:' : `Checks of ${block.subject}:`;
      checklist(lines, heading, block.results, { hidePass: opts.hidePass, withFixes: false, width }, paint);
    }
  }

  const others = unclaimedResults(report);
  if (others.length > 0) {
    lines.push('', paint('bold', report.verdicts.length > 0 ? 'Other checks' : 'Checks'));
    // No verdict carries these fixes, so they are shown with the results.
    checklist(lines, undefined, others, { hidePass: opts.hidePass, withFixes: showFixes, withSubject: true }, paint);
  }

  if (report.verdicts.length > 1 && report.groups.length > 0) {
    lines.push('', paint('bold', 'Groups'));
    for (const group of report.groups) {
      const name = group.rootCause ?? 'no failure';
      lines.push(`${INDENT}${name}: ${oneLine(group.headline)}`);
      lines.push(`${INDENT}${INDENT}${group.subjects.join(', ')}`);
    }
  }

  lines.push('', paint('bold', summaryLine(report)));
  return redactSecrets(lines.join('\n') + '\n');
}

function symbol(status: Status, paint: Paint): string {
  return paint(STATUS_COLOR[status], STATUS_SYMBOL[status]);
}

function bullets(lines: string[], heading: string, items: readonly string[]): void {
  if (items.length === 0) return;
  lines.push(`${INDENT}${heading}`);
  for (const item of items) lines.push(`${INDENT}${INDENT}• ${oneLine(item)}`);
}

/** A fix: its description, then every command it has, labelled; later lines of a command stay aligned. */
function fixLines(fix: FixAction, indent: string, marker: string): string[] {
  const lines = [`${indent}${marker}${oneLine(fix.description)}`];
  const body = indent + ' '.repeat(marker.length);
  for (const { tool, command } of fixCommands(fix)) {
    const label = `${tool.padEnd(9)} `;
    command.split('\n').forEach((line, i) => {
      lines.push(`${body}${i === 0 ? label : ' '.repeat(label.length)}${line}`.trimEnd());
    });
  }
  return lines;
}

interface ChecklistOptions {
  hidePass: boolean;
  /** Show each result's fixes (for results no verdict covers). */
  withFixes: boolean;
  /** Name each result's subject (for results of several subjects). */
  withSubject?: boolean;
  /** Width of the check id column; defaults to the longest id shown. */
  width?: number;
}

function checklist(
  lines: string[],
  heading: string | undefined,
  results: readonly CheckResult[],
  opts: ChecklistOptions,
  paint: Paint,
): void {
  const shown = results.filter((r) => !(opts.hidePass && r.status === 'pass'));
  if (heading !== undefined) {
    const empty = results.length === 0 ? ' none' : ' all passed';
    lines.push(`${INDENT}${heading}${shown.length === 0 ? empty : ''}`);
  }
  if (shown.length === 0) return;
  const width = opts.width ?? Math.max(...shown.map((r) => r.check.length));
  const lead = `${INDENT}${INDENT}`;
  const detail = `${lead}    `;
  for (const r of shown) {
    const about = opts.withSubject === true ? `${r.subject}: ` : '';
    lines.push(`${lead}${symbol(r.status, paint)} ${r.check.padEnd(width)}  ${about}${oneLine(r.cause ?? r.title)}`);
    if (r.status === 'pass') continue;
    const ev = r.evidence;
    if (ev !== undefined) {
      if ('expected' in ev) lines.push(`${detail}expected: ${compactJson(ev.expected)}`);
      if ('actual' in ev) lines.push(`${detail}actual:   ${compactJson(ev.actual)}`);
      for (const note of ev.notes ?? []) lines.push(`${detail}· ${oneLine(note)}`);
    }
    for (const m of r.missing ?? []) lines.push(`${detail}missing: ${oneLine(m)}`);
    if (opts.withFixes) {
      for (const fix of r.fix) lines.push(...fixLines(fix, detail, 'fix: '));
    }
  }
}
