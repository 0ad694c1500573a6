import { expect } from 'vitest';
import check from '../../src/checks/orphan-bindings.js';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';

const CART = 'cart@acme-shop.iam.gserviceaccount.com';
const CART_POLICY = `gcp/service-accounts/${CART}.iam-policy.json`;
const POOL_PRINCIPAL =
  'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog';

function bind(b: BundleEditor, member: string, path = CART_POLICY): void {
  b.edit(path, (p: { bindings?: { role: string; members: string[] }[] }) => {
    p.bindings = [...(p.bindings ?? []), { role: 'roles/iam.workloadIdentityUser', members: [member] }];
  });
}

describeCheck(check, [
  { name: 'healthy: every named KSA exists', expect: { status: 'pass', subject: CART } },
  {
    name: 'a member for a KSA that is gone: warn, remove it',
    patch: (b) => bind(b, 'serviceAccount:acme-shop.svc.id.goog[shop/cart-old]'),
    expect: {
      status: 'warn',
      subject: CART,
      cause: /still names KSA `shop\/cart-old`, which no longer exists/,
      fix: ['remove-iam-member'],
    },
  },
  {
    name: 'a principal:// member and a uid member that are gone: one result, both listed',
    patch: (b) => {
      bind(b, `${POOL_PRINCIPAL}/subject/ns/checkout/sa/orders`);
      bind(b, `${POOL_PRINCIPAL}/kubernetes.serviceaccount.uid/00000000-0000-0000-0000-000000000000`);
    },
    expect: { status: 'warn', subject: CART, fix: ['remove-iam-member', 'remove-iam-member'] },
  },
  {
    name: 'a namespace set for a namespace that is gone: warn',
    patch: (b) =>
      bind(
        b,
        'principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/namespace/checkout',
      ),
    expect: { status: 'warn', subject: CART, cause: /namespace `checkout`/ },
  },
  {
    name: 'a GSA no annotation points at any more is audited too',
    patch: (b) =>
      bind(
        b,
        'serviceAccount:acme-shop.svc.id.goog[batch/exporter]',
        'gcp/service-accounts/reader@acme-data.iam.gserviceaccount.com.iam-policy.json',
      ),
    expect: (results) => {
      const reader = results.find((r) => r.subject === 'reader@acme-data.iam.gserviceaccount.com');
      expect(reader?.status).toBe('warn');
    },
  },
  {
    name: 'trap: members of another pool are not this cluster’s',
    patch: (b) => bind(b, 'serviceAccount:acme-data.svc.id.goog[shop/gone]'),
    expect: { status: 'pass', subject: CART },
  },
  {
    name: 'other clusters share the pool: unknown (the KSA may live there)',
    patch: (b) => {
      bind(b, 'serviceAccount:acme-shop.svc.id.goog[shop/cart-old]');
      b.edit('gcp/projects/acme-shop.clusters.json', (list: { name: string }[]) => [
        ...list,
        { ...list[0], name: 'staging' },
      ]);
    },
    expect: { status: 'unknown', subject: CART, cause: /`staging` share pool/ },
  },
  {
    name: 'the pool’s clusters not collected: unknown with the command',
    patch: (b) => {
      bind(b, 'serviceAccount:acme-shop.svc.id.goog[shop/cart-old]');
      b.remove('gcp/projects/acme-shop.clusters.json');
    },
    expect: { status: 'unknown', subject: CART, missing: /clusters list --project acme-shop/ },
  },
  {
    name: 'the service accounts unreadable: unknown',
    patch: (b) => b.error('k8s:serviceaccounts', '403 Forbidden'),
    expect: { status: 'unknown' },
  },
]);
