import { expect } from 'vitest';
import check from '../../src/checks/unused-gsa.js';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';

const CART = 'cart@acme-shop.iam.gserviceaccount.com';
const UID = '269962557691428975596';
const LOGS = 'gcp/logs/iamcredentials.json';
const ACTIVITY = 'gcp/projects/acme-shop.sa-activity.json';
const POLICY = 'gcp/projects/acme-shop.iam-policy.json';
// Collected at 2026-11-28T17:00:00Z (examples/healthy/bundle.json).
const QUERY = {
  file: 'gcp/logs/generate-access-token.json',
  filter:
    'protoPayload.methodName:"GenerateAccessToken" AND resource.labels.email_id="cart@acme-shop.iam.gserviceaccount.com"',
  since: '2026-08-01T00:00:00Z',
  until: '2026-11-28T17:00:00Z',
  complete: true,
  serviceAccounts: [CART],
};

// The Admin Activity query over the log retention (CreateServiceAccount among its methods): no creation entry of
// the account in it means the account is older than the window.
const ADMIN = {
  file: LOGS,
  filter:
    'logName="projects/acme-shop/logs/cloudaudit.googleapis.com%2Factivity" AND protoPayload.methodName="google.iam.admin.v1.CreateServiceAccount"',
  since: '2025-10-24T17:00:00Z',
  until: '2026-11-28T17:00:00Z',
  complete: true,
  serviceAccounts: [CART],
};

/** The account's CreateServiceAccount entry, added to the collected logs. */
function createdOn(b: BundleEditor, at: string): void {
  b.edit(LOGS, (entries: object[]) => [
    ...entries,
    {
      logName: 'projects/acme-shop/logs/cloudaudit.googleapis.com%2Factivity',
      timestamp: at,
      resource: { type: 'service_account', labels: { email_id: CART, unique_id: UID, project_id: 'acme-shop' } },
      protoPayload: {
        methodName: 'google.iam.admin.v1.CreateServiceAccount',
        resourceName: `projects/acme-shop/serviceAccounts/${UID}`,
        authenticationInfo: { principalEmail: 'admin@example.com' },
      },
    },
  ]);
}

const activity = (
  last: string | undefined,
  start = '2026-08-30T07:00:00Z',
  name = `//iam.googleapis.com/projects/acme-shop/serviceAccounts/${UID}`,
) => ({
  fullResourceName: name,
  activityType: 'serviceAccountLastAuthentication',
  observationPeriod: { startTime: start, endTime: '2026-11-27T07:00:00Z' },
  activity: {
    ...(last !== undefined ? { lastAuthenticatedTime: last } : {}),
    serviceAccount: {
      serviceAccountId: name.endsWith(UID) ? UID : '1',
      projectNumber: '123456789012',
      fullResourceName: name,
    },
  },
});

/** No successful entry in the logs; optionally a failed one. */
function noSuccess(b: BundleEditor, failure = false): void {
  b.edit(LOGS, (entries: { protoPayload: { status: object }; severity: string }[]) =>
    failure
      ? entries.map((e) => ({
          ...e,
          severity: 'ERROR',
          protoPayload: { ...e.protoPayload, status: { code: 7, message: 'PERMISSION_DENIED' } },
        }))
      : [],
  );
}

describeCheck(check, [
  {
    name: 'healthy: a successful GenerateAccessToken in the window',
    expect: { status: 'pass', subject: CART, cause: /minted a token 2026-11-28T16:41:02.918311Z/ },
  },
  {
    name: 'Policy Analyzer: authenticated recently (matched by unique id)',
    patch: (b) => b.set(ACTIVITY, [activity('2026-11-26T07:00:00Z')]),
    expect: { status: 'pass', subject: CART, cause: /Policy Analyzer/ },
  },
  {
    name: 'Policy Analyzer wins over the logs: last authenticated 180 days ago, warn',
    patch: (b) => b.set(ACTIVITY, { activities: [activity('2026-06-01T07:00:00Z', '2026-03-01T07:00:00Z')] }),
    expect: { status: 'warn', subject: CART, cause: /unused for 180 days/, fix: ['manual'] },
  },
  {
    name: 'Policy Analyzer matched by email in the resource name',
    patch: (b) =>
      b.set(ACTIVITY, [
        activity(
          '2026-01-01T07:00:00Z',
          '2025-12-01T07:00:00Z',
          `//iam.googleapis.com/projects/acme-shop/serviceAccounts/${CART}`,
        ),
      ]),
    expect: { status: 'warn', subject: CART },
  },
  {
    name: 'no record while the analyzer observed the whole window: warn',
    patch: (b) => {
      b.manifest.logQueries = [ADMIN];
      b.set(ACTIVITY, [
        activity(
          '2026-11-26T07:00:00Z',
          '2026-01-01T07:00:00Z',
          '//iam.googleapis.com/projects/acme-shop/serviceAccounts/other@acme-shop.iam.gserviceaccount.com',
        ),
      ]);
    },
    expect: { status: 'warn', subject: CART, cause: /no authentication recorded by Policy Analyzer since 2026-01-01/ },
  },
  {
    name: 'trap: no record, but the account was created 5 days ago (Admin Activity): pass, never unused',
    patch: (b) => {
      createdOn(b, '2026-11-23T17:00:00Z');
      b.manifest.logQueries = [ADMIN];
      b.set(ACTIVITY, [
        activity(undefined, '2025-10-28T07:00:00Z', '//iam.googleapis.com/projects/acme-shop/serviceAccounts/1'),
      ]);
    },
    expect: {
      status: 'pass',
      subject: CART,
      cause: /was created 2026-11-23T17:00:00\.000Z \(5 days ago, Admin Activity log\): younger than the 90-day window/,
    },
  },
  {
    name: 'trap: no record and the creation time unknown (no Admin Activity read): unknown, never unused',
    patch: (b) =>
      b.set(ACTIVITY, [
        activity(undefined, '2025-10-28T07:00:00Z', '//iam.googleapis.com/projects/acme-shop/serviceAccounts/1'),
      ]),
    expect: { status: 'unknown', subject: CART, cause: /when it was created is unknown/ },
  },
  {
    name: 'created 200 days ago, no record since: warn',
    patch: (b) => {
      createdOn(b, '2026-05-12T17:00:00Z');
      b.set(ACTIVITY, [
        activity(undefined, '2025-10-28T07:00:00Z', '//iam.googleapis.com/projects/acme-shop/serviceAccounts/1'),
      ]);
    },
    expect: { status: 'warn', subject: CART },
  },
  {
    name: 'trap: no record, the analyzer observed less than the window: unknown',
    patch: (b) => b.set(ACTIVITY, []),
    expect: { status: 'unknown', subject: CART },
  },
  {
    name: 'logs on, a complete query over the window, no success: warn',
    patch: (b) => {
      noSuccess(b);
      b.manifest.logQueries = [QUERY, ADMIN];
    },
    expect: { status: 'warn', subject: CART, cause: /minted no token in the last 90 days/ },
  },
  {
    name: 'failed calls only are noted: something tries and is denied',
    patch: (b) => {
      noSuccess(b, true);
      b.manifest.logQueries = [QUERY, ADMIN];
    },
    expect: {
      status: 'warn',
      subject: CART,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/1 failed GenerateAccessToken call/),
    },
  },
  {
    name: 'trap: no entries and ADMIN_READ logs off is unknown, never unused',
    patch: (b) => {
      noSuccess(b);
      b.manifest.logQueries = [QUERY];
      b.edit(POLICY, (p: { auditConfigs?: object[] }) => {
        delete p.auditConfigs;
      });
    },
    expect: { status: 'unknown', subject: CART, cause: /ADMIN_READ audit logs are off/ },
  },
  {
    name: 'trap: no entries and no known query window is unknown',
    patch: (b) => noSuccess(b),
    expect: { status: 'unknown', subject: CART, cause: /no complete log query is known to cover the last 90 days/ },
  },
  {
    name: 'trap: an incomplete query proves nothing',
    patch: (b) => {
      noSuccess(b);
      b.manifest.logQueries = [{ ...QUERY, complete: false }];
    },
    expect: { status: 'unknown', subject: CART },
  },
  {
    name: 'trap: a query for another account proves nothing about this one',
    patch: (b) => {
      noSuccess(b);
      b.manifest.logQueries = [{ ...QUERY, serviceAccounts: ['other@acme-shop.iam.gserviceaccount.com'] }];
    },
    expect: { status: 'unknown', subject: CART },
  },
  {
    name: 'trap: a query shorter than the window proves nothing',
    patch: (b) => {
      noSuccess(b);
      b.manifest.logQueries = [{ ...QUERY, since: '2026-11-21T17:00:00Z' }];
    },
    expect: { status: 'unknown', subject: CART },
  },
  {
    name: '--unused-days 1 with a success a day and a half old: warn',
    options: { unusedDays: 1 },
    patch: (b) => {
      b.edit(LOGS, (entries: { timestamp: string }[]) =>
        entries.map((e) => ({ ...e, timestamp: '2026-11-27T05:00:00Z' })),
      );
      b.manifest.logQueries = [{ ...QUERY, since: '2026-11-27T17:00:00Z' }, ADMIN];
    },
    expect: { status: 'warn', subject: CART, cause: /last 1 days/ },
  },
  {
    name: 'Policy Analyzer unreadable and no logs: unknown naming both',
    patch: (b) => {
      b.error(ACTIVITY, '403 PERMISSION_DENIED');
      b.remove(LOGS);
    },
    expect: { status: 'unknown', subject: CART, cause: /could not be read \(403 PERMISSION_DENIED\)/ },
  },
]);
