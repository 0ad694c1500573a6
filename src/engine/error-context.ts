// `check --error TEXT`: the classification of the error a user saw orders each verdict's evidence (what was ruled
// out, what was not evaluated) so that the checks that confirm or rule out its likely causes come first, and says
// when the root cause found is not among them.

import type { Classification } from '../explain/classify.js';
import { rankedChecks } from '../explain/classify.js';
import type { Report, Verdict } from '../model/results.js';

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
  const ordering = errorOrdering(classification);
  report.notes.push(...ordering.notes, ...ordering.order(report.verdicts));
  return report;
}

/**
 * What `--error` does, for verdicts that come a slice at a time: the notes to add at once, and `order`, which
 * orders the evidence of some verdicts and returns a note for each whose root cause is not a usual cause.
 */
export function errorOrdering(classification: Classification): {
  notes: string[];
  order: (verdicts: readonly Verdict[]) => string[];
} {
  if (classification.kind !== 'matched') {
    return {
      notes: [
        classification.kind === 'unknown'
          ? 'the --error text matches no known Workload Identity error: the report is in its usual order'
          : `the --error text is ${classification.kind}: the report is in its usual order`,
      ],
      order: () => [],
    };
  }
  const order = rankedChecks(classification);
  const names = classification.matches.map((m) => m.signature).join(', ');
  return {
    notes: [
      `--error matches ${names}: the checks that confirm or rule out its causes come first (${order.join(', ')})`,
    ],
    order: (verdicts) => {
      const notes: string[] = [];
      for (const verdict of verdicts) {
        verdict.ruledOut = sortByRank(verdict.ruledOut, order);
        verdict.notEvaluated = sortByRank(verdict.notEvaluated, order);
        if (verdict.rootCause !== null && !order.includes(verdict.rootCause)) {
          notes.push(
            `${verdict.subject}: the root cause found (${verdict.rootCause}) is not among the usual causes of that error: does the error come from this workload?`,
          );
        }
      }
      return notes;
    },
  };
}
