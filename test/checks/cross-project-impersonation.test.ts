import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/cross-project-impersonation.js';

const CART = { ksa: ['shop/cart'] };
const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const READER = 'reader@acme-data.iam.gserviceaccount.com';
const READER_POLICY = `gcp/service-accounts/${READER}.iam-policy.json`;
const IMPERSONATE = { impersonate: READER };

function readerBindings(b: BundleEditor, bindings: unknown[]): void {
  b.edit(READER_POLICY, (p: any) => {
    p.bindings = bindings;
    p.version = 3;
  });
}

describeCheck(check, [
  {
    name: 'without --impersonate it is skipped',
    subject: CART,
    expect: { status: 'skip', cause: /--impersonate/ },
  },
  // ---- passing
  {
    name: 'TokenCreator on the target passes',
    subject: CART,
    options: IMPERSONATE,
    patch: (b) =>
      readerBindings(b, [{ role: 'roles/iam.serviceAccountTokenCreator', members: [`serviceAccount:${GSA}`] }]),
    expect: {
      status: 'pass',
      cause:
        /GSA `cart@acme-shop\.iam\.gserviceaccount\.com` may mint tokens for `reader@acme-data\.iam\.gserviceaccount\.com` in project `acme-data`/,
    },
  },
  {
    name: 'TokenCreator on the target project (inherited) passes',
    subject: CART,
    options: IMPERSONATE,
    patch: (b) =>
      b.edit('gcp/projects/acme-data.iam-policy.json', (p: any) => {
        p.bindings.push({ role: 'roles/iam.serviceAccountTokenCreator', members: [`serviceAccount:${GSA}`] });
      }),
    expect: { status: 'pass', cause: /project policy of `projects\/acme-data` \(inherited\)/ },
  },

  // ---- §5.19 missing TokenCreator on the target
  {
    name: 'nothing granted on the target fails with add-iam-binding of TokenCreator',
    subject: CART,
    options: IMPERSONATE,
    expect: {
      status: 'fail',
      cause: /may not mint tokens for `reader@acme-data\.iam\.gserviceaccount\.com` in project `acme-data`/,
      fix: ['add-iam-binding'],
    },
  },
  {
    name: 'the fix grants TokenCreator to the GSA on the target account',
    subject: CART,
    options: IMPERSONATE,
    expect: (results) => {
      expect(results[0]!.fix[0]).toMatchObject({
        action: 'add-iam-binding',
        target: `projects/-/serviceAccounts/${READER}`,
        params: { role: 'roles/iam.serviceAccountTokenCreator', member: `serviceAccount:${GSA}` },
      });
    },
  },

  // ---- §5.18 serviceAccountUser where token creation is needed
  {
    name: 'only serviceAccountUser (the reference guide fix): actAs does not mint tokens',
    subject: CART,
    options: IMPERSONATE,
    patch: (b) => readerBindings(b, [{ role: 'roles/iam.serviceAccountUser', members: [`serviceAccount:${GSA}`] }]),
    expect: {
      status: 'fail',
      cause: /holds only `roles\/iam\.serviceAccountUser`.*actAs.*does not mint tokens.*reference guide/,
      fix: ['add-iam-binding'],
    },
  },
  {
    name: 'a grant to the deleted account of the same email is the near miss',
    subject: CART,
    options: IMPERSONATE,
    patch: (b) =>
      readerBindings(b, [
        {
          role: 'roles/iam.serviceAccountTokenCreator',
          members: [`deleted:serviceAccount:${GSA}?uid=111111111111111111111`],
        },
      ]),
    expect: { status: 'fail', cause: /nearest miss: .*deleted/, fix: ['add-iam-binding'] },
  },
  {
    name: 'a conditional grant warns',
    subject: CART,
    options: IMPERSONATE,
    patch: (b) =>
      readerBindings(b, [
        {
          role: 'roles/iam.serviceAccountTokenCreator',
          members: [`serviceAccount:${GSA}`],
          condition: { title: 'until-2026', expression: 'request.time < timestamp("2026-01-01T00:00:00Z")' },
        },
      ]),
    expect: { status: 'warn', cause: /condition `until-2026`/ },
  },
  {
    name: 'direct binding: the KSA principal is the caller',
    subject: { ksa: ['shop/api'] },
    options: IMPERSONATE,
    expect: (results) => {
      expect(results[0]!.status).toBe('fail');
      expect(results[0]!.fix[0]!.params.member).toMatch(/^principal:\/\/.*\/subject\/ns\/shop\/sa\/api$/);
    },
  },
  {
    name: 'a target that does not exist fails',
    subject: CART,
    options: { impersonate: 'writer@acme-data.iam.gserviceaccount.com' },
    expect: { status: 'fail', cause: /`writer@acme-data\.iam\.gserviceaccount\.com`, does not exist/, fix: ['manual'] },
  },
  {
    name: 'an unreadable target policy is unknown',
    subject: CART,
    options: IMPERSONATE,
    patch: (b) => b.error(READER_POLICY, '403 PERMISSION_DENIED'),
    expect: { status: 'unknown', missing: /get-iam-policy reader@acme-data/ },
  },
  {
    name: 'an unreadable target policy, serviceAccountUser on its project: actAs is named as the most likely cause',
    subject: CART,
    options: IMPERSONATE,
    patch: (b) => {
      b.error(READER_POLICY, '403 PERMISSION_DENIED');
      b.edit('gcp/projects/acme-data.iam-policy.json', (p: any) => {
        p.bindings.push({ role: 'roles/iam.serviceAccountUser', members: [`serviceAccount:${GSA}`] });
      });
    },
    expect: {
      status: 'unknown',
      cause:
        /most likely cause, in the policies that were read: role `roles\/iam\.serviceAccountUser` on `projects\/acme-data` does not include `iam\.serviceAccounts\.getAccessToken`: it grants `iam\.serviceAccounts\.actAs`.*settle it with `gcloud iam service-accounts get-iam-policy reader@acme-data\.iam\.gserviceaccount\.com --format=json`/,
      missing: /^settle the most likely cause: gcloud iam service-accounts get-iam-policy reader@acme-data/,
    },
  },
]);
