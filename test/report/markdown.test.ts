import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { GITHUB_COMMENT_LIMIT, cell, renderMarkdown } from '../../src/report/markdown.js';
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

  it('titles the comment with the summary and gives each subject a collapsible section, failures first', () => {
    const md = renderMarkdown(FIXTURES.shared);
    expect(md.split('\n')[0]).toBe(`## wi-doctor: ${summaryLine(FIXTURES.shared)}`);
    expect(md).toContain(
      'Cluster `projects/acme-shop/locations/europe-west1/clusters/prod` · read live at 2026-11-28 17:04 UTC',
    );
    // One section per subject, and one folded list of what was ruled out in each.
    expect(md.match(/^<details( open)?>\n<summary>(❌|❔)/gm)).toHaveLength(FIXTURES.shared.verdicts.length);
    // Failing subjects are open; the rest stay folded.
    expect(md).toMatch(/<details open>\n<summary>❌ <b>batch\/exporter<\/b>/);
    expect(md).toMatch(/<details>\n<summary>❔ <b>shop\/api<\/b>/);
    expect(md.indexOf('batch/exporter')).toBeLessThan(md.indexOf('<b>shop/api'));
  });

  it('gives healthy subjects one line each when there are several', () => {
    const report = copy(FIXTURES.shared);
    const healthy = copy(FIXTURES.healthy).verdicts[0];
    if (healthy === undefined) throw new Error('fixture changed');
    report.verdicts.push(healthy);
    const md = renderMarkdown(report);
    expect(md).toMatch(/\n- ✅ \*\*shop\/cart\*\* — Workload Identity should work \(\d+ checks? passed\)\n/);
    expect(md).not.toMatch(/<summary>✅/);
  });

  it('escapes the name of a healthy subject shown in one line', () => {
    const report = copy(FIXTURES.shared);
    const healthy = copy(FIXTURES.healthy).verdicts[0];
    if (healthy === undefined) throw new Error('fixture changed');
    healthy.subject = 'shop/cart\u001b]0;owned\u0007\u202e';
    report.verdicts.push(healthy);
    const md = renderMarkdown(report);
    expect(md).toContain('\n- ✅ **shop/cart\\x1b]0;owned\\x07\\u{202e}** — Workload Identity should work');
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(md).not.toContain(raw);
  });

  it("stays under GitHub's comment limit, cutting whole subjects and saying what was cut", () => {
    const report = copy(FIXTURES.failing);
    const [verdict] = report.verdicts;
    if (verdict === undefined) throw new Error('fixture changed');
    const own = report.results.filter((r) => r.subject === verdict.subject);
    for (let i = 0; i < 400; i++) {
      const subject = `team-${i}/app`;
      report.results.push(...own.map((r) => ({ ...r, subject })));
      report.verdicts.push({ ...verdict, subject });
    }
    report.verdicts.push({ ...verdict, subject: 'ok/app', status: 'pass', rootCause: null, fix: [] });
    const md = renderMarkdown(report);
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    const shown = md.match(/^<details open>/gm)?.length ?? 0;
    expect(shown).toBeGreaterThan(10);
    const cut = 401 - shown;
    expect(md).toContain(
      `**Cut to fit GitHub's 65,536-character comment limit:** ${cut + 1} of 402 subjects (${cut} broken, 1 healthy) and the groups are not shown here`,
    );
    expect(md.trimEnd().endsWith('hold every result.')).toBe(true);
    // A smaller limit cuts earlier, and still says so.
    const small = renderMarkdown(report, { limit: 8_000 });
    expect(small.length).toBeLessThanOrEqual(8_000);
    expect(small).toMatch(/Cut to fit/);
  });

  it('puts gcloud and kubectl in sh blocks and Terraform in hcl blocks', () => {
    const md = renderMarkdown(FIXTURES.failing);
    expect(md).toMatch(
      /```sh\ngcloud iam service-accounts add-iam-policy-binding cart@acme-shop\.iam\.gserviceaccount\.com/,
    );
    expect(md).toMatch(/```hcl\nresource "google_service_account_iam_member"/);
    expect(md).toMatch(/```sh\nkubectl rollout restart deployment\/cart --namespace=shop\n```/);
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
        // Tables of other findings (at least shop/api's unknown), the other checks, and the groups.
        expect(found.length).toBeGreaterThanOrEqual(3);
        for (const table of found) {
          for (const row of table.rows) expect(cells(row)).toHaveLength(table.columns);
        }
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
    const verdict = report.verdicts[0];
    if (verdict === undefined) throw new Error('fixture changed');
    verdict.fix = [
      {
        action: 'annotate-service-account',
        target: 'namespaces/shop/serviceaccounts/cart',
        params: { key: 'note', value: '```\n</details>' },
        description: 'Annotate.',
      },
    ];
    const md = renderMarkdown(report);
    expect(md).toContain(
      "````sh\nkubectl annotate serviceaccount cart --namespace=shop 'note=```\n</details>' --overwrite\n````",
    );
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
