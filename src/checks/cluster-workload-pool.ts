// Without `workloadIdentityConfig.workloadPool` the cluster has no Workload
// Identity at all and pods use the node's service account. The pool must be the cluster project's
// (`PROJECT_ID.svc.id.goog`) or, for a fleet member, the fleet host project's.

import { defineCheck } from './define.js';
import type { FixPlan } from '../model/results.js';
import type { CheckOutcome } from './define.js';
import type { ClusterRef, Facts } from '../model/facts.js';
import { clusterResourceName, need } from '../model/facts.js';
import { poolOf, projectOfPool } from '../model/identifiers.js';

function enableFix(cluster: ClusterRef): FixPlan {
  const workloadPool = poolOf(cluster.project);
  return {
    action: 'enable-workload-identity',
    target: clusterResourceName(cluster),
    params: { workloadPool },
    description: `Enable Workload Identity on cluster \`${cluster.name}\` with pool \`${workloadPool}\`.`,
  };
}

/**
 * Is `poolProject` the fleet host project? The API reports `fleet.project` as a project id or a project
 * number (sometimes as `projects/N`); a number is compared through the pool project's describe output.
 * Throws through `need` when only that output could tell.
 */
function isFleetHost(facts: Facts, fleetProject: string | undefined, poolProject: string): boolean {
  if (fleetProject === undefined || fleetProject === '') return false;
  const host = fleetProject.replace(/^projects\//, '');
  if (host === poolProject) return true;
  if (!/^\d+$/.test(host)) return false;
  return need(facts.project(poolProject)).projectNumber === host;
}

export default defineCheck({
  id: 'cluster-workload-pool',
  title: 'Workload Identity is enabled on the cluster with its project’s pool',
  failureTitle: 'Workload Identity is not enabled on the cluster, or uses a foreign pool',
  group: 'diagnose',
  scope: 'cluster',
  chainOrder: 20,
  requires: ['cluster', 'project'],
  run({ facts, target }): CheckOutcome {
    const ref = target.cluster;
    const cluster = need(facts.cluster);
    const expected = poolOf(ref.project);
    const pool = cluster.workloadIdentityConfig?.workloadPool;
    if (pool === undefined || pool === '') {
      return {
        status: 'fail',
        cause: `cluster \`${ref.name}\` has no workloadIdentityConfig, so pods get the node's service account instead of their own identity`,
        evidence: {
          expected: { workloadIdentityConfig: { workloadPool: expected } },
          actual: { workloadIdentityConfig: cluster.workloadIdentityConfig ?? null },
        },
        fix: [enableFix(ref)],
      };
    }
    if (pool === expected) {
      return { status: 'pass', cause: `cluster \`${ref.name}\` uses workload pool \`${pool}\`` };
    }
    const poolProject = projectOfPool(pool);
    const fleetProject = cluster.fleet?.project;
    if (poolProject !== undefined && isFleetHost(facts, fleetProject, poolProject)) {
      return {
        status: 'pass',
        cause: `cluster \`${ref.name}\` uses workload pool \`${pool}\` of its fleet host project \`${poolProject}\``,
        evidence: {
          expected,
          actual: pool,
          notes: [
            `the pool belongs to fleet host project \`${poolProject}\` (fleet.project ${fleetProject ?? ''}): IAM members must name \`${pool}\`, not \`${expected}\``,
            `every cluster of the fleet shares this pool: the same namespace/KSA name in any of them gets the same identity`,
          ],
        },
      };
    }
    const why =
      poolProject === undefined
        ? `\`${pool}\` is not a workload pool name (PROJECT_ID.svc.id.goog)`
        : `\`${pool}\` belongs to project \`${poolProject}\`, which is neither the cluster's project nor its fleet host project`;
    return {
      status: 'fail',
      cause: `cluster \`${ref.name}\` has workload pool \`${pool}\`, expected \`${expected}\`: ${why}`,
      evidence: {
        expected,
        actual: pool,
        notes: [`fleet.project: ${fleetProject ?? '(none)'}`],
      },
      fix: [enableFix(ref)],
    };
  },
});
