// What README.md and docs/ say about flags and error texts is true of the CLI: the README's flag table names each
// flag once, with the formats `check` takes, and every error text they pass to `--error` or `explain-error` is one
// that wi-doctor recognises (an example that only shows "matches no known error" teaches nothing).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyText } from '../../src/explain/classify.js';
import { REPORT_FORMATS } from '../../src/report/formats.js';
import { docsPages } from '../helpers/doc-pages.js';

const repo = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

function docs(): string[] {
  return ['README.md', ...docsPages()];
}

/** The rows of README's `| flag | meaning |` table: the first code span of each, and the row. */
function flagRows(): { flags: string; row: string }[] {
  const start = readme.indexOf('| flag | meaning |');
  expect(start).toBeGreaterThan(0);
  const rows = readme.slice(start).split('\n\n')[0]?.split('\n').slice(2) ?? [];
  return rows.map((row) => ({ flags: /`([^`]*)`/.exec(row)?.[1] ?? '', row }));
}

describe("README's flag table", () => {
  it('names each flag once', () => {
    const names = flagRows().flatMap(({ flags }) => [...flags.matchAll(/--[a-z][-a-z0-9]*/g)].map((m) => m[0]));
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('lists the report formats check takes', () => {
    const format = flagRows().find(({ flags }) => flags.startsWith('--format '));
    expect(format?.flags.replace('--format ', '').split('\\|')).toEqual([...REPORT_FORMATS]);
  });
});

describe('error texts shown in README.md and docs/', () => {
  const shown = docs().flatMap((file) =>
    [...readFileSync(join(repo, file), 'utf8').matchAll(/(?:--error|explain-error) (?:"([^"\n]+)"|'([^'\n]+)')/g)].map(
      (m) => ({ file, text: m[1] ?? m[2] ?? '' }),
    ),
  );

  it('finds them', () => {
    expect(shown.length).toBeGreaterThanOrEqual(3);
  });

  it.each(shown)('$file: "$text" matches a known error signature', ({ text }) => {
    expect(classifyText(text).kind).toBe('matched');
  });
});
