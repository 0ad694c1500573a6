// What every human-facing renderer shares: which results belong under which verdict, the summary line,
// and the scrubbing of secrets, so that text and markdown can never disagree on either.

import { redactSecrets } from '../model/redact.js';
import type { CheckResult, FixAction, Report, Status, Verdict } from '../model/results.js';
import { sanitize } from './sanitize.js';

export { redactSecrets } from '../model/redact.js';

/** Results shown under one heading: the subject's own, or one shared subject it depends on. */
export interface ResultBlock {
  /** The subject of these results. */
  subject: string;
  /** True for the verdict's own subject, false for a related cluster/node pool/project subject. */
  own: boolean;
  results: CheckResult[];
}

/** The subject's own results first, then each related subject's, in the order the verdict lists them. */
const bySubjectCache = new WeakMap<Report, Map<string, CheckResult[]>>();

/** Results grouped by subject, once per report: filtering all results per verdict is quadratic. */
function resultsBySubject(report: Report): Map<string, CheckResult[]> {
  let map = bySubjectCache.get(report);
  if (!map) {
    map = new Map();
    for (const result of report.results) {
      const list = map.get(result.subject);
      if (list) list.push(result);
      else map.set(result.subject, [result]);
    }
    bySubjectCache.set(report, map);
  }
  return map;
}

export function blocksFor(report: Report, verdict: Verdict): ResultBlock[] {
  const bySubject = resultsBySubject(report);
  const blocks: ResultBlock[] = [
    { subject: verdict.subject, own: true, results: bySubject.get(verdict.subject) ?? [] },
  ];
  for (const related of verdict.related) {
    if (related === verdict.subject) continue;
    const results = bySubject.get(related) ?? [];
    if (results.length > 0) blocks.push({ subject: related, own: false, results });
  }
  return blocks;
}

/** Results no verdict shows (audit results about a GSA, a project nobody depends on): never drop them silently. */
export function unclaimedResults(report: Report): CheckResult[] {
  const shown = new Set<string>();
  for (const v of report.verdicts) {
    shown.add(v.subject);
    for (const r of v.related) shown.add(r);
  }
  return report.results.filter((r) => !shown.has(r.subject));
}

/**
 * The status a verdict headline shows: the root cause's status when there is one, otherwise the worst
 * status among the results it depends on. An unknown never shows as a pass.
 */
export function verdictStatus(report: Report, verdict: Verdict): Status {
  const results = blocksFor(report, verdict).flatMap((b) => b.results);
  if (verdict.rootCause !== null) {
    const root = results.find((r) => r.check === verdict.rootCause && r.status !== 'pass' && r.status !== 'skip');
    return root?.status ?? 'fail';
  }
  for (const status of ['fail', 'warn', 'unknown'] as const) {
    if (results.some((r) => r.status === status)) return status;
  }
  return 'pass';
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** The last line of the text report; it always says how many checks could not run, even 0. */
export function summaryLine(report: Report): string {
  const s = report.summary;
  return [
    plural(report.verdicts.length, 'subject', 'subjects'),
    `${s.fail} failed`,
    plural(s.warn, 'warning', 'warnings'),
    `${s.pass} passed`,
    `${s.skip} skipped`,
    `${s.unknown} could not run (unknown)`,
  ].join(' · ');
}

/** Every command of a fix, labelled, in the order a person runs them: shell commands before Terraform. */
export function fixCommands(fix: FixAction): { tool: 'gcloud' | 'kubectl' | 'terraform'; command: string }[] {
  const out: { tool: 'gcloud' | 'kubectl' | 'terraform'; command: string }[] = [];
  if (fix.gcloud !== null) out.push({ tool: 'gcloud', command: fix.gcloud });
  if (fix.kubectl !== null) out.push({ tool: 'kubectl', command: fix.kubectl });
  if (fix.terraform !== null) out.push({ tool: 'terraform', command: fix.terraform });
  return out;
}

/** One line: line breaks and runs of spaces inside a value must not break the layout; controls are escaped. */
export const oneLine = (text: string): string => sanitize(text.replace(/\s*[\r\n]+\s*/g, ' ').trim());

/**
 * Compact JSON of an evidence value, cut at `max` characters so one huge policy cannot flood the screen.
 * Secrets are redacted before the cut: a cut through a key would leave its body where no pattern finds it.
 */
export function compactJson(value: unknown, max = 160): string {
  let json: string;
  try {
    json = redactSecrets(JSON.stringify(value) ?? String(value));
  } catch {
    // A value nested too deep for JSON.stringify (the readers refuse such input; this is a last guard).
    json = '(too deeply nested to show)';
  }
  return sanitize(json.length > max ? `${json.slice(0, max - 1)}…` : json);
}
