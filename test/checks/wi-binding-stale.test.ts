import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/wi-binding-stale.js';

const CART = { ksa: ['shop/cart'] };
const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const OLD = `deleted:serviceAccount:${GSA}?uid=111111111111111111111`;

function grant(b: BundleEditor, path: string, role: string, member: string): void {
  b.edit(path, (p: any) => {
    p.bindings = [...(p.bindings ?? []), { role, members: [member] }];
  });
}

describeCheck(check, [
  {
    name: 'no deleted members passes',
    subject: CART,
    expect: { status: 'pass', cause: /no `deleted:` members for GSA `cart@acme-shop\.iam\.gserviceaccount\.com`/ },
  },
  // ---- §5.8 deleted and recreated
  {
    name: 'a deleted member of the recreated GSA in the project policy warns with remove-iam-member',
    subject: CART,
    patch: (b) => grant(b, 'gcp/projects/acme-shop.iam-policy.json', 'roles/pubsub.publisher', OLD),
    expect: {
      status: 'warn',
      cause: /was deleted and recreated, and the new account \(uid 269962557691428975596\) has none of these grants/,
      fix: ['remove-iam-member'],
    },
  },
  {
    name: 'the remove fix names the exact member, role and policy',
    subject: CART,
    patch: (b) => grant(b, 'gcp/projects/acme-shop.iam-policy.json', 'roles/pubsub.publisher', OLD),
    expect: (results) => {
      expect(results[0]!.fix[0]).toMatchObject({
        action: 'remove-iam-member',
        target: 'projects/acme-shop',
        params: { role: 'roles/pubsub.publisher', member: OLD },
      });
    },
  },
  {
    name: 'deleted members in the GSA policy and in the GSA project policy are found (cross-project GSA)',
    subject: CART,
    patch: (b) => {
      const reader = 'reader@acme-data.iam.gserviceaccount.com';
      b.k8s('serviceaccounts', 'shop', 'cart', (sa: any) => {
        sa.metadata.annotations = { 'iam.gke.io/gcp-service-account': reader };
      });
      grant(
        b,
        'gcp/projects/acme-data.iam-policy.json',
        'roles/bigquery.dataViewer',
        `deleted:serviceAccount:${reader}?uid=42`,
      );
      grant(
        b,
        `gcp/service-accounts/${reader}.iam-policy.json`,
        'roles/iam.serviceAccountTokenCreator',
        `deleted:serviceAccount:${reader}?uid=42`,
      );
    },
    expect: {
      status: 'warn',
      cause: /^2 bindings of deleted accounts/,
      // The project already grants the new reader bigquery.dataViewer; only the self-grant is given back.
      fix: ['add-iam-binding', 'remove-iam-member', 'remove-iam-member'],
    },
  },
  {
    name: 'a recreated GSA gets back each role it lost, with its condition, before the stale members go',
    subject: CART,
    patch: (b) => {
      b.edit('gcp/projects/acme-shop.iam-policy.json', (p: any) => {
        p.bindings = [
          ...(p.bindings ?? []),
          { role: 'roles/storage.objectViewer', members: [OLD] },
          {
            role: 'roles/cloudsql.client',
            members: [OLD],
            condition: { expression: 'request.time < timestamp("2027-01-01T00:00:00Z")', title: 'until-2027' },
          },
          { role: 'roles/viewer', members: [OLD, `serviceAccount:${GSA}`] },
        ];
      });
    },
    expect: (results) => {
      const fix = results[0]!.fix;
      expect(fix.map((f) => [f.action, f.params['role']])).toEqual([
        ['add-iam-binding', 'roles/storage.objectViewer'],
        ['add-iam-binding', 'roles/cloudsql.client'],
        ['remove-iam-member', 'roles/storage.objectViewer'],
        ['remove-iam-member', 'roles/cloudsql.client'],
        ['remove-iam-member', 'roles/viewer'],
      ]);
      expect(fix[0]).toMatchObject({ target: 'projects/acme-shop', params: { member: `serviceAccount:${GSA}` } });
      expect(fix[1]?.params).toMatchObject({
        conditionExpression: 'request.time < timestamp("2027-01-01T00:00:00Z")',
        conditionTitle: 'until-2027',
      });
    },
  },
  {
    name: 'a deleted: member with the current account uid (undeleted, not recreated) gets no re-grant',
    subject: CART,
    patch: (b) => {
      grant(
        b,
        'gcp/projects/acme-shop.iam-policy.json',
        'roles/storage.objectViewer',
        `deleted:serviceAccount:${GSA}?uid=269962557691428975596`,
      );
    },
    expect: { status: 'warn', fix: ['remove-iam-member'] },
  },
  {
    name: 'deleted members of unrelated accounts are not this subject’s concern',
    subject: CART,
    patch: (b) =>
      grant(
        b,
        'gcp/projects/acme-shop.iam-policy.json',
        'roles/viewer',
        'deleted:serviceAccount:old-batch@acme-shop.iam.gserviceaccount.com?uid=7',
      ),
    expect: { status: 'pass' },
  },
  {
    name: 'an unreadable project policy is unknown',
    subject: CART,
    patch: (b) => b.error('gcp/projects/acme-shop.iam-policy.json', '403 PERMISSION_DENIED'),
    expect: { status: 'unknown', missing: /gcloud projects get-iam-policy acme-shop/ },
  },
  {
    name: 'direct binding: only the cluster project policy is searched',
    subject: { ksa: ['shop/api'] },
    expect: { status: 'pass', cause: /policies of `projects\/acme-shop`$/ },
  },
]);
