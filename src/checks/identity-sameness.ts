// The workload pool belongs to a project, not a cluster (FACTS §3): every cluster of that project (and of a fleet
// on it) shares it, so `ns/ksa` is the same principal in all of them. A grant meant for the `payments/api` of the
// production cluster also serves a `payments/api` someone creates in a test cluster of the same project. Warn and
// name the clusters that share the pool; a fleet may add clusters of other projects that no list here shows.

import { need } from '../model/facts.js';
import type { GkeCluster } from '../model/gcp.js';
import { projectOfPool } from '../model/identifiers.js';
import { defineCheck } from './define.js';

function nameOf(cluster: GkeCluster, project: string): string {
  const location = cluster.location ?? cluster.zone ?? '-';
  return `projects/${project}/locations/${location}/clusters/${cluster.name}`;
}

export default defineCheck({
  id: 'identity-sameness',
  title: 'The workload pool serves this cluster alone',
  failureTitle: 'Several clusters share the workload pool: the same namespace/KSA is the same identity in all of them',
  group: 'audit',
  scope: 'cluster',
  chainOrder: 906,
  requires: ['cluster', 'projectClusters'],
  run({ facts, target }) {
    const cluster = need(facts.cluster);
    const pool = cluster.workloadIdentityConfig?.workloadPool;
    if (pool === undefined || pool === '') {
      return { status: 'skip', cause: 'the cluster has no workload pool (see cluster-workload-pool)' };
    }
    const poolProject = projectOfPool(pool) ?? target.cluster.project;
    const self = `projects/${target.cluster.project}/locations/${target.cluster.location}/clusters/${target.cluster.name}`;
    const clusters = need(facts.projectClusters(poolProject));
    const sharing = clusters
      .filter((c) => c.workloadIdentityConfig?.workloadPool === pool)
      .map((c) => nameOf(c, poolProject))
      .filter((name) => name !== self)
      .sort();
    const fleet = cluster.fleet?.project;
    const notes =
      fleet !== undefined && fleet !== ''
        ? [
            `the cluster is a member of fleet \`${fleet}\`: member clusters in other projects that use pool \`${pool}\` share these identities and are not listed here`,
          ]
        : [];
    if (sharing.length === 0) {
      return {
        status: 'pass',
        cause: `no other cluster of project \`${poolProject}\` uses pool \`${pool}\``,
        ...(notes.length > 0 ? { evidence: { notes } } : {}),
      };
    }
    return {
      status: 'warn',
      cause: `pool \`${pool}\` is shared with ${sharing.length} other cluster${sharing.length === 1 ? '' : 's'} (${sharing.map((s) => `\`${s}\``).join(', ')}): a KSA with the same namespace and name there gets the same grants`,
      evidence: {
        expected: 'one cluster per pool, or namespaces whose names are controlled the same way in every cluster of it',
        actual: { pool, clusters: [self, ...sharing] },
        notes,
      },
      fix: [
        {
          action: 'manual',
          target: `projects/${poolProject}`,
          params: {},
          description: `Keep clusters that must not share identities in separate projects (one pool each), or make sure only the same team can create namespace \`NS\` in every cluster of pool \`${pool}\`.`,
        },
      ],
    };
  },
});
