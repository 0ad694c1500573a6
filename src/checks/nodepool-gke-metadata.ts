// Only node pools in GKE_METADATA mode run the GKE metadata server that
// hands pods their Workload Identity. Any other setting shows pods the Compute Engine metadata server (the
// node's identity) or, with the legacy `{}` concealment setting, rejects the request.

import { defineCheck } from './define.js';
import type { FixPlan } from '../model/results.js';
import type { CheckOutcome } from './define.js';
import { clusterResourceName, need } from '../model/facts.js';
import type { ClusterRef, Facts } from '../model/facts.js';
import type { NodePool } from '../model/gcp.js';
import { METADATA_SERVER_NODE_LABEL, NODE_POOL_LABEL } from '../model/k8s/types.js';
import type { Node } from '../model/k8s/types.js';

function setModeFix(cluster: ClusterRef, pool: string): FixPlan {
  return {
    action: 'set-node-pool-metadata',
    target: `${clusterResourceName(cluster)}/nodePools/${pool}`,
    params: { mode: 'GKE_METADATA' },
    description: `Switch node pool \`${pool}\` to the GKE metadata server (its nodes are recreated).`,
  };
}

/** Why a mode other than GKE_METADATA breaks Workload Identity, in the words a person needs. */
function modeProblem(config: NodePool['config']): { actual: unknown; why: string } | undefined {
  const wmc = config?.workloadMetadataConfig;
  if (wmc === undefined) {
    return {
      actual: { workloadMetadataConfig: null },
      why: 'it has no workloadMetadataConfig, so pods see the Compute Engine metadata server and get the node’s identity',
    };
  }
  const mode = wmc.mode;
  if (mode === undefined) {
    return {
      actual: { workloadMetadataConfig: {} },
      why: 'its workloadMetadataConfig is `{}`, the legacy metadata concealment setting, which is incompatible with Workload Identity',
    };
  }
  if (mode === 'GKE_METADATA') return undefined;
  if (mode === 'GCE_METADATA') {
    return {
      actual: { workloadMetadataConfig: { mode } },
      why: 'its mode is GCE_METADATA, so pods see the Compute Engine metadata server and get the node’s identity',
    };
  }
  return {
    actual: { workloadMetadataConfig: { mode } },
    why: `its mode is ${mode}, not GKE_METADATA, so the GKE metadata server does not run on its nodes`,
  };
}

/** Nodes of the pool that lack the metadata-server label (undefined when nodes were not read). */
function unlabelledNodes(facts: Facts, pool: string): { total: number; missing: string[] } | undefined {
  const nodes = facts.k8s.list<Node>('nodes');
  if (nodes.status !== 'present') return undefined;
  const ofPool = nodes.value.filter((n) => n.metadata.labels?.[NODE_POOL_LABEL] === pool);
  const missing = ofPool
    .filter((n) => n.metadata.labels?.[METADATA_SERVER_NODE_LABEL] !== 'true')
    .map((n) => n.metadata.name)
    .sort();
  return { total: ofPool.length, missing };
}

export default defineCheck({
  id: 'nodepool-gke-metadata',
  title: 'The node pool runs the GKE metadata server (GKE_METADATA)',
  failureTitle: 'The node pool does not run the GKE metadata server',
  group: 'diagnose',
  scope: 'nodePool',
  chainOrder: 30,
  requires: ['cluster', 'k8s:nodes'],
  run({ facts, target }): CheckOutcome {
    const cluster = need(facts.cluster);
    const poolName = target.nodePool;
    if (cluster.autopilot?.enabled === true) {
      return {
        status: 'skip',
        cause: `cluster \`${target.cluster.name}\` is Autopilot: GKE runs the metadata server on every node and node pools cannot be changed`,
      };
    }
    const pools = cluster.nodePools ?? [];
    const pool = pools.find((p) => p.name === poolName);
    if (pool === undefined) {
      return {
        status: 'unknown',
        cause: `node pool \`${poolName}\` is not among the node pools of cluster \`${target.cluster.name}\` that were read`,
        evidence: { expected: poolName, actual: pools.map((p) => p.name) },
        missing: [
          `the cluster's node pools: gcloud container node-pools list --cluster ${target.cluster.name} --location ${target.cluster.location} --project ${target.cluster.project} --format=json`,
        ],
      };
    }
    const problem = modeProblem(pool.config);
    if (problem !== undefined) {
      return {
        status: 'fail',
        cause: `node pool \`${poolName}\` does not run the GKE metadata server: ${problem.why}`,
        evidence: { expected: { workloadMetadataConfig: { mode: 'GKE_METADATA' } }, actual: problem.actual },
        fix: [setModeFix(target.cluster, poolName)],
      };
    }
    const labels = unlabelledNodes(facts, poolName);
    if (labels === undefined) {
      return {
        status: 'pass',
        cause: `node pool \`${poolName}\` runs the GKE metadata server (mode GKE_METADATA)`,
        evidence: {
          expected: 'GKE_METADATA',
          actual: 'GKE_METADATA',
          notes: [
            `nodes were not read: the \`${METADATA_SERVER_NODE_LABEL}\` label of the pool's nodes was not checked`,
          ],
        },
      };
    }
    if (labels.missing.length > 0) {
      // The pool is configured right but some nodes do not carry the label yet (typically a mode change whose
      // node recreation has not reached them). Pods there get no Workload Identity; metadata-server-healthy
      // fails for subjects whose pods run on them, so the pool itself only warns.
      return {
        status: 'warn',
        cause: `node pool \`${poolName}\` is GKE_METADATA but ${labels.missing.length} of its ${labels.total} nodes lack the \`${METADATA_SERVER_NODE_LABEL}: "true"\` label (${labels.missing.map((n) => `\`${n}\``).join(', ')}): pods scheduled there get no Workload Identity`,
        evidence: {
          expected: { [METADATA_SERVER_NODE_LABEL]: 'true' },
          actual: Object.fromEntries(labels.missing.map((n) => [n, '(label missing)'])),
          notes: [
            'the label is set when a node is created in GKE_METADATA mode; nodes without it were not recreated since the mode changed',
          ],
        },
        fix: [
          {
            action: 'manual',
            target: `${clusterResourceName(target.cluster)}/nodePools/${poolName}`,
            params: {},
            description: `Recreate the nodes of \`${poolName}\` that lack the label (e.g. let the node pool update finish, or drain and delete them): ${labels.missing.join(', ')}.`,
          },
        ],
      };
    }
    return {
      status: 'pass',
      cause: `node pool \`${poolName}\` runs the GKE metadata server (mode GKE_METADATA)${labels.total > 0 ? `, and ${labels.total === 1 ? 'its node carries' : `all ${labels.total} of its nodes carry`} the \`${METADATA_SERVER_NODE_LABEL}\` label` : ''}`,
      ...(labels.total === 0 ? { evidence: { notes: ['no node of the pool was among the nodes read'] } } : {}),
    };
  },
});
