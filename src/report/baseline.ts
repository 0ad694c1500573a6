// The baseline (`.wi-doctor.yaml`): findings a team accepts on purpose, so that they do not fail a CI build.
// Each entry names a check id and a subject (exact, or with `*` wildcards), says why, and may expire. A
// suppressed result stays in every report, marked with the entry that matched it; only the exit code
// ignores it. An expired entry suppresses nothing, and the run fails until it is renewed or removed.
// Any command that produces results (check, and audit) applies it the same way. Reading the file is in
// ./baseline-file.ts (it loads the YAML parser; this module does not).

import type { CheckResult, Report, Suppression } from '../model/results.js';

export const BASELINE_FILE = '.wi-doctor.yaml';

export interface BaselineEntry {
  check: string;
  /** A subject as reports name it; `*` matches any run of characters. */
  subject: string;
  reason: string;
  /** Last day it applies (YYYY-MM-DD, UTC). */
  expires?: string;
  /** Where the entry is, for messages: `FILE:LINE`. */
  where: string;
}

export interface Baseline {
  file: string;
  entries: BaselineEntry[];
}

function subjectMatcher(pattern: string): (subject: string) => boolean {
  if (!pattern.includes('*')) return (subject) => subject === pattern;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return (subject) => re.test(subject);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface BaselineOutcome {
  /** Entries whose day has passed: they suppress nothing, and the run fails. */
  expired: BaselineEntry[];
  /** Entries that matched no result (fixed, or a typo in the subject). */
  unused: BaselineEntry[];
  /** Results marked suppressed. */
  suppressed: number;
}

/**
 * Marks the results that a live entry matches (pass and skip results are never suppressed: there is
 * nothing to accept), and adds a note per expired or unused entry to the report. `today` is YYYY-MM-DD.
 */
export function applyBaseline(report: Report, baseline: Baseline, today: string): BaselineOutcome {
  const expired = baseline.entries.filter((e) => e.expires !== undefined && e.expires < today);
  const live = baseline.entries
    .filter((e) => !expired.includes(e))
    .map((entry) => ({ entry, matches: subjectMatcher(entry.subject), used: false }));
  const byCheck = new Map<string, typeof live>();
  for (const l of live) byCheck.set(l.entry.check, [...(byCheck.get(l.entry.check) ?? []), l]);
  let suppressed = 0;
  for (const result of report.results) {
    if (!isFinding(result)) continue;
    const hit = byCheck.get(result.check)?.find((l) => l.matches(result.subject));
    if (hit === undefined) continue;
    hit.used = true;
    const mark: Suppression = { file: baseline.file, reason: hit.entry.reason };
    if (hit.entry.expires !== undefined) mark.expires = hit.entry.expires;
    result.suppressed = mark;
    suppressed++;
  }
  const unused = live.filter((l) => !l.used).map((l) => l.entry);
  for (const e of expired) {
    report.notes.push(
      `${e.where}: the suppression of ${e.check} for ${e.subject} expired on ${e.expires ?? ''} (${e.reason}): it suppresses nothing and fails the run until it is renewed or removed`,
    );
  }
  for (const e of unused) {
    report.notes.push(`${e.where}: the suppression of ${e.check} for ${e.subject} matched no finding: remove it`);
  }
  return { expired, unused, suppressed };
}

const isFinding = (r: CheckResult): boolean => r.status === 'fail' || r.status === 'warn' || r.status === 'unknown';
