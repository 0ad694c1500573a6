import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/pod-service-account.js';

const CART = { workload: ['shop/deployment/cart'] };
const CART_POD = 'cart-7d9f8b6c5d-abcde';

/** The cart Deployment and its pod lose serviceAccountName: they run as `default`. */
function cartRunsAsDefault(b: BundleEditor): void {
  b.k8s('deployments', 'shop', 'cart', (d: any) => {
    delete d.spec.template.spec.serviceAccountName;
    delete d.spec.template.spec.serviceAccount;
  });
  b.k8s('replicasets', 'shop', 'cart-7d9f8b6c5d', (r: any) => {
    delete r.spec.template.spec.serviceAccountName;
    delete r.spec.template.spec.serviceAccount;
  });
  b.k8s('pods', 'shop', CART_POD, (p: any) => {
    p.spec.serviceAccountName = 'default';
    p.spec.serviceAccount = 'default';
  });
}

describeCheck(check, [
  {
    name: 'a named workload running as its annotated KSA passes',
    subject: CART,
    expect: { status: 'pass', cause: /runs as KSA `shop\/cart`, annotated with `cart@acme-shop/ },
  },
  {
    name: 'a named workload whose KSA principal has grants (direct binding) passes',
    subject: { workload: ['shop/deployment/api'] },
    expect: { status: 'pass', cause: /own principal is granted.*acme-shop-assets.*roles\/storage\.objectViewer/ },
  },
  {
    name: 'KSA subjects are skipped',
    subject: { ksa: ['shop/cart'] },
    expect: { status: 'skip', cause: /KSA `shop\/cart` itself/ },
  },
  {
    name: 'a named workload running as default fails and names the KSA meant',
    subject: CART,
    patch: cartRunsAsDefault,
    expect: {
      status: 'fail',
      cause: /runs as KSA `shop\/default`, which has neither.*probably should run as `shop\/cart`/,
      fix: ['set-service-account-name'],
      evidence: (e) => {
        expect(e.expected).toEqual({ serviceAccountName: 'cart' });
        expect(e.actual).toEqual({ serviceAccountName: 'default' });
      },
    },
  },
  {
    name: 'the fix sets serviceAccountName on the Deployment',
    subject: CART,
    patch: cartRunsAsDefault,
    expect: (results) => {
      expect(results[0]!.fix[0]).toMatchObject({
        action: 'set-service-account-name',
        target: 'namespaces/shop/deployments/cart',
        params: { serviceAccountName: 'cart' },
      });
    },
  },
  {
    name: 'a named pod running as default gets a fix on its owning Deployment',
    subject: { pod: [`shop/pod/${CART_POD}`] },
    patch: cartRunsAsDefault,
    expect: (results) => {
      expect(results).toHaveLength(1);
      expect(results[0]!.status).toBe('fail');
      expect(results[0]!.fix[0]).toMatchObject({ target: 'namespaces/shop/deployments/cart' });
    },
  },
  {
    name: 'running as default with no annotated KSA in the namespace is unknown: default may be granted directly',
    subject: CART,
    patch: (b) => {
      cartRunsAsDefault(b);
      b.k8s('serviceaccounts', 'shop', 'cart', (s: any) => {
        delete s.metadata.annotations;
      });
    },
    expect: {
      status: 'unknown',
      cause: /KSA `shop\/default` has no annotation, so its pods use direct binding/,
      missing: /gcloud asset search-all-iam-policies/,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/no KSA of namespace `shop` carries/),
    },
  },
  {
    name: 'a named workload on a direct-binding KSA whose grant was not read is unknown, not "probably should run as cart"',
    subject: { workload: ['shop/deployment/api'] },
    patch: (b) => b.remove('gcp/resources/acme-shop-assets.json'),
    expect: {
      status: 'unknown',
      cause: /KSA `shop\/api` has no annotation, so its pods use direct binding/,
      evidence: (e) =>
        expect(e.notes?.join('\n')).toMatch(
          /if the pods should act as `cart@acme-shop\.iam\.gserviceaccount\.com`, run them as KSA `shop\/cart`/,
        ),
    },
  },
  {
    name: 'several annotated KSAs and none related to the workload: the unknown lists them',
    subject: { workload: ['shop/deployment/api'] },
    patch: (b) => {
      b.remove('gcp/resources/acme-shop-assets.json');
      b.addK8s({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'billing',
          namespace: 'shop',
          annotations: { 'iam.gke.io/gcp-service-account': 'billing@acme-shop.iam.gserviceaccount.com' },
        },
      });
    },
    expect: {
      status: 'unknown',
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/run them as one of `billing` and `cart`/),
    },
  },
  {
    name: 'an unreadable policy that could hold a grant makes it unknown',
    subject: CART,
    patch: (b) => {
      cartRunsAsDefault(b);
      b.error('gcp/projects/acme-shop.iam-policy.json', '403 PERMISSION_DENIED: resourcemanager.projects.getIamPolicy');
    },
    expect: {
      status: 'unknown',
      missing: /projects\/acme-shop: .*403/,
      // What it did see: the annotated KSA that was probably meant.
      cause: /could not be read and may hold one; it probably should run as `shop\/cart`/,
    },
  },
  {
    name: 'a grant to the default KSA principal counts as an identity',
    subject: CART,
    patch: (b) => {
      cartRunsAsDefault(b);
      b.edit('gcp/resources/acme-shop-assets.json', (r: any) => {
        r.policy.bindings.push({
          role: 'roles/storage.objectViewer',
          members: ['serviceAccount:acme-shop.svc.id.goog[shop/default]'],
        });
      });
    },
    expect: { status: 'pass', cause: /shop\/default.*own principal/ },
  },
  {
    name: 'a direct-binding KSA on a cluster without workload pool is left to cluster-workload-pool',
    subject: { workload: ['shop/deployment/api'] },
    patch: (b) => {
      b.remove('gcp/resources/acme-shop-assets.json');
      b.edit('gcp/cluster.json', (c: any) => {
        delete c.workloadIdentityConfig;
      });
    },
    expect: { status: 'skip', cause: /no workload pool \(see cluster-workload-pool\)/ },
  },
]);
