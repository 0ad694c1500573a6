// A Workload Identity GSA that has not been used for N days (default 90, `--unused-days`) is standing access
// nobody needs. The evidence, in order: Policy Analyzer's `serviceAccountLastAuthentication` activity (daily,
// up to two days late, failed calls count as authentication); else successful GenerateAccessToken entries in the
// collected logs, which prove absence only when ADMIN_READ logs are on for the account's project and a complete
// query covered the whole window; else unknown. "No log entries" alone never means "unused".

import { adminReadState } from '../model/audit-config.js';
import type { Facts } from '../model/facts.js';
import type { ServiceAccountActivity } from '../model/gcp.js';
import { informational } from '../engine/consulted.js';
import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { daysText, gsaProjectPolicy, missingGsaOutcome } from './lib/audit.js';
import { policyCollectHint } from './lib/collect-hints.js';
import { listNames } from './lib/fixes.js';
import { coveringQuery, parsedLogs } from './lib/logs.js';

/** Policy Analyzer records authentication daily and lags by up to two days. */
const ANALYZER_LAG_DAYS = 2;

/**
 * When the account was created, from the Admin Activity `google.iam.admin.v1.CreateServiceAccount` entry when the
 * collected logs hold it: the IAM ServiceAccount resource carries no creation time (its fields are name,
 * projectId, uniqueId, email, displayName, description, oauth2ClientId, etag, disabled). The last creation
 * counts (an account deleted and recreated under the same email is a new account).
 */
function createdAt(facts: Facts, email: string, uniqueId: string | undefined): number | undefined {
  const times = (parsedLogs(facts)?.changes ?? [])
    .filter(
      (c) =>
        c.kind === 'account-created' &&
        c.ok &&
        (c.email?.toLowerCase() === email.toLowerCase() || (uniqueId !== undefined && c.uniqueId === uniqueId)),
    )
    .map((c) => Date.parse(c.at))
    .filter((t) => !Number.isNaN(t));
  return times.length === 0 ? undefined : Math.max(...times);
}

/**
 * A complete Admin Activity query read from before `since` to now that would hold the account's
 * CreateServiceAccount entry: with none in it, the account is older than `since` (Admin Activity logs cannot be
 * turned off).
 */
function creationWindowRead(facts: Facts, email: string, since: number): boolean {
  const wanted = email.toLowerCase();
  return facts.logQueries.some(
    (q) =>
      q.complete &&
      Date.parse(q.since) <= since &&
      Date.parse(q.until) >= facts.now.getTime() - 60_000 &&
      q.filter.includes('google.iam.admin.v1.CreateServiceAccount') &&
      (q.serviceAccounts === undefined || q.serviceAccounts.some((e) => e.toLowerCase() === wanted)),
  );
}

/**
 * "No use in N days" needs the account to have existed for N days (and for Policy Analyzer's lag): a younger
 * account passes, one of unknown age is unknown. Undefined when the account is known to be old enough.
 */
function tooYoungOrUnknown(
  facts: Facts,
  gsa: string,
  uniqueId: string | undefined,
  days: number,
): CheckOutcome | undefined {
  const created = createdAt(facts, gsa, uniqueId);
  const window = Math.max(days, ANALYZER_LAG_DAYS) * DAY;
  if (created === undefined && creationWindowRead(facts, gsa, facts.now.getTime() - window)) return undefined;
  if (created === undefined) {
    return {
      status: 'unknown',
      cause:
        `no use of GSA \`${gsa}\` was found in the last ${days} days, but when it was created is unknown, so it may be ` +
        `younger than that: the account resource carries no creation time and no Admin Activity CreateServiceAccount entry for it was read`,
      missing: [
        `the Admin Activity log of the last ${days} days (wi-doctor collect --audit), for its CreateServiceAccount entry`,
      ],
    };
  }
  const age = facts.now.getTime() - created;
  if (age < window) {
    return {
      status: 'pass',
      cause: `GSA \`${gsa}\` was created ${new Date(created).toISOString()} (${daysText(age)} ago, Admin Activity log): younger than the ${days}-day window and Policy Analyzer's ${ANALYZER_LAG_DAYS}-day lag, so not unused`,
      evidence: { notes: ['an account is judged unused only once it has existed for the whole window'] },
    };
  }
  return undefined;
}

const DAY = 86_400_000;
export const DEFAULT_UNUSED_DAYS = 90;

function activityOf(
  activities: readonly ServiceAccountActivity[],
  email: string,
  uniqueId: string | undefined,
): ServiceAccountActivity | undefined {
  const ends = (name: string | undefined) =>
    name !== undefined &&
    (name.toLowerCase().endsWith(`/serviceaccounts/${email.toLowerCase()}`) ||
      (uniqueId !== undefined && name.endsWith(`/serviceAccounts/${uniqueId}`)));
  return activities.find(
    (a) =>
      ends(a.fullResourceName) ||
      ends(a.activity?.serviceAccount?.fullResourceName) ||
      (uniqueId !== undefined && a.activity?.serviceAccount?.serviceAccountId === uniqueId),
  );
}

function unusedFix(gsa: string, ksas: readonly string[]) {
  return [
    {
      action: 'manual' as const,
      target: `projects/-/serviceAccounts/${gsa}`,
      params: {},
      description: `If no workload needs \`${gsa}\` any more: remove the annotation from KSA ${listNames(ksas)}, then disable the account (gcloud iam service-accounts disable ${gsa}) and delete it once nothing breaks.`,
    },
  ];
}

function fromActivity(
  facts: Facts,
  gsa: string,
  ksas: readonly string[],
  activities: readonly ServiceAccountActivity[],
  uniqueId: string | undefined,
  days: number,
): CheckOutcome {
  const since = facts.now.getTime() - days * DAY;
  const found = activityOf(activities, gsa, uniqueId);
  const last = found?.activity?.lastAuthenticatedTime;
  const note = 'Policy Analyzer records authentication daily and lags by up to two days';
  if (last !== undefined && !Number.isNaN(Date.parse(last))) {
    const age = facts.now.getTime() - Date.parse(last);
    if (Date.parse(last) >= since) {
      return {
        status: 'pass',
        cause: `GSA \`${gsa}\` last authenticated ${last} (${daysText(age)} ago, Policy Analyzer)`,
        evidence: { notes: [note] },
      };
    }
    return {
      status: 'warn',
      cause: `GSA \`${gsa}\`, annotated on KSA ${listNames(ksas)}, last authenticated ${last}: unused for ${daysText(age)} (more than ${days} days)`,
      evidence: {
        expected: `an authentication in the last ${days} days`,
        actual: { lastAuthenticatedTime: last },
        notes: [note],
      },
      fix: unusedFix(gsa, ksas),
    };
  }
  // No record of the account: it proves disuse only if the analyzer observed at least the whole window.
  const observedSince = activities
    .map((a) => Date.parse(a.observationPeriod?.startTime ?? ''))
    .filter((t) => !Number.isNaN(t))
    .sort((a, b) => a - b)[0];
  if (observedSince !== undefined && observedSince <= since) {
    const young = tooYoungOrUnknown(facts, gsa, uniqueId, days);
    if (young !== undefined) return young;
    return {
      status: 'warn',
      cause: `GSA \`${gsa}\`, annotated on KSA ${listNames(ksas)}, has no authentication recorded by Policy Analyzer since ${new Date(observedSince).toISOString()} (more than ${days} days)`,
      evidence: {
        expected: `an authentication in the last ${days} days`,
        actual:
          found === undefined
            ? 'the account is not among the activities of its project'
            : 'the account is listed without a lastAuthenticatedTime (not used in the observation period)',
        notes: [note],
      },
      fix: unusedFix(gsa, ksas),
    };
  }
  return {
    status: 'unknown',
    cause: `Policy Analyzer has no activity for GSA \`${gsa}\`, and its observation period is unknown or shorter than ${days} days`,
    missing: ['the GenerateAccessToken logs of the window (wi-doctor collect --audit), with ADMIN_READ audit logs on'],
  };
}

export default defineCheck({
  id: 'unused-gsa',
  title: 'Every Workload Identity GSA was used recently',
  failureTitle: 'A Workload Identity GSA has not been used for a long time',
  group: 'audit',
  scope: 'gsa',
  chainOrder: 910,
  requires: ['serviceAccountActivity', 'logEntries', 'projectPolicy', 'serviceAccount', 'project'],
  run({ facts, target, options }) {
    const gsa = target.email;
    const missing = missingGsaOutcome(facts, gsa);
    if (missing) return missing;
    const days = options.unusedDays ?? DEFAULT_UNUSED_DAYS;
    const since = new Date(facts.now.getTime() - days * DAY);
    const account = facts.serviceAccount(gsa);
    const uniqueId = account.status === 'present' ? account.value.uniqueId : undefined;
    const own = gsaProjectPolicy(facts, gsa);
    const activity = own.project === undefined ? undefined : facts.serviceAccountActivity(own.project);
    if (activity?.status === 'present') return fromActivity(facts, gsa, target.ksas, activity.value, uniqueId, days);
    const activityWhy =
      activity === undefined
        ? 'the project of the account is unknown'
        : `Policy Analyzer activity ${activity.status === 'not-collected' ? 'was not collected' : `could not be read (${activity.message})`}`;

    const logs = parsedLogs(facts);
    const mine = (logs?.tokens ?? []).filter(
      (t) =>
        t.kind === 'generate-access-token' &&
        (t.gsa?.email?.toLowerCase() === gsa.toLowerCase() || (uniqueId !== undefined && t.gsa?.uniqueId === uniqueId)),
    );
    const lastOk = mine.find((t) => t.ok && Date.parse(t.at) >= since.getTime());
    if (lastOk !== undefined) {
      // A token minted in the window proves use whatever Policy Analyzer or the account's describe would add.
      if (activity !== undefined) informational(activity);
      informational(account);
      return {
        status: 'pass',
        cause: `GSA \`${gsa}\` minted a token ${lastOk.at} (${daysText(facts.now.getTime() - Date.parse(lastOk.at))} ago, GenerateAccessToken log)`,
        evidence: { notes: [`${activityWhy}; the audit logs answered instead`] },
      };
    }
    const failures = mine.filter((t) => !t.ok && Date.parse(t.at) >= since.getTime());
    const failureNote =
      failures.length > 0
        ? [
            `${failures.length} failed GenerateAccessToken call${failures.length === 1 ? '' : 's'} in the window: something tries to use it and is denied (see wi-binding)`,
          ]
        : [];
    const policy = own.policy;
    if (policy === undefined || policy.status !== 'present') {
      return {
        status: 'unknown',
        cause: `${activityWhy}, and whether audit logs record token generation for \`${gsa}\` is unknown (its project policy could not be read)`,
        missing: [
          own.project === undefined ? `the project of ${gsa}` : policyCollectHint(`projects/${own.project}`),
          'Policy Analyzer activity (gcp/projects/P.sa-activity.json)',
        ],
      };
    }
    const logged =
      adminReadState(policy.value).on ||
      facts.ancestorPolicies.some((a) => a.policy.status === 'present' && adminReadState(a.policy.value).on);
    if (!logged) {
      return {
        status: 'unknown',
        cause: `${activityWhy}, and ADMIN_READ audit logs are off for project \`${own.project ?? ''}\` (see admin-read-audit-logs): no GenerateAccessToken entry would exist even if \`${gsa}\` were used daily`,
        missing: [
          'Policy Analyzer activity (roles/policyanalyzer.activityAnalysisViewer), or turn ADMIN_READ logs on and wait the window',
        ],
        evidence: { notes: failureNote },
      };
    }
    const query = coveringQuery(facts, gsa, since);
    const young = query === undefined ? undefined : tooYoungOrUnknown(facts, gsa, uniqueId, days);
    if (young !== undefined) return young;
    if (query === undefined) {
      return {
        status: 'unknown',
        cause: `${activityWhy}; no successful GenerateAccessToken for \`${gsa}\` in the collected logs, but no complete log query is known to cover the last ${days} days`,
        missing: [`the GenerateAccessToken logs of the last ${days} days with their query (wi-doctor collect --audit)`],
        evidence: { notes: failureNote },
      };
    }
    return {
      status: 'warn',
      cause: `GSA \`${gsa}\`, annotated on KSA ${listNames(target.ksas)}, minted no token in the last ${days} days (GenerateAccessToken logs on and read from ${query.since} to ${query.until})`,
      evidence: {
        expected: `a successful GenerateAccessToken in the last ${days} days`,
        actual: 'none',
        notes: [`query: ${query.filter}`, ...failureNote],
      },
      fix: unusedFix(gsa, target.ksas),
    };
  },
});
