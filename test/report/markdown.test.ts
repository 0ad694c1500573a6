import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { cell, renderMarkdown } from '../../src/report/markdown.js';
import { summaryLine } from '../../src/report/common.js';
import { FIXTURES, FIXTURE_NAMES, copy } from './fixtures/index.js';
import { expectGolden } from './golden.js';

/** Cells of a GFM table row: split on pipes that are not backslash-escaped. */
function cells(row: string): string[] {
  const inner = row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)((?:\\\\)*)\|$/, '$1');
  return inner.split(/(?<!\\)(?:(?:\\\\)*)\|/);
}

/** Each table's rows with the column count of its header. */
function tables(md: string): { columns: number; rows: string[] }[] {
  const lines = md.split('\n');
  const out: { columns: number; rows: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!(lines[i]?.startsWith('|') && lines[i + 1]?.startsWith('|---'))) continue;
    const table = { columns: cells(lines[i] ?? '').length, rows: [] as string[] };
    for (i += 2; lines[i]?.startsWith('|'); i++) table.rows.push(lines[i] ?? '');
    out.push(table);
  }
  return out;
}

// Strings made of what breaks tables and markup, and arbitrary ones.
const hostile = fc.oneof(
  fc.string({ unit: fc.constantFrom('|', '`', '\\', '\n', '\r', '<', '>', '&', 'a', ' ', '*', '-') }),
  fc.string({ unit: 'binary' }),
);

describe('renderMarkdown', () => {
  it.each(FIXTURE_NAMES)('matches the golden file for %s', (name) => {
    expectGolden(`${name}.md`, renderMarkdown(FIXTURES[name]));
  });

  it('titles the comment with the summary and gives each subject a collapsible section', () => {
    const md = renderMarkdown(FIXTURES.shared);
    expect(md.split('\n')[0]).toBe(`## wi-doctor: ${summaryLine(FIXTURES.shared)}`);
    expect(md.match(/^<details/gm)).toHaveLength(FIXTURES.shared.verdicts.length);
    expect(md.match(/^<\/details>$/gm)).toHaveLength(FIXTURES.shared.verdicts.length);
    // Failing subjects are open; the rest stay folded.
    expect(md).toMatch(/<details open>\n<summary>❌ <b>batch\/exporter<\/b>/);
    expect(md).toMatch(/<details>\n<summary>❔ <b>shop\/api<\/b>/);
  });

  it('puts gcloud and kubectl in sh blocks and Terraform in hcl blocks', () => {
    const md = renderMarkdown(FIXTURES.failing);
    expect(md).toMatch(
      /```sh\ngcloud iam service-accounts add-iam-policy-binding cart@acme-shop\.iam\.gserviceaccount\.com/,
    );
    expect(md).toMatch(/```hcl\nresource "google_service_account_iam_member"/);
    expect(md).toMatch(/```sh\nkubectl rollout restart deployment\/cart --namespace shop\n```/);
  });

  it('keeps every table row at its column count whatever the values hold', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (cause, subject, headline) => {
        const report = copy(FIXTURES.shared);
        for (const r of report.results) {
          r.cause = cause;
          if (r.status === 'warn') r.subject = subject;
        }
        for (const g of report.groups) g.headline = headline;
        const found = tables(renderMarkdown(report));
        // Two subjects' tables per verdict (own + shared), the other checks, and the groups.
        expect(found.length).toBeGreaterThanOrEqual(report.verdicts.length * 2 + 2);
        let rows = 0;
        for (const table of found) {
          for (const row of table.rows) expect(cells(row)).toHaveLength(table.columns);
          rows += table.rows.length;
        }
        expect(rows).toBeGreaterThanOrEqual(report.results.length);
      }),
      { numRuns: 200 },
    );
  });

  it('escapes pipes, backticks, line breaks and HTML in table cells', () => {
    expect(cell('a | b')).toBe('a \\| b');
    expect(cell('use `kubectl`')).toBe('use \\`kubectl\\`');
    expect(cell('one\ntwo')).toBe('one two');
    expect(cell('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(cell('a\\|b')).toBe('a\\\\\\|b');
    expect(cells(`| ${cell('x\\')} | y |`)).toHaveLength(2);
  });

  it('cannot be closed early by a command that holds a fence', () => {
    const report = copy(FIXTURES.failing);
    const fix = report.verdicts[0]?.fix[0];
    if (fix === undefined) throw new Error('fixture changed');
    fix.gcloud = 'echo ```\n</details>';
    const md = renderMarkdown(report);
    expect(md).toContain('````sh\necho ```\n</details>\n````');
  });

  it('never prints a token', () => {
    const report = copy(FIXTURES.failing);
    const token = 'ya29.a0AfB_byC1234567890abcdefghijklmnop';
    const first = report.results[0];
    if (first === undefined) throw new Error('fixture changed');
    first.cause = `got ${token}`;
    expect(renderMarkdown(report)).not.toContain('a0AfB_byC1234567890');
  });
});
