// The Logging query language parser on its own: precedence, negation, repeated fields, timestamps, errors.

import { describe, expect, test } from 'vitest';
import { FilterSyntaxError, parseFilter } from '../../src/sandbox/google/logging-filter.js';

const entry = {
  logName: 'projects/acme-shop/logs/cloudaudit.googleapis.com%2Factivity',
  timestamp: '2026-03-01T10:00:00.000Z',
  severity: 'NOTICE',
  resource: {
    type: 'service_account',
    labels: { email_id: 'cart-gsa@acme-shop.iam.gserviceaccount.com', 'k8s-pod/app': 'cart' },
  },
  protoPayload: {
    methodName: 'google.iam.admin.v1.SetIAMPolicy',
    serviceData: {
      policyDelta: {
        bindingDeltas: [
          { action: 'ADD', role: 'roles/viewer', member: 'user:a@example.com' },
          {
            action: 'REMOVE',
            role: 'roles/iam.workloadIdentityUser',
            member: 'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
          },
        ],
      },
    },
  },
};

const matches = (f: string): boolean => parseFilter(f)(entry);

describe('logging filter', () => {
  test.each([
    ['severity=NOTICE', true],
    ['severity>=WARNING', false],
    ['severity<ERROR', true],
    ['protoPayload.methodName:setiampolicy', true],
    ['protoPayload.methodName="SetIAMPolicy"', false],
    ['protoPayload.serviceData.policyDelta.bindingDeltas.action="REMOVE"', true],
    ['protoPayload.serviceData.policyDelta.bindingDeltas.member:"[shop/cart]"', true],
    ['NOT severity=NOTICE', false],
    ['-severity=NOTICE', false],
    ['severity!=NOTICE', false],
    ['resource.labels.missing!=x', true],
    ['resource.labels.missing:*', false],
    ['resource.labels.email_id:*', true],
    ['resource.labels."k8s-pod/app"="cart"', true],
    ['timestamp>="2026-03-01T09:00:00Z" timestamp<"2026-03-01T11:00:00+00:00"', true],
    ['timestamp>"2026-03-01T10:00:00Z"', false],
    // OR binds tighter than AND: a AND (b OR c).
    ['severity=ERROR AND severity=NOTICE OR resource.type=service_account', false],
    ['severity=NOTICE AND severity=ERROR OR resource.type=service_account', true],
    ['(severity=ERROR AND severity=NOTICE) OR resource.type=service_account', true],
    ['resource.type=("gce_instance" OR "service_account")', true],
    ['protoPayload.methodName=~"^google\\.iam\\..*Policy$"', true],
    ['protoPayload.methodName!~"Policy$"', false],
    ['log_id("cloudaudit.googleapis.com/activity")', true],
    ['"acme-shop.svc.id.goog"', true],
    ['"never-anywhere"', false],
    ['', true],
  ])('%s → %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  test.each([
    'severity=(',
    'severity=NOTICE)',
    '(severity=NOTICE',
    'severity="unterminated',
    'a = b = c',
    'AND severity=NOTICE',
  ])('%s is a syntax error with its position', (filter) => {
    expect(() => parseFilter(filter)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(filter)).toThrow(/^syntax error at line 1, column \d+, token '.*'$/);
  });

  // A Cloud Asset binding view: strings and an object side by side in one repeated field, a list at the leaf.
  const binding = {
    policy: [
      'roles/iam.workloadIdentityUser',
      'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
      { role: { permissions: ['iam.serviceAccounts.get', 'iam.serviceAccounts.getAccessToken'] } },
    ],
  };
  test.each([
    ['policy.role.permissions:IAM.serviceAccounts.GETACCESSTOKEN', true],
    ['policy.role.permissions="iam.serviceaccounts.get"', true],
    ['policy.role.permissions="iam.serviceAccounts.getOpenIdToken"', false],
    ['policy.role.permissions:signBlob', false],
    ['policy:"SVC.ID.GOOG"', true],
    ['policy="roles/IAM.workloadIdentityUser"', true],
    ['policy:"roles/owner"', false],
    ['policy.role:*', true],
    ['policy.members:*', false],
    // ORed terms over one field share one walk: any term, any element.
    ['policy.role.permissions:signBlob OR policy.role.permissions:GETACCESSTOKEN', true],
    ['policy.role.permissions:signBlob OR policy.role.permissions:signJwt', false],
    ['policy.role.permissions="iam.serviceAccounts" OR policy.role.permissions="IAM.serviceAccounts.get"', true],
    ['policy.role.permissions="iam.serviceAccounts" OR policy.role.permissions:"iam.serviceAccounts"', true],
    ['policy.role.permissions="iam.serviceAccounts" OR policy.role.permissions="getAccessToken"', false],
    ['policy:"roles/owner" OR policy.role.permissions:signJwt OR policy:"[shop/cart]"', true],
    ['policy:"roles/owner" OR policy.role.permissions:signJwt OR policy:"[shop/web]"', false],
    ['policy.role.permissions:signJwt OR NOT policy:"roles/owner"', true],
  ])('binding view: %s → %s (case-insensitive, any element)', (filter, expected) => {
    expect(parseFilter(filter)(binding)).toBe(expected);
  });
});
