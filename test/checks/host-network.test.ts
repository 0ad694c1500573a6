import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/host-network.js';

const CART = { ksa: ['shop/cart'] };
const CART_POD = 'cart-7d9f8b6c5d-abcde';
const hostNetwork = (b: BundleEditor): void =>
  b.k8s('pods', 'shop', CART_POD, (p: any) => {
    p.spec.hostNetwork = true;
  });

describeCheck(check, [
  {
    name: 'pods without hostNetwork pass',
    subject: CART,
    expect: { status: 'pass', cause: /pod `shop\/cart-7d9f8b6c5d-abcde` does not use hostNetwork/ },
  },
  {
    name: 'a hostNetwork pod fails and names the node identity',
    subject: CART,
    patch: hostNetwork,
    expect: {
      status: 'fail',
      cause:
        /hostNetwork: true.*node's identity `gke-nodes@acme-shop\.iam\.gserviceaccount\.com` instead of `cart@acme-shop\.iam\.gserviceaccount\.com`/,
      fix: ['unset-host-network'],
    },
  },
  {
    name: 'the fix targets the owning Deployment',
    subject: CART,
    patch: hostNetwork,
    expect: (results) => {
      expect(results[0]!.fix[0]).toMatchObject({
        action: 'unset-host-network',
        target: 'namespaces/shop/deployments/cart',
      });
    },
  },
  {
    name: 'a node pool on the default service account names the Compute default account',
    subject: CART,
    patch: (b) => {
      hostNetwork(b);
      b.edit('gcp/cluster.json', (c: any) => {
        c.nodePools.find((p: any) => p.name === 'default-pool').config.serviceAccount = 'default';
      });
    },
    expect: { status: 'fail', cause: /`123456789012-compute@developer\.gserviceaccount\.com`/ },
  },
  {
    name: 'without the cluster the node identity is described, not named',
    subject: CART,
    patch: (b) => {
      hostNetwork(b);
      b.remove('gcp/cluster.json');
    },
    expect: { status: 'fail', cause: /the node pool's service account/ },
  },
  {
    name: 'a hostNetwork template of a workload with no pods fails',
    subject: { workload: ['shop/deployment/cart'] },
    patch: (b) => {
      b.removeK8s('pods', 'shop', CART_POD);
      b.k8s('deployments', 'shop', 'cart', (d: any) => {
        d.spec.template.spec.hostNetwork = true;
      });
    },
    expect: { status: 'fail', cause: /the pod template of `shop\/deployment\/cart` runs with hostNetwork/ },
  },
  {
    name: 'pods unreadable is unknown',
    subject: CART,
    patch: (b) => {
      b.remove('k8s/pods.json');
      b.error('k8s:pods', '403 Forbidden: pods is forbidden');
    },
    expect: { status: 'unknown' },
  },
]);
