import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/metadata-server-healthy.js';

// shop/cart's pod runs on this node, served by this metadata server pod.
const NODE = 'gke-prod-default-pool-1a2b3c4d-x1y2';
const SERVER = 'gke-metadata-server-2fk8q';
const CART = { ksa: ['shop/cart'] };

const editServer =
  (fn: (pod: any) => void) =>
  (b: BundleEditor): void =>
    b.k8s('pods', 'kube-system', SERVER, fn);

/** The pod's node lost the metadata-server label, and no metadata server pod runs there. */
function unlabel(b: BundleEditor): void {
  b.removeK8s('pods', 'kube-system', SERVER);
  b.k8s('nodes', undefined, NODE, (n: any) => {
    delete n.metadata.labels['iam.gke.io/gke-metadata-server-enabled'];
  });
}

describeCheck(check, [
  {
    name: 'a Ready metadata server on the pod node passes',
    subject: CART,
    expect: { status: 'pass', cause: new RegExp(`Ready on the node.*\`${NODE}\``) },
  },
  {
    name: 'no metadata server pod on the node fails',
    subject: CART,
    patch: (b) => b.removeK8s('pods', 'kube-system', SERVER),
    expect: {
      status: 'fail',
      cause: new RegExp(`no \`gke-metadata-server\` pod is scheduled on node \`${NODE}\``),
      fix: ['manual'],
    },
  },
  {
    name: 'a node without the label in a pool that is not GKE_METADATA: switch the pool',
    subject: CART,
    patch: (b) => {
      unlabel(b);
      b.edit('gcp/cluster.json', (c: any) => {
        c.nodePools.find((p: any) => p.name === 'default-pool').config.workloadMetadataConfig = {
          mode: 'GCE_METADATA',
        };
      });
    },
    expect: (results) => {
      expect(results).toHaveLength(1);
      const r = results[0]!;
      expect(r.status).toBe('fail');
      expect(r.cause).toMatch(
        /lacks the `iam\.gke\.io\/gke-metadata-server-enabled: "true"` label \(node pool `default-pool` is not, or not yet/,
      );
      expect(r.fix[0]).toMatchObject({
        action: 'set-node-pool-metadata',
        target: 'projects/acme-shop/locations/europe-west1/clusters/prod/nodePools/default-pool',
      });
    },
  },
  {
    name: 'a node without the label in a GKE_METADATA pool: recreate the node (switching the mode changes nothing)',
    subject: CART,
    patch: unlabel,
    expect: (results) => {
      expect(results).toHaveLength(1);
      const r = results[0]!;
      expect(r.status).toBe('fail');
      expect(r.cause).toMatch(/although node pool `default-pool` is GKE_METADATA \(the node was not recreated/);
      expect(r.fix[0]).toMatchObject({ action: 'manual', target: expect.stringMatching(/nodePools\/default-pool$/) });
      expect(r.fix[0]?.description).toMatch(/^Recreate node `gke-prod-default-pool-1a2b3c4d-x1y2`/);
    },
  },
  {
    name: 'a metadata server pod that is not Ready fails',
    subject: CART,
    patch: editServer((p) => {
      for (const c of p.status.conditions as { type: string; status: string }[]) {
        if (c.type === 'Ready') c.status = 'False';
      }
    }),
    expect: { status: 'fail', cause: /not Ready/ },
  },
  {
    name: 'CrashLoopBackOff fails and names the last termination',
    subject: CART,
    patch: editServer((p) => {
      p.status.containerStatuses[0].state = { waiting: { reason: 'CrashLoopBackOff' } };
      p.status.containerStatuses[0].lastState = { terminated: { reason: 'OOMKilled', exitCode: 137 } };
      p.status.containerStatuses[0].restartCount = 14;
    }),
    expect: { status: 'fail', cause: /CrashLoopBackOff \(14 restarts, last terminated: OOMKilled\)/ },
  },
  {
    name: 'a container terminated with OOMKilled fails',
    subject: CART,
    patch: editServer((p) => {
      p.status.containerStatuses[0].state = { terminated: { reason: 'OOMKilled', exitCode: 137 } };
    }),
    expect: { status: 'fail', cause: /OOMKilled/ },
  },
  {
    name: 'a Ready server that was OOMKilled before warns',
    subject: CART,
    patch: editServer((p) => {
      p.status.containerStatuses[0].lastState = { terminated: { reason: 'OOMKilled', exitCode: 137 } };
      p.status.containerStatuses[0].restartCount = 2;
    }),
    expect: { status: 'warn', cause: /OOMKilled before \(2 restarts\)/ },
  },
  {
    name: 'a broken server on another node does not affect the subject',
    subject: CART,
    patch: (b) => b.removeK8s('pods', 'kube-system', 'gke-metadata-server-m6tpl'),
    expect: { status: 'pass' },
  },
  {
    name: 'more than 3,000 KSAs warns about OOM',
    subject: CART,
    patch: (b) => {
      for (let i = 0; i < 3000; i++) {
        b.addK8s({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `bulk-${i}`, namespace: 'bulk' } });
      }
    },
    expect: { status: 'warn', cause: /\d{4} Kubernetes service accounts \(more than 3,000\)/, fix: ['manual'] },
  },
  {
    name: 'the DaemonSet absent fails',
    subject: CART,
    patch: (b) => b.removeK8s('daemonsets', 'kube-system', 'gke-metadata-server'),
    expect: { status: 'fail', cause: /does not exist/ },
  },
  {
    name: 'daemonsets unreadable is unknown',
    subject: CART,
    patch: (b) => {
      b.remove('k8s/daemonsets.json');
      b.error('k8s:daemonsets', '403 Forbidden: daemonsets.apps is forbidden');
    },
    expect: { status: 'unknown', cause: /403/ },
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
