// Renderers for cluster and node-pool settings of GKE.

import type { FixPlan } from '../../model/results.js';
import { attr, block, comment, renderHcl } from './hcl.js';
import { flag, shellArg } from './shell.js';
import { parseCluster } from './targets.js';
import { param } from './types.js';
import type { Rendered } from './types.js';

export function enableWorkloadIdentity(plan: FixPlan): Rendered {
  const c = parseCluster(plan.action, plan.target, false);
  const pool = param(plan, 'workloadPool');
  return {
    gcloud: [
      `gcloud container clusters update ${shellArg(c.cluster)}`,
      flag('location', c.location),
      flag('project', c.project),
      flag('workload-pool', pool),
    ].join(' '),
    kubectl: null,
    terraform: renderHcl([
      comment(
        `Inside resource "google_container_cluster" for cluster ${c.cluster} (project ${c.project}, location ${c.location}):`,
      ),
      block('workload_identity_config', [], [attr('workload_pool', pool)]),
    ]),
    note: `Node pools created before the change keep their metadata mode: update each to GKE_METADATA too.`,
  };
}

export function setNodePoolMetadata(plan: FixPlan): Rendered {
  const c = parseCluster(plan.action, plan.target, true);
  const mode = param(plan, 'mode');
  const nodePool = c.nodePool ?? '';
  return {
    gcloud: [
      `gcloud container node-pools update ${shellArg(nodePool)}`,
      flag('cluster', c.cluster),
      flag('location', c.location),
      flag('project', c.project),
      flag('workload-metadata', mode),
    ].join(' '),
    kubectl: null,
    terraform: renderHcl([
      comment(
        `Inside resource "google_container_node_pool" for node pool ${nodePool} of cluster ${c.cluster} (project ${c.project}, location ${c.location}):`,
      ),
      block('node_config', [], [block('workload_metadata_config', [], [attr('mode', mode)])]),
    ]),
  };
}
