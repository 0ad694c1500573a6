import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/network-policy-metadata.js';

const CART = { ksa: ['shop/cart'] };

function policy(name: string, egress: unknown[] | undefined, podSelector: unknown = {}) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'shop' },
    spec: { podSelector, policyTypes: ['Egress'], ...(egress !== undefined ? { egress } : {}) },
  };
}

const denyAll = (b: BundleEditor) => b.addK8s(policy('default-deny-egress', undefined));
const allow = (cidr: string, port: number) => (b: BundleEditor) =>
  b.addK8s(
    policy('allow-metadata', [{ to: [{ ipBlock: { cidr } }], ports: [{ protocol: 'TCP', port }] }], {
      matchLabels: { app: 'cart' },
    }),
  );
const legacyEnforced = (b: BundleEditor) =>
  b.edit('gcp/cluster.json', (c: any) => {
    c.networkConfig.datapathProvider = 'LEGACY_DATAPATH';
    c.networkPolicy = { provider: 'CALICO', enabled: true };
  });
const legacyNotEnforced = (b: BundleEditor) =>
  b.edit('gcp/cluster.json', (c: any) => {
    delete c.networkConfig.datapathProvider;
    delete c.networkPolicy;
  });

/** A second pod of shop/cart (same KSA) with its own labels: a canary, or a pod of another template revision. */
function cartPod(name: string, labels: Record<string, string>) {
  return (b: BundleEditor) =>
    b.addK8s({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'shop', labels },
      spec: {
        serviceAccountName: 'cart',
        nodeName: 'gke-prod-default-pool-1a2b3c4d-x1y2',
        containers: [{ name: 'app' }],
      },
      status: { phase: 'Running' },
    } as never);
}

/** Egress denied only to pods labelled track=canary. */
const denyCanary = (b: BundleEditor) =>
  b.addK8s(policy('deny-canary-egress', undefined, { matchLabels: { track: 'canary' } }));

describeCheck(check, [
  {
    name: 'Dataplane V2 with no egress policy passes',
    subject: CART,
    expect: { status: 'pass', cause: /enforced \(Dataplane V2.*169\.254\.169\.254:80/ },
  },
  {
    name: 'a default-deny egress policy on Dataplane V2 fails with allow-metadata-egress',
    subject: CART,
    patch: denyAll,
    expect: {
      status: 'fail',
      cause:
        /block pod `shop\/cart-7d9f8b6c5d-abcde` from the GKE metadata server at 169\.254\.169\.254:80 \(Dataplane V2\)/,
      fix: ['allow-metadata-egress'],
      evidence: (e) =>
        expect(JSON.stringify(e.actual)).toMatch(/shop\/default-deny-egress selects the pod and allows no egress/),
    },
  },
  {
    name: 'the fix allows the datapath port for the pod labels without the template hash',
    subject: CART,
    patch: denyAll,
    expect: (results) => {
      expect(results[0]!.fix[0]).toMatchObject({
        action: 'allow-metadata-egress',
        target: 'namespaces/shop/networkpolicies/allow-gke-metadata-server-cart',
        params: {
          cidr: '169.254.169.254/32',
          port: '80',
          podSelector: JSON.stringify({ matchLabels: { app: 'cart' } }),
        },
      });
    },
  },
  {
    name: 'an egress rule to 169.254.169.254/32 port 80 passes on Dataplane V2',
    subject: CART,
    patch: (b) => {
      denyAll(b);
      allow('169.254.169.254/32', 80)(b);
    },
    expect: {
      status: 'pass',
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/allowed by `shop\/allow-metadata` egress\[0\]/),
    },
  },
  {
    name: 'an ipBlock that excepts the link-local range fails',
    subject: CART,
    patch: (b) =>
      b.addK8s(policy('internet-only', [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } }] }])),
    expect: { status: 'fail', fix: ['allow-metadata-egress'] },
  },
  {
    name: 'on the legacy datapath with Calico, allowing only 169.254.169.254:80 fails (988 is needed)',
    subject: CART,
    patch: (b) => {
      legacyEnforced(b);
      denyAll(b);
      allow('169.254.169.254/32', 80)(b);
    },
    expect: (results) => {
      const r = results[0]!;
      expect(r.status).toBe('fail');
      expect(r.cause).toMatch(/169\.254\.169\.252:988 \(the legacy datapath\)/);
      expect(r.fix[0]!.params).toMatchObject({ cidr: '169.254.169.252/32', port: '988' });
    },
  },
  {
    name: 'on the legacy datapath with Calico, allowing 169.254.169.252:988 passes',
    subject: CART,
    patch: (b) => {
      legacyEnforced(b);
      denyAll(b);
      allow('169.254.169.252/32', 988)(b);
    },
    expect: { status: 'pass' },
  },
  {
    name: 'policies present but not enforced pass with a note',
    subject: CART,
    patch: (b) => {
      legacyNotEnforced(b);
      denyAll(b);
    },
    expect: {
      status: 'pass',
      cause: /does not enforce NetworkPolicy/,
      evidence: (e) =>
        expect(e.notes?.join('\n')).toMatch(/1 NetworkPolicies exist in namespace `shop` but are not enforced/),
    },
  },
  {
    name: 'network policies not collected where enforced is unknown',
    subject: CART,
    patch: (b) => {
      b.remove('k8s/networkpolicies.json');
      b.manifest.k8sKinds = b.manifest.k8sKinds!.filter((k: string) => k !== 'networkpolicies');
    },
    expect: { status: 'unknown' },
  },
  {
    name: 'cluster not collected is unknown',
    subject: CART,
    patch: (b) => b.remove('gcp/cluster.json'),
    expect: { status: 'unknown' },
  },

  // ---- a subject whose pods carry different label sets: each distinct set is evaluated
  {
    name: 'pods with different label sets: a policy that blocks only the second set still fails, naming that pod',
    subject: CART,
    patch: (b) => {
      cartPod('cart-canary-1', { app: 'cart', track: 'canary' })(b);
      denyCanary(b);
    },
    expect: {
      status: 'fail',
      cause: /block pod `shop\/cart-canary-1` from the GKE metadata server/,
      evidence: (e) => {
        // The stable pod was evaluated too, and is allowed.
        expect(e.notes?.join('\n')).toMatch(/pod `shop\/cart-7d9f8b6c5d-abcde`: no egress policy selects it/);
        expect(JSON.stringify(e.actual)).not.toMatch(/cart-7d9f8b6c5d-abcde/);
      },
    },
  },
  {
    name: 'pods with different label sets: the fix selects the blocked set by its stable labels',
    subject: CART,
    patch: (b) => {
      cartPod('cart-canary-1', { app: 'cart', track: 'canary', 'pod-template-hash': '5f5f5f5f5f' })(b);
      denyCanary(b);
    },
    expect: (results) => {
      expect(results).toHaveLength(1);
      expect(results[0]!.fix).toHaveLength(1);
      expect(JSON.parse(results[0]!.fix[0]!.params.podSelector ?? '{}')).toEqual({
        matchLabels: { app: 'cart', track: 'canary' },
      });
    },
  },
  {
    name: 'pods that differ only in volatile labels (template hash) are evaluated once',
    subject: CART,
    patch: (b) => {
      cartPod('cart-5f5f5f5f5f-zzzzz', { app: 'cart', 'pod-template-hash': '5f5f5f5f5f' })(b);
      denyAll(b);
    },
    expect: {
      status: 'fail',
      evidence: (e) => {
        // One label set, one explanation: the second pod adds nothing once its stable labels are the same.
        expect((e.actual as string[]).filter((line) => line.includes('default-deny-egress'))).toHaveLength(1);
      },
    },
  },
  {
    name: 'every blocked label set gets its own fix, each a NetworkPolicy of its own name',
    subject: CART,
    patch: (b) => {
      cartPod('cart-canary-1', { app: 'cart', track: 'canary' })(b);
      denyAll(b);
    },
    expect: (results) => {
      expect(results[0]!.status).toBe('fail');
      const fixes = results[0]!.fix.map((f) => ({
        target: f.target,
        selector: JSON.parse(f.params.podSelector ?? '{}') as unknown,
      }));
      expect(fixes).toHaveLength(2);
      expect(new Set(fixes.map((f) => f.target)).size).toBe(2);
      expect(fixes.map((f) => f.selector)).toEqual(
        expect.arrayContaining([{ matchLabels: { app: 'cart' } }, { matchLabels: { app: 'cart', track: 'canary' } }]),
      );
    },
  },
  // ---- hostNetwork pods do not go through the pod network
  {
    name: 'a hostNetwork workload is skipped: its requests never reach the GKE metadata server',
    subject: CART,
    patch: (b) => {
      denyAll(b);
      b.k8s('pods', 'shop', 'cart-7d9f8b6c5d-abcde', (p: any) => {
        p.spec.hostNetwork = true;
      });
    },
    expect: { status: 'skip', cause: /uses hostNetwork.*\(see host-network\)/ },
  },
  {
    name: 'a hostNetwork pod beside a pod-network pod: only the pod-network pod is evaluated',
    subject: CART,
    patch: (b) => {
      cartPod('cart-canary-1', { app: 'cart', track: 'canary' })(b);
      b.k8s('pods', 'shop', 'cart-7d9f8b6c5d-abcde', (p: any) => {
        p.spec.hostNetwork = true;
      });
      b.addK8s(policy('deny-stable-egress', undefined, { matchLabels: { app: 'cart' } }));
    },
    expect: {
      status: 'fail',
      cause: /block pod `shop\/cart-canary-1`/,
      evidence: (e) => expect(JSON.stringify(e.actual)).not.toMatch(/cart-7d9f8b6c5d-abcde/),
    },
  },
  // ---- pods on a node without the GKE metadata server ask the node's metadata server: not this check's path
  {
    name: 'a pod on a node without the metadata-server label is not evaluated: its node is the problem',
    subject: CART,
    patch: (b) => {
      denyAll(b);
      b.k8s('nodes', undefined, 'gke-prod-default-pool-1a2b3c4d-x1y2', (n: any) => {
        delete n.metadata.labels['iam.gke.io/gke-metadata-server-enabled'];
      });
    },
    expect: {
      status: 'skip',
      cause: /runs on a node without the GKE metadata server .*see nodepool-gke-metadata and metadata-server-healthy/,
    },
  },
  {
    name: 'a pod on an unlabelled node beside one on a served node: the served one is evaluated, the other noted',
    subject: CART,
    patch: (b) => {
      denyAll(b);
      b.addK8s({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'gke-prod-default-pool-old', labels: { 'cloud.google.com/gke-nodepool': 'default-pool' } },
      });
      b.addK8s({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'cart-old', namespace: 'shop', labels: { app: 'cart', track: 'old' } },
        spec: { serviceAccountName: 'cart', nodeName: 'gke-prod-default-pool-old', containers: [{ name: 'app' }] },
        status: { phase: 'Running' },
      } as never);
    },
    expect: {
      status: 'fail',
      cause: /block pod `shop\/cart-7d9f8b6c5d-abcde`/,
      evidence: (e) => {
        expect(JSON.stringify(e.actual)).not.toMatch(/cart-old/);
        expect(e.notes?.join('\n')).toMatch(
          /pod `shop\/cart-old` runs on node `gke-prod-default-pool-old`, which does not run the GKE metadata server/,
        );
      },
    },
  },
  {
    name: 'nodes that were not read: the pod is evaluated (never skipped on a guess)',
    subject: CART,
    patch: (b) => {
      denyAll(b);
      b.error('k8s:nodes', '403 Forbidden: nodes is forbidden');
    },
    expect: { status: 'fail' },
  },
]);
