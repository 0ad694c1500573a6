// Who changed it. When wi-binding, gsa-exists, gsa-enabled or ksa-annotation fails, the change that broke it is
// often on record: Admin Activity audit logs (always on, kept 400 days) hold every SetIamPolicy with its binding
// deltas, every DeleteServiceAccount and DisableServiceAccount, with who, when, from which address and with which
// tool; a KSA's metadata.managedFields say which manager last wrote its annotations, and when. The evidence comes
// from the collected facts; this only reads them and adds it to the failing result (an evidence note and the
// `changes` field) and to the verdict whose root cause it explains.

import type { Facts } from '../model/facts.js';
import { parseLogEntries } from '../model/audit-log.js';
import type { ChangeEvent } from '../model/audit-log.js';
import { matchMember, tryParseMember } from '../model/identifiers.js';
import type { ManagedFieldsEntry } from '../model/k8s/types.js';
import { WI_ANNOTATION } from '../model/k8s/types.js';
import type { ChangeTarget } from '../model/log-query.js';
import type { ChangeRecord, CheckResult, Report, Verdict } from '../model/results.js';
import { projectOfServiceAccount } from '../model/iam/policies.js';
import type { Subject } from './subject.js';

/** The checks whose failure a recorded change can explain. */
export const CHANGE_CHECKS = new Set(['wi-binding', 'gsa-exists', 'gsa-enabled', 'ksa-annotation']);

const CHANGE_WORDS: Record<ChangeEvent['kind'], string> = {
  'binding-added': 'granted',
  'binding-removed': 'removed',
  'account-created': 'created',
  'account-deleted': 'deleted',
  'account-disabled': 'disabled',
  'account-enabled': 'enabled',
  'account-undeleted': 'undeleted',
  'key-created': 'key created',
  'key-deleted': 'key deleted',
};

/** Unique ids named by `deleted:serviceAccount:EMAIL?uid=ID` members, by lower-cased email: built once per facts. */
const deletedUids = new WeakMap<Facts, Map<string, Set<string>>>();

function deletedUidsByEmail(facts: Facts): Map<string, Set<string>> {
  let index = deletedUids.get(facts);
  if (index !== undefined) return index;
  index = new Map();
  const prefix = 'deleted:serviceaccount:';
  const policies = [
    ...facts.knownProjects.map((p) => facts.projectPolicy(p)),
    ...facts.knownServiceAccounts.map((e) => facts.serviceAccountPolicy(e)),
  ];
  for (const policy of policies) {
    if (policy.status !== 'present') continue;
    for (const b of policy.value.bindings ?? []) {
      for (const m of b.members ?? []) {
        if (m.length <= prefix.length || m.slice(0, prefix.length).toLowerCase() !== prefix) continue;
        const lower = m.toLowerCase();
        const at = lower.indexOf('?uid=', prefix.length);
        if (at === -1) continue;
        const email = lower.slice(prefix.length, at);
        const ids = index.get(email) ?? new Set<string>();
        ids.add(m.slice(at + '?uid='.length));
        index.set(email, ids);
      }
    }
  }
  deletedUids.set(facts, index);
  return index;
}

/** The unique ids an account went by: the current one, and those of `deleted:` members naming it. */
function uniqueIdsOf(facts: Facts, email: string): string[] {
  const ids = new Set<string>();
  const account = facts.serviceAccount(email);
  if (account.status === 'present' && account.value.uniqueId !== undefined) ids.add(account.value.uniqueId);
  for (const id of deletedUidsByEmail(facts).get(email.toLowerCase()) ?? []) ids.add(id);
  return [...ids];
}

function aboutAccount(change: ChangeEvent, email: string, uniqueIds: readonly string[]): boolean {
  if (change.email !== undefined && change.email.toLowerCase() === email.toLowerCase()) return true;
  return change.uniqueId !== undefined && uniqueIds.includes(change.uniqueId);
}

function namesSubject(member: string | undefined, subject: Subject): boolean {
  if (member === undefined) return false;
  const parsed = tryParseMember(member);
  return parsed.ok && matchMember(parsed.member, { type: 'ksa', ksa: subject.principal }).match;
}

/** Admin Activity changes that explain this check failing for this subject, newest first. */
function explainingChanges(
  check: string,
  subject: Subject,
  changes: readonly ChangeEvent[],
  facts: Facts,
): ChangeEvent[] {
  const gsa = subject.gsaEmail;
  // No recorded change: nothing to look up (the account's ids are read only when some change may name it).
  if (gsa === undefined || changes.length === 0) return [];
  const ids = uniqueIdsOf(facts, gsa);
  const project = projectOfServiceAccount(facts, gsa);
  const ok = changes.filter((c) => c.ok);
  switch (check) {
    case 'wi-binding':
      return ok.filter(
        (c) =>
          (c.kind === 'binding-removed' &&
            namesSubject(c.member, subject) &&
            (aboutAccount(c, gsa, ids) || (project !== undefined && c.resourceName === `projects/${project}`))) ||
          ((c.kind === 'account-deleted' || c.kind === 'account-created') && aboutAccount(c, gsa, ids)),
      );
    case 'gsa-exists':
      return ok.filter((c) => c.kind === 'account-deleted' && aboutAccount(c, gsa, ids));
    case 'gsa-enabled':
      return ok.filter((c) => c.kind === 'account-disabled' && aboutAccount(c, gsa, ids));
    default:
      return [];
  }
}

function fromLog(c: ChangeEvent): ChangeRecord {
  return {
    source: 'admin-activity',
    kind: c.kind,
    at: c.at,
    resource: c.resourceName,
    tool: c.tool,
    ...(c.caller.principalEmail !== undefined ? { by: c.caller.principalEmail } : {}),
    ...(c.caller.callerIp !== undefined ? { callerIp: c.caller.callerIp } : {}),
    ...(c.caller.userAgent !== undefined ? { userAgent: c.caller.userAgent } : {}),
    ...(c.role !== undefined ? { role: c.role } : {}),
    ...(c.member !== undefined ? { member: c.member } : {}),
    ...(c.insertId !== undefined ? { insertId: c.insertId } : {}),
  };
}

function ownsAnnotations(entry: ManagedFieldsEntry, keys: readonly string[]): boolean {
  const metadata = entry.fieldsV1?.['f:metadata'];
  if (typeof metadata !== 'object' || metadata === null) return false;
  const annotations = (metadata as Record<string, unknown>)['f:annotations'];
  if (typeof annotations !== 'object' || annotations === null) return false;
  return keys.some((k) => Object.hasOwn(annotations, `f:${k}`));
}

/** The managedFields entry that last wrote the annotation key(s) at fault. */
function annotationChange(subject: Subject): ChangeRecord | undefined {
  if (subject.ksa.status !== 'present') return undefined;
  const keys = [
    ...(subject.annotation ? [subject.annotation.key] : []),
    ...subject.nearMissAnnotations.map((n) => n.key),
  ];
  if (keys.length === 0) keys.push(WI_ANNOTATION);
  let latest: ManagedFieldsEntry | undefined;
  for (const entry of subject.ksa.value.metadata.managedFields ?? []) {
    if (entry.time === undefined || Number.isNaN(Date.parse(entry.time)) || !ownsAnnotations(entry, keys)) continue;
    if (latest?.time === undefined || Date.parse(entry.time) > Date.parse(latest.time)) latest = entry;
  }
  if (latest?.time === undefined) return undefined;
  return {
    source: 'kubernetes-managed-fields',
    kind: 'annotation-written',
    at: latest.time,
    resource: `namespaces/${subject.namespace}/serviceaccounts/${subject.ksaName}`,
    tool: latest.manager ?? 'unknown',
    ...(latest.operation !== undefined ? { operation: latest.operation } : {}),
  };
}

/** One line for a person: what changed, who, when, from where, with what. */
export function describeChange(c: ChangeRecord): string {
  if (c.source === 'kubernetes-managed-fields') {
    return `the annotations of \`${c.resource}\` were last written by manager \`${c.tool}\`${c.operation ? ` (${c.operation})` : ''} at ${c.at} (managedFields name the tool, not the person)`;
  }
  const what =
    c.role !== undefined && c.member !== undefined
      ? `\`${c.role}\` for \`${c.member}\` was ${CHANGE_WORDS[c.kind as ChangeEvent['kind']] ?? c.kind} on \`${c.resource}\``
      : `\`${c.resource}\` was ${CHANGE_WORDS[c.kind as ChangeEvent['kind']] ?? c.kind}`;
  const from = [
    c.callerIp !== undefined ? `from ${c.callerIp}` : undefined,
    `with ${c.tool}${c.userAgent !== undefined && c.tool !== c.userAgent ? ` (\`${c.userAgent}\`)` : ''}`,
  ]
    .filter((s) => s !== undefined)
    .join(' ');
  return `${what} by ${c.by ?? 'an unrecorded principal'} at ${c.at} ${from} (Admin Activity log)`;
}

/**
 * Add what the records show to failing results and to the verdicts they are the root cause of. `failures`: the
 * report's failed results, when the caller has them (else the results are scanned).
 */
export function attachChanges(
  report: Report,
  facts: Facts,
  subjects: readonly Subject[],
  failures: readonly CheckResult[] = report.results,
): Report {
  const explainer = new ChangeExplainer(facts);
  explainer.attach(report.verdicts, subjects, failures);
  report.notes.push(...explainer.notes());
  return report;
}

/**
 * Attaches recorded changes to the failures of one set of subjects after another (a diagnosis does it slice by
 * slice): the logs are parsed once, on the first failure a change could explain, and noted once.
 */
export class ChangeExplainer {
  private logs: ReturnType<typeof parseLogEntries> | undefined;
  private parsed = false;

  constructor(private readonly facts: Facts) {}

  /** `failures` of `subjects` (others are ignored), and the verdicts of those subjects. */
  attach(verdicts: readonly Verdict[], subjects: readonly Subject[], failures: readonly CheckResult[]): void {
    const { facts } = this;
    const failing = failures.filter((r) => r.status === 'fail' && CHANGE_CHECKS.has(r.check));
    if (failing.length === 0) return;
    if (!this.parsed) {
      this.logs = facts.logEntries.status === 'present' ? parseLogEntries(facts.logEntries.value) : undefined;
      this.parsed = true;
    }
    const logs = this.logs;
    // The subjects of the failures (a few) out of all those diagnosed (20,000 at scale).
    const failingSubjects = new Set(failing.map((r) => r.subject));
    const bySubject = new Map<string, Subject>();
    for (const s of subjects) if (failingSubjects.has(s.id)) bySubject.set(s.id, s);
    const found = new Map<CheckResult, ChangeRecord[]>();
    for (const result of failing) {
      const subject = bySubject.get(result.subject);
      if (subject === undefined) continue;
      const records =
        result.check === 'ksa-annotation'
          ? [annotationChange(subject)].filter((r): r is ChangeRecord => r !== undefined)
          : explainingChanges(result.check, subject, logs?.changes ?? [], facts).map(fromLog);
      if (records.length === 0) {
        const searched = searchedNote(facts, subject, result.check);
        if (searched !== undefined && result.check !== 'ksa-annotation') {
          result.evidence = { ...result.evidence, notes: [...(result.evidence?.notes ?? []), searched] };
        }
        continue;
      }
      found.set(result, records);
      result.changes = records;
      result.evidence = {
        ...result.evidence,
        notes: [...(result.evidence?.notes ?? []), ...records.slice(0, 3).map((r) => `changed: ${describeChange(r)}`)],
      };
    }
    // The first result found per subject and check, for the verdicts (one look-up each, not a scan of them all).
    const firstFound = new Map<string, ChangeRecord[]>();
    for (const [result, records] of found) {
      const key = `${result.subject}\u0000${result.check}`;
      if (!firstFound.has(key)) firstFound.set(key, records);
    }
    for (const verdict of verdicts) {
      if (verdict.rootCause === null) continue;
      const change = firstFound.get(`${verdict.subject}\u0000${verdict.rootCause}`)?.[0];
      if (change === undefined) continue;
      verdict.change = change;
      verdict.headline = `${verdict.headline} — ${describeChange(change)}`;
    }
  }

  /** What the run should say about the logs it read: entries of a shape it could not read. */
  notes(): string[] {
    const skipped = this.logs?.skipped ?? 0;
    if (skipped === 0 || this.logs === undefined) return [];
    return [
      `${skipped} log entr${skipped === 1 ? 'y' : 'ies'} of an unexpected shape skipped (${this.logs.skippedReasons.join('; ')})`,
    ];
  }
}

/** When an Admin Activity query covered the subject's GSA and found nothing: say so (the binding may never have existed). */
function searchedNote(facts: Facts, subject: Subject, check: string): string | undefined {
  const gsa = subject.gsaEmail;
  if (gsa === undefined) return undefined;
  const query = facts.logQueries.find(
    (q) =>
      q.file.includes('admin-activity') && (q.serviceAccounts ?? []).some((e) => e.toLowerCase() === gsa.toLowerCase()),
  );
  if (query === undefined) return undefined;
  const days = Math.round((Date.parse(query.until) - Date.parse(query.since)) / 86_400_000);
  return `no change about \`${gsa}\` that explains this in the Admin Activity log of the ${days} days before collection${query.complete ? '' : ' (newest entries only)'}: ${check === 'gsa-exists' ? 'the account may never have existed' : check.startsWith('wi-binding') ? 'the binding may never have existed' : 'it may have been so from the start'}`;
}

/** The Admin Activity logs to read for the failing results of a diagnosis: one target per project. */
export function changeTargets(report: Report, facts: Facts, subjects: readonly Subject[]): ChangeTarget[] {
  const byProject = new Map<string, ChangeTarget>();
  const bySubject = new Map(subjects.map((s) => [s.id, s]));
  for (const r of report.results) {
    if (r.status !== 'fail' || !CHANGE_CHECKS.has(r.check) || r.check === 'ksa-annotation') continue;
    const gsa = bySubject.get(r.subject)?.gsaEmail;
    if (gsa === undefined) continue;
    const project = projectOfServiceAccount(facts, gsa);
    if (project === undefined) continue;
    const t = byProject.get(project) ?? { project, emails: [], uniqueIds: [] };
    if (!t.emails.includes(gsa)) t.emails.push(gsa);
    for (const id of uniqueIdsOf(facts, gsa)) if (!t.uniqueIds.includes(id)) t.uniqueIds.push(id);
    byProject.set(project, t);
  }
  return [...byProject.values()];
}
