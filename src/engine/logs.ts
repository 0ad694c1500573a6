// `wi-doctor logs`: facts → what the audit logs say about one KSA's tokens over a window. First whether the logs
// that would record them are on at all (so that "no entries" never reads as "not used"), then per step: the
// GSA's GenerateAccessToken entries (impersonation) and the KSA's STS token exchanges: counts, last success,
// failures with their status and message, callers. Every section carries the Logs Explorer link of its query.

import { adminReadState, IAM_SERVICE, STS_SERVICE } from '../model/audit-config.js';
import type { AdminReadState } from '../model/audit-config.js';
import { ksaOfTokenEvent, parseLogEntries } from '../model/audit-log.js';
import type { TokenEvent } from '../model/audit-log.js';
import type { Facts, LogQuery } from '../model/facts.js';
import { projectOfServiceAccount } from '../model/iam/policies.js';
import { projectOfPool } from '../model/identifiers.js';
import { generateAccessTokenFilter, logsExplorerUrl, stsExchangeFilter } from '../model/log-query.js';
import { resolveSubjects } from './subjects.js';

export interface LoggingState {
  project: string;
  service: string;
  /** on, off, or unknown when the policy could not be read. */
  state: 'on' | 'off' | 'unknown';
  detail: string;
}

export interface TokenSummary {
  /** What these entries are: GenerateAccessToken of the GSA, or the KSA's STS exchanges. */
  step: 'generate-access-token' | 'sts-exchange';
  project: string | undefined;
  total: number;
  ok: number;
  failed: number;
  lastSuccess?: { at: string; caller: string };
  lastFailure?: { at: string };
  /** Failures grouped by status code and message, most frequent first. */
  failures: { code?: number; message?: string; count: number; last: string }[];
  /** Who asked, most frequent first: this KSA, other KSAs or principals, or unrecorded (failures log no caller). */
  callers: { caller: string; count: number; ip?: string; tool?: string }[];
  /** What the collected queries covered for this step. */
  coverage: string;
  explorer?: { url: string; filter: string };
}

export interface LogsReport {
  format: 'wi-doctor-logs/1';
  source: string;
  ksa: string;
  model: 'impersonation' | 'direct';
  gsa?: string;
  window: { since: string; until: string };
  logging: LoggingState[];
  steps: TokenSummary[];
  /** The plain reading, first things first. */
  statements: string[];
  /** Entries of an unexpected shape, skipped and counted. */
  skipped: number;
  skippedReasons: string[];
}

function loggingState(facts: Facts, project: string | undefined, service: string): LoggingState | undefined {
  if (project === undefined) return undefined;
  const policy = facts.projectPolicy(project);
  if (policy.status !== 'present') {
    return {
      project,
      service,
      state: 'unknown',
      detail: `the policy of project ${project} could not be read (${policy.message}): whether ${service} ADMIN_READ logs are on is unknown`,
    };
  }
  let state: AdminReadState = adminReadState(policy.value, service);
  let where = `project ${project}`;
  if (!state.on) {
    const inherited = facts.ancestorPolicies.find(
      (a) => a.policy.status === 'present' && adminReadState(a.policy.value, service).on,
    );
    if (inherited?.policy.status === 'present') {
      state = adminReadState(inherited.policy.value, service);
      where = `${inherited.resource} (inherited)`;
    }
  }
  if (state.on) {
    const exempt = state.exemptedMembers.length > 0 ? `; exempted: ${state.exemptedMembers.join(', ')}` : '';
    return {
      project,
      service,
      state: 'on',
      detail: `ADMIN_READ is on for ${state.via ?? service} in ${where}${exempt}`,
    };
  }
  const others =
    state.otherTypesOnly.length > 0 ? ` (${state.otherTypesOnly.join(', ')} on, which records no tokens)` : '';
  const unseen =
    facts.ancestorPolicies.length === 0 ? '; folder or organization configs were not read and may turn them on' : '';
  return {
    project,
    service,
    state: 'off',
    detail: `ADMIN_READ Data Access logs are off for ${service} in project ${project}${others}${unseen}`,
  };
}

function coverageOf(queries: readonly LogQuery[], since: Date, until: Date): string {
  if (queries.length === 0)
    return 'the time window of the collected log files is unknown: an absent entry proves nothing';
  const full = queries.some(
    (q) => Date.parse(q.since) <= since.getTime() && Date.parse(q.until) >= until.getTime() - 60_000,
  );
  const complete = queries.every((q) => q.complete);
  const span = queries.map((q) => `${q.since} to ${q.until}`).join('; ');
  return `read ${span}${complete ? '' : ' (newest entries only: more matched than were read)'}${full ? '' : ' — shorter than the window asked for'}`;
}

function summarize(
  step: TokenSummary['step'],
  project: string | undefined,
  events: readonly TokenEvent[],
  ksa: string,
  pool: string | undefined,
  coverage: string,
  explorer: TokenSummary['explorer'],
): TokenSummary {
  const failures = new Map<string, { code?: number; message?: string; count: number; last: string }>();
  const callers = new Map<string, { caller: string; count: number; ip?: string; tool?: string }>();
  let lastSuccess: TokenSummary['lastSuccess'];
  let lastFailure: TokenSummary['lastFailure'];
  for (const e of events) {
    const fromKsa = ksaOfTokenEvent(e, pool);
    const who =
      fromKsa !== undefined
        ? fromKsa === ksa
          ? `KSA ${ksa}`
          : `KSA ${fromKsa}`
        : (e.caller.principalSubject ?? e.caller.principalEmail ?? 'unrecorded (failed calls log no caller)');
    const c = callers.get(who) ?? {
      caller: who,
      count: 0,
      ...(e.caller.callerIp !== undefined ? { ip: e.caller.callerIp } : {}),
      ...(e.caller.userAgent !== undefined ? { tool: e.caller.userAgent.split(/[\s,]/)[0] ?? e.caller.userAgent } : {}),
    };
    c.count++;
    callers.set(who, c);
    if (e.ok) {
      lastSuccess ??= { at: e.at, caller: who };
    } else {
      lastFailure ??= { at: e.at };
      const key = `${e.status?.code ?? ''} ${e.status?.message ?? ''}`;
      const f = failures.get(key) ?? {
        ...(e.status?.code !== undefined ? { code: e.status.code } : {}),
        ...(e.status?.message !== undefined ? { message: e.status.message } : {}),
        count: 0,
        last: e.at,
      };
      f.count++;
      failures.set(key, f);
    }
  }
  const ok = events.filter((e) => e.ok).length;
  return {
    step,
    project,
    total: events.length,
    ok,
    failed: events.length - ok,
    ...(lastSuccess ? { lastSuccess } : {}),
    ...(lastFailure ? { lastFailure } : {}),
    failures: [...failures.values()].sort((a, b) => b.count - a.count),
    callers: [...callers.values()].sort((a, b) => b.count - a.count),
    coverage,
    ...(explorer ? { explorer } : {}),
  };
}

/** Reading of one step: what its entries, its logging state and its coverage together prove. */
function statementFor(s: TokenSummary, logging: LoggingState | undefined, what: string, days: string): string {
  if (logging?.state === 'off') {
    return `${what}: ${logging.detail}. These calls leave no entry, so "no entries" does not mean "not used".`;
  }
  if (s.total > 0) {
    const last = s.lastSuccess ? `last success ${s.lastSuccess.at} (${s.lastSuccess.caller})` : 'no success';
    return `${what}: ${s.total} entr${s.total === 1 ? 'y' : 'ies'} in ${days} — ${s.ok} succeeded, ${s.failed} failed; ${last}.`;
  }
  if (logging?.state === 'unknown') return `${what}: no entry, and ${logging.detail}: this proves nothing.`;
  if (/unknown|newest entries only|shorter/.test(s.coverage)) {
    return `${what}: no entry in the collected logs, but ${s.coverage}: this proves nothing.`;
  }
  return `${what}: no entry in ${days} with the logs on: nothing asked for these tokens in that window.`;
}

export interface LogsRequest {
  ksa: string;
  /** Milliseconds back from the collection time. */
  sinceMs: number;
  source: string;
}

export function logsReport(facts: Facts, request: LogsRequest): LogsReport {
  const [subject] = resolveSubjects(facts, { ksa: [request.ksa] });
  if (subject === undefined) throw new Error('resolveSubjects returned no subject for --ksa');
  const until = facts.now;
  const since = new Date(until.getTime() - request.sinceMs);
  const pool = subject.principal.pool;
  const poolProject = pool === undefined ? facts.clusterRef.project : (projectOfPool(pool) ?? facts.clusterRef.project);
  const gsa = subject.gsaEmail;
  const gsaProject = gsa === undefined ? undefined : projectOfServiceAccount(facts, gsa);
  const logs = parseLogEntries(facts.logEntries.status === 'present' ? facts.logEntries.value : []);
  const inWindow = (e: TokenEvent) => Date.parse(e.at) >= since.getTime() && Date.parse(e.at) <= until.getTime();
  const days = `the last ${formatSpan(request.sinceMs)} (${since.toISOString()} to ${until.toISOString()})`;

  const logging: LoggingState[] = [];
  const steps: TokenSummary[] = [];
  const statements: string[] = [];
  if (facts.logEntries.status === 'error')
    statements.push(`The log files could not be read: ${facts.logEntries.message}.`);
  if (facts.logEntries.status === 'not-collected') {
    statements.push(`No log was collected (${facts.logEntries.message}): nothing below is evidence of absence.`);
  }

  if (gsa !== undefined) {
    const account = facts.serviceAccount(gsa);
    const uid = account.status === 'present' ? account.value.uniqueId : undefined;
    const events = logs.tokens.filter(
      (t) =>
        t.kind === 'generate-access-token' &&
        inWindow(t) &&
        (t.gsa?.email?.toLowerCase() === gsa.toLowerCase() || (uid !== undefined && t.gsa?.uniqueId === uid)),
    );
    const state = loggingState(facts, gsaProject, IAM_SERVICE);
    if (state) logging.push(state);
    const queries = facts.logQueries.filter(
      (q) =>
        /GenerateAccessToken/.test(q.filter) &&
        (q.serviceAccounts ?? [gsa]).some((e) => e.toLowerCase() === gsa.toLowerCase()),
    );
    const filter =
      gsaProject === undefined
        ? undefined
        : generateAccessTokenFilter({ project: gsaProject, emails: [gsa], since, until });
    const summary = summarize(
      'generate-access-token',
      gsaProject,
      events,
      subject.id,
      pool,
      coverageOf(queries, since, until),
      filter !== undefined && gsaProject !== undefined
        ? { filter, url: logsExplorerUrl(gsaProject, filter, since, until) }
        : undefined,
    );
    steps.push(summary);
    statements.push(statementFor(summary, state, `GenerateAccessToken for ${gsa}`, days));
  }

  const sts = logs.tokens.filter(
    (t) => t.kind === 'sts-exchange' && inWindow(t) && ksaOfTokenEvent(t, pool) === subject.id,
  );
  const stsState = loggingState(facts, poolProject, STS_SERVICE);
  if (stsState) logging.push(stsState);
  const stsQueries = facts.logQueries.filter(
    (q) => /sts\.googleapis\.com/.test(q.filter) && q.filter.includes(`/sa/${subject.ksaName}`),
  );
  const stsFilter = stsExchangeFilter({
    project: poolProject,
    namespace: subject.namespace,
    ksa: subject.ksaName,
    since,
    until,
  });
  const stsSummary = summarize(
    'sts-exchange',
    poolProject,
    sts,
    subject.id,
    pool,
    coverageOf(stsQueries, since, until),
    { filter: stsFilter, url: logsExplorerUrl(poolProject, stsFilter, since, until) },
  );
  steps.push(stsSummary);
  statements.push(
    statementFor(
      stsSummary,
      stsState,
      `STS token exchanges of KSA ${subject.id} (UNVERIFIED: which subject form GKE logs)`,
      days,
    ),
  );

  return {
    format: 'wi-doctor-logs/1',
    source: request.source,
    ksa: subject.id,
    model: subject.model,
    ...(gsa !== undefined ? { gsa } : {}),
    window: { since: since.toISOString(), until: until.toISOString() },
    logging,
    steps,
    statements,
    skipped: logs.skipped,
    skippedReasons: logs.skippedReasons,
  };
}

/** `7d`, `12h`, `90m`: the window as the user wrote it, back from milliseconds. */
export function formatSpan(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
