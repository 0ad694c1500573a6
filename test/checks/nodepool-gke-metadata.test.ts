import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import check from '../../src/checks/nodepool-gke-metadata.js';

const CLUSTER = 'gcp/cluster.json';
const POOLS = 'projects/acme-shop/locations/europe-west1/clusters/prod/nodePools';
const DEFAULT_POOL = `${POOLS}/default-pool`;
const NODE = 'gke-prod-default-pool-1a2b3c4d-x1y2';

const setConfig = (wmc: unknown) => (c: any) => {
  const pool = c.nodePools.find((p: any) => p.name === 'default-pool');
  if (wmc === undefined) delete pool.config.workloadMetadataConfig;
  else pool.config.workloadMetadataConfig = wmc;
};

describeCheck(check, [
  {
    name: 'GKE_METADATA with labelled nodes passes',
    expect: { status: 'pass', subject: DEFAULT_POOL, cause: /`default-pool` runs the GKE metadata server.*all 3/ },
  },
  {
    name: 'only the pools that run the subject pods are checked',
    subject: { ksa: ['shop/cart'] },
    expect: (results) => expect(results.map((r) => r.subject)).toEqual([DEFAULT_POOL]),
  },
  {
    name: 'workloadMetadataConfig absent fails with set-node-pool-metadata',
    patch: (b) => b.edit(CLUSTER, setConfig(undefined)),
    expect: {
      status: 'fail',
      subject: DEFAULT_POOL,
      cause: /no workloadMetadataConfig.*node’s identity/,
      fix: ['set-node-pool-metadata'],
    },
  },
  {
    name: 'legacy concealment {} fails',
    patch: (b) => b.edit(CLUSTER, setConfig({})),
    expect: { status: 'fail', subject: DEFAULT_POOL, cause: /concealment/, fix: ['set-node-pool-metadata'] },
  },
  {
    name: 'MODE_UNSPECIFIED fails',
    patch: (b) => b.edit(CLUSTER, setConfig({ mode: 'MODE_UNSPECIFIED' })),
    expect: { status: 'fail', subject: DEFAULT_POOL, cause: /MODE_UNSPECIFIED/, fix: ['set-node-pool-metadata'] },
  },
  {
    name: 'GCE_METADATA fails and the fix targets the pool with GKE_METADATA',
    patch: (b) => b.edit(CLUSTER, setConfig({ mode: 'GCE_METADATA' })),
    expect: (results) => {
      const r = results.find((x) => x.subject === DEFAULT_POOL)!;
      expect(r.status).toBe('fail');
      expect(r.cause).toMatch(/GCE_METADATA/);
      expect(r.evidence?.actual).toEqual({ workloadMetadataConfig: { mode: 'GCE_METADATA' } });
      expect(r.fix[0]).toMatchObject({
        action: 'set-node-pool-metadata',
        target: DEFAULT_POOL,
        params: { mode: 'GKE_METADATA' },
      });
    },
  },
  {
    name: 'Autopilot is skipped',
    patch: (b) =>
      b.edit(CLUSTER, (c: any) => {
        c.autopilot = { enabled: true };
        c.nodePools[0].config.workloadMetadataConfig = { mode: 'GCE_METADATA' };
      }),
    expect: { status: 'skip', subject: DEFAULT_POOL, cause: /Autopilot/ },
  },
  {
    name: 'a pool that the cluster does not list is unknown',
    patch: (b) =>
      b.k8s('nodes', undefined, NODE, (n: any) => {
        n.metadata.labels['cloud.google.com/gke-nodepool'] = 'old-pool';
      }),
    subject: { ksa: ['shop/cart'] },
    expect: { status: 'unknown', subject: `${POOLS}/old-pool`, cause: /`old-pool` is not among the node pools/ },
  },
  {
    name: 'a GKE_METADATA pool whose node lacks the label warns',
    patch: (b) =>
      b.k8s('nodes', undefined, NODE, (n: any) => {
        delete n.metadata.labels['iam.gke.io/gke-metadata-server-enabled'];
      }),
    expect: {
      status: 'warn',
      subject: DEFAULT_POOL,
      cause: new RegExp(`1 of its 3 nodes lack.*\`${NODE}\``),
      fix: ['manual'],
    },
  },
  {
    // The nodes' labels could turn the pass into a warning: without them the check cannot pass (the engine's
    // rule: a check that read a fact it could not read is never a pass). It says what it would have said.
    name: 'nodes not collected is unknown, saying the mode is right',
    patch: (b) => {
      b.remove('k8s/nodes.json');
      b.manifest.k8sKinds = b.manifest.k8sKinds!.filter((k: string) => k !== 'nodes');
    },
    expect: (results) => {
      for (const r of results) {
        expect(r.status).toBe('unknown');
        expect(r.cause).toMatch(/k8s:nodes.*not collected.*mode GKE_METADATA/);
        expect(r.missing?.join('\n')).toMatch(/kubectl get nodes/);
      }
    },
  },
  {
    name: 'cluster not readable is unknown',
    patch: (b) => b.error(CLUSTER, '403 PERMISSION_DENIED: container.clusters.get'),
    expect: (results) => {
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) expect(r.status).toBe('unknown');
    },
  },
]);
