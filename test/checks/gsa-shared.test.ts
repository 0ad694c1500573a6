import { expect } from 'vitest';
import check from '../../src/checks/gsa-shared.js';
import type { KObject } from '../../src/model/k8s/types.js';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';

const CART = 'cart@acme-shop.iam.gserviceaccount.com';
const CART_POLICY = `gcp/service-accounts/${CART}.iam-policy.json`;
const ksa = (namespace: string, name: string, gsa?: string): KObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { namespace, name, ...(gsa ? { annotations: { 'iam.gke.io/gcp-service-account': gsa } } : {}) },
});
function bind(b: BundleEditor, member: string): void {
  b.edit(CART_POLICY, (p: { bindings: { members: string[] }[] }) => {
    p.bindings[0]?.members.push(member);
  });
}
const POOL_PRINCIPAL =
  'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog';

describeCheck(check, [
  { name: 'healthy: one namespace', expect: { status: 'pass', subject: CART, cause: /namespace `shop` only/ } },
  {
    name: 'annotated KSAs in two namespaces: warn',
    patch: (b) => b.addK8s(ksa('billing', 'invoicer', CART)),
    expect: { status: 'warn', subject: CART, cause: /namespaces `billing` and `shop`/, fix: ['manual'] },
  },
  {
    name: 'a binding for an existing KSA of another namespace: warn',
    patch: (b) => {
      b.addK8s(ksa('billing', 'invoicer'));
      bind(b, 'serviceAccount:acme-shop.svc.id.goog[billing/invoicer]');
    },
    expect: { status: 'warn', subject: CART, cause: /`billing` and `shop`/ },
  },
  {
    name: 'a cluster principalSet covers every namespace: warn',
    patch: (b) =>
      bind(
        b,
        'principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/kubernetes.cluster/https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod',
      ),
    expect: { status: 'warn', subject: CART, cause: /principal set covering every namespace/ },
  },
  {
    name: 'trap: several KSAs of one namespace are not shared',
    patch: (b) => {
      b.addK8s(ksa('shop', 'cart-batch', CART));
      bind(b, `${POOL_PRINCIPAL}/subject/ns/shop/sa/cart-batch`);
    },
    expect: { status: 'pass', subject: CART },
  },
  {
    name: 'trap: a member for a KSA that does not exist is orphan-bindings’ business (noted)',
    patch: (b) => bind(b, 'serviceAccount:acme-shop.svc.id.goog[checkout/orders]'),
    expect: {
      status: 'pass',
      subject: CART,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/orphan-bindings/),
    },
  },
  {
    name: 'trap: a member of another pool is no namespace of this cluster',
    patch: (b) => bind(b, 'serviceAccount:acme-data.svc.id.goog[billing/invoicer]'),
    expect: { status: 'pass', subject: CART },
  },
  {
    name: 'the GSA policy unreadable, the annotations show one namespace: unknown',
    patch: (b) => b.error(CART_POLICY, '403 PERMISSION_DENIED'),
    expect: { status: 'unknown', subject: CART, missing: /get-iam-policy cart@acme-shop/ },
  },
]);
