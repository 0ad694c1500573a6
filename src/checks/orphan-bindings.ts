// A Workload Identity member in a GSA policy whose namespace/KSA no longer exists keeps a door open: whoever
// creates that namespace and KSA later, in any cluster of the pool, inherits the grant. Warn for each such member.
// The KSAs of this cluster are known; when other clusters share the pool, a KSA missing here may live there, so
// those members are unknown rather than orphans. `deleted:` members are wi-binding-stale's concern.

import { need } from '../model/facts.js';
import type { Namespace, ServiceAccountObject } from '../model/k8s/types.js';
import { projectOfPool, tryParseMember } from '../model/identifiers.js';
import type { FixPlan } from '../model/results.js';
import { defineCheck } from './define.js';
import { clusterPool, ksaIndex, missingGsaOutcome, poolMember } from './lib/audit.js';
import { serviceAccountResource } from './lib/gsa.js';

interface Orphan {
  role: string;
  member: string;
  what: string;
}

export default defineCheck({
  id: 'orphan-bindings',
  title: 'Every Workload Identity member of the GSA policies names a KSA that exists',
  failureTitle: 'A GSA policy names a namespace/KSA that no longer exists',
  group: 'audit',
  scope: 'gsa',
  chainOrder: 908,
  includeBoundOnlyGsas: true,
  requires: [
    'serviceAccountPolicy',
    'serviceAccount',
    'cluster',
    'projectClusters',
    'k8s:serviceaccounts',
    'k8s:namespaces',
  ],
  run({ facts, target }) {
    const gsa = target.email;
    const missing = missingGsaOutcome(facts, gsa);
    if (missing) return missing;
    const pool = clusterPool(facts);
    if (pool === undefined) {
      need(facts.cluster);
      return { status: 'skip', cause: 'the cluster has no workload pool (see cluster-workload-pool)' };
    }
    const policy = need(facts.serviceAccountPolicy(gsa));
    const ksas = need(facts.k8s.list<ServiceAccountObject>('serviceaccounts'));
    const { names, uids, namespaces: ofKsas } = ksaIndex(ksas);
    const namespacesFact = facts.k8s.list<Namespace>('namespaces');
    const namespaces =
      namespacesFact.status === 'present' ? new Set(namespacesFact.value.map((n) => n.metadata.name)) : ofKsas;

    const orphans: Orphan[] = [];
    for (const binding of policy.bindings ?? []) {
      for (const raw of binding.members ?? []) {
        const parsed = tryParseMember(raw);
        const wi = parsed.ok ? poolMember(parsed.member, pool) : undefined;
        if (wi?.kind === 'ksa' && !names.has(`${wi.namespace}/${wi.ksa}`)) {
          orphans.push({ role: binding.role, member: raw, what: `KSA \`${wi.namespace}/${wi.ksa}\`` });
        } else if (wi?.kind === 'ksa-uid' && !uids.has(wi.uid)) {
          orphans.push({ role: binding.role, member: raw, what: `the KSA with uid \`${wi.uid}\`` });
        } else if (wi?.kind === 'namespace' && !namespaces.has(wi.namespace)) {
          orphans.push({ role: binding.role, member: raw, what: `namespace \`${wi.namespace}\`` });
        }
      }
    }
    if (orphans.length === 0) {
      return {
        status: 'pass',
        cause: `every KSA and namespace of pool \`${pool}\` named by GSA \`${gsa}\`'s policy exists`,
      };
    }
    // A pool shared with other clusters: what is missing here may exist there.
    const poolProject = projectOfPool(pool) ?? facts.clusterRef.project;
    const self = facts.clusterRef;
    const others = facts.projectClusters(poolProject);
    const sharing =
      others.status === 'present'
        ? others.value.filter(
            (c) =>
              c.workloadIdentityConfig?.workloadPool === pool &&
              !(c.name === self.name && (c.location ?? c.zone) === self.location),
          )
        : undefined;
    const listed = orphans.map((o) => ({ role: o.role, member: o.member }));
    if (sharing === undefined || sharing.length > 0) {
      const why =
        sharing === undefined
          ? `whether other clusters share pool \`${pool}\` is unknown (${others.status === 'present' ? '' : others.message})`
          : `clusters ${sharing.map((c) => `\`${c.name}\``).join(', ')} share pool \`${pool}\` and were not read`;
      return {
        status: 'unknown',
        cause: `GSA \`${gsa}\`'s policy names ${orphans.map((o) => o.what).join(', ')}, missing from this cluster; ${why}`,
        evidence: { actual: listed },
        missing: [
          sharing === undefined
            ? `gcp/projects/${poolProject}.clusters.json (gcloud container clusters list --project ${poolProject} --format=json)`
            : 'a bundle of each cluster that shares the pool (wi-doctor collect --audit)',
        ],
      };
    }
    const fix: FixPlan[] = orphans.map((o) => ({
      action: 'remove-iam-member',
      target: serviceAccountResource(gsa),
      params: { role: o.role, member: o.member },
      description: `Remove \`${o.role}\` from \`${o.member}\` on \`${gsa}\`: ${o.what} no longer exists.`,
    }));
    return {
      status: 'warn',
      cause:
        `GSA \`${gsa}\`'s policy still names ${orphans.map((o) => o.what).join(', ')}, which no longer exist${orphans.length === 1 ? 's' : ''} in any cluster of pool \`${pool}\`: ` +
        'whoever creates it again inherits the grant',
      evidence: { expected: 'members for existing KSAs only', actual: listed },
      fix,
      location: `//iam.googleapis.com/projects/-/serviceAccounts/${gsa}`,
    };
  },
});
