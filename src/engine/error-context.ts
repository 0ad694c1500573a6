// `check --error TEXT`: the classification of the error a user saw orders each verdict's evidence (what was ruled
// out, what was not evaluated) so that the checks that confirm or rule out its likely causes come first, and says
// when the root cause found is not among them.

import type { Classification } from '../explain/classify.js';
import { rankedChecks } from '../explain/classify.js';
import type { Report } from '../model/results.js';

function rankOf(line: string, order: readonly string[]): number {
  const id = /^([a-z0-9-]+):/.exec(line)?.[1];
  const i = id === undefined ? -1 : order.indexOf(id);
  return i < 0 ? order.length : i;
}

function sortByRank(lines: readonly string[], order: readonly string[]): string[] {
  return lines
    .map((line, i) => ({ line, i, rank: rankOf(line, order) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((x) => x.line);
}

export function orderByError(report: Report, classification: Classification): Report {
  if (classification.kind !== 'matched') {
    report.notes.push(
      classification.kind === 'unknown'
        ? 'the --error text matches no known Workload Identity error: the report is in its usual order'
        : `the --error text is ${classification.kind}: the report is in its usual order`,
    );
    return report;
  }
  const order = rankedChecks(classification);
  const names = classification.matches.map((m) => m.signature).join(', ');
  report.notes.push(
    `--error matches ${names}: the checks that confirm or rule out its causes come first (${order.join(', ')})`,
  );
  for (const verdict of report.verdicts) {
    verdict.ruledOut = sortByRank(verdict.ruledOut, order);
    verdict.notEvaluated = sortByRank(verdict.notEvaluated, order);
    if (verdict.rootCause !== null && !order.includes(verdict.rootCause)) {
      report.notes.push(
        `${verdict.subject}: the root cause found (${verdict.rootCause}) is not among the usual causes of that error: does the error come from this workload?`,
      );
    }
  }
  return report;
}
