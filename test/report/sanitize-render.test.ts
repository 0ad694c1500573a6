import { describe, expect, it } from 'vitest';

import type { Report } from '../../src/model/results.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { textChunks } from '../../src/report/text.js';
import { FIXTURES, FIXTURE_NAMES, copy } from './fixtures/index.js';

// Text from data (a KSA annotation, a policy, an error message) reaches the text report chunk by chunk:
// each verdict, result and group is sanitised as it is rendered, never the whole report up front. Every
// string of the report gets a terminal escape, a bidi override and a token; none may reach the output raw.
const EVIL = '\u001b]0;owned\u0007\u202e ya29.a0AfH6SMBxEXAMPLEEXAMPLEEXAMPLE';
/** Ids and enums the renderers look things up by: changing them would change the report, not its text. */
const KEEP = new Set(['status', 'check', 'rootCause', 'action', 'generatedAt', 'collectedAt', 'docs', 'expires']);

function poison(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return KEEP.has(key) ? value : `${value}${EVIL}`;
  if (Array.isArray(value)) return value.map((v) => poison(v, key));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, poison(v, k)]));
}

/** The first control (newline aside) or bidi character of `text`, as its code point. */
function firstRaw(text: string): string | undefined {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const control = (code < 0x20 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
    const bidi = (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
    if (control || bidi) return `U+${code.toString(16)}`;
  }
  return undefined;
}

describe('sanitising the chunked renderers', () => {
  it.each(FIXTURE_NAMES)('no control, bidi or token reaches the text or Markdown of %s', (name) => {
    const report = poison(copy(FIXTURES[name])) as Report;
    for (const opts of [
      { color: false, hidePass: false },
      { color: false, hidePass: true },
      { color: false, hidePass: false, brief: true },
      { color: false, hidePass: false, width: 60 },
    ]) {
      const text = [...textChunks(report, opts)].join('');
      expect(firstRaw(text)).toBeUndefined();
      expect(text).toContain('\\x1b]0;owned\\x07\\u{202e}');
      expect(text).not.toContain('EXAMPLEEXAMPLE');
    }
    const markdown = renderMarkdown(report);
    expect(firstRaw(markdown)).toBeUndefined();
    expect(markdown).not.toContain('EXAMPLEEXAMPLE');
  });

  it('leaves the report it renders as it was', () => {
    const report = poison(copy(FIXTURES.shared)) as Report;
    const before = structuredClone(report);
    expect([...textChunks(report, { color: false, hidePass: false })].length).toBeGreaterThan(1);
    expect(report).toEqual(before);
  });
});
