// `explain-error` output: the matched signatures with their ranked causes (text), or the JSON contract
// `{"matches": [{"signature", "title", "excerpt", "line", "count", "causes": [{"cause", "checks", "next"}]}]}`.

import type { Classification } from '../explain/classify.js';
import { redactSecrets } from './common.js';
import { sanitizeDeep } from './sanitize.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

export function renderExplainText(classification: Classification): string {
  // The excerpts are the user's text: control and bidi characters in it are shown, never acted on.
  const c = sanitizeDeep(classification);
  const lines: string[] = [];
  switch (c.kind) {
    case 'empty':
      lines.push('The input is empty: no error text to explain.');
      break;
    case 'binary':
      lines.push(`The input is binary data (${c.bytes} bytes), not text: paste the error message or pipe a log.`);
      break;
    case 'unknown':
      lines.push(
        `No known Workload Identity error in this text (${c.lines} line${c.lines === 1 ? '' : 's'}).`,
        'It may come from elsewhere; to check the chain itself: wi-doctor check --ksa NS/KSA',
      );
      break;
    case 'matched':
      c.matches.forEach((m, i) => {
        if (i > 0) lines.push('');
        const times = m.count > 1 ? `, ${m.count} lines` : '';
        lines.push(`${i + 1}. ${m.signature} — ${m.title} (line ${m.line}${times})`);
        lines.push(`   > ${m.excerpt}`);
        lines.push('   Likely causes, most likely first:');
        m.causes.forEach((cause, j) => {
          const checks = cause.checks.length > 0 ? cause.checks.join(', ') : 'none (outside what checks see)';
          lines.push(`   ${LETTERS[j] ?? '-'}. ${cause.cause}`);
          lines.push(`      checks: ${checks}`);
          lines.push(`      next:   ${cause.next}`);
        });
      });
      break;
  }
  return redactSecrets(`${lines.join('\n')}\n`);
}

export function renderExplainJson(c: Classification): string {
  const body =
    c.kind === 'matched'
      ? { matches: c.matches, lines: c.lines }
      : c.kind === 'unknown'
        ? { matches: [], lines: c.lines, unknown: true }
        : c.kind === 'binary'
          ? { matches: [], input: 'binary', bytes: c.bytes }
          : { matches: [], input: 'empty' };
  return redactSecrets(`${JSON.stringify(body, null, 2)}\n`);
}
