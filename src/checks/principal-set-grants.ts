// A `principalSet://` grant names every KSA of a namespace, or of a cluster, of the cluster's pool: any pod that
// anyone starts there, under any KSA, gets the role. Convenient, and broad: warn, and name each grant. Searched in
// every collected policy (service accounts, projects, resources, folders, organization).

import { tryParseMember } from '../model/identifiers.js';
import type { FixPlan } from '../model/results.js';
import { defineCheck } from './define.js';
import { clusterPool, conditionText, grantsIn, poolMember } from './lib/audit.js';
import { policyCollectHint } from './lib/collect-hints.js';
import { collectedPolicies } from './lib/gsa.js';

export default defineCheck({
  id: 'principal-set-grants',
  title: 'No grant names every KSA of a namespace or cluster',
  failureTitle: 'A grant names every KSA of a namespace or of a cluster (principalSet)',
  group: 'audit',
  scope: 'cluster',
  chainOrder: 907,
  requires: ['cluster', 'projectPolicy', 'serviceAccountPolicy', 'resourcePolicies', 'ancestorPolicies'],
  run({ facts }) {
    const pool = clusterPool(facts);
    if (pool === undefined) {
      if (facts.cluster.status !== 'present') {
        return {
          status: 'unknown',
          cause: `the cluster could not be read (${facts.cluster.message}), so its pool is unknown`,
          missing: [facts.cluster.source],
        };
      }
      return { status: 'skip', cause: 'the cluster has no workload pool (see cluster-workload-pool)' };
    }
    const found: { resource: string; role: string; member: string; covers: string; condition?: string }[] = [];
    const unreadable: string[] = [];
    for (const p of collectedPolicies(facts)) {
      if (p.policy.status !== 'present') {
        unreadable.push(p.resource);
        continue;
      }
      for (const g of grantsIn(p.resource, p.level, p.policy.value)) {
        if (!g.member.startsWith('principalSet://')) continue;
        const parsed = tryParseMember(g.member);
        const wi = parsed.ok ? poolMember(parsed.member, pool) : undefined;
        if (wi === undefined || wi.kind === 'ksa' || wi.kind === 'ksa-uid') continue;
        const covers =
          wi.kind === 'namespace'
            ? `every KSA of namespace \`${wi.namespace}\``
            : wi.kind === 'cluster'
              ? `every KSA of cluster \`${wi.clusterUrl}\``
              : `a set of pool \`${pool}\``;
        found.push({
          resource: g.resource,
          role: g.role,
          member: g.member,
          covers,
          ...(g.condition ? { condition: conditionText(g.condition).trim() } : {}),
        });
      }
    }
    if (found.length === 0) {
      if (unreadable.length > 0) {
        return {
          status: 'unknown',
          cause: `no principalSet grant of pool \`${pool}\` in the readable policies, but ${unreadable.length} polic${unreadable.length === 1 ? 'y was' : 'ies were'} not readable`,
          evidence: { notes: unreadable.map((r) => `not readable: \`${r}\``) },
          missing: unreadable.map(policyCollectHint),
        };
      }
      return {
        status: 'pass',
        cause: `no collected policy grants a role to a namespace or cluster principalSet of pool \`${pool}\``,
      };
    }
    const fix: FixPlan[] = found.map((f) => ({
      action: 'remove-iam-member',
      target: f.resource,
      params: { role: f.role, member: f.member },
      description: `Grant \`${f.role}\` to the KSAs that need it (one \`principal://…/subject/ns/NS/sa/KSA\` member each), then remove it from \`${f.member}\` on \`${f.resource}\`.`,
    }));
    const [first] = found;
    if (first === undefined) throw new Error('findings without a first one');
    return {
      status: 'warn',
      cause:
        `\`${first.role}\` on \`${first.resource}\` is granted to ${first.covers}: any pod there, under any KSA, gets it` +
        (found.length > 1 ? ` (and ${found.length - 1} more principalSet grant${found.length === 2 ? '' : 's'})` : ''),
      evidence: {
        expected: 'grants to named KSAs (principal://…/subject/ns/NS/sa/KSA or serviceAccount:POOL[NS/KSA])',
        actual: found.map((f) => ({ resource: f.resource, role: f.role, member: f.member })),
        notes: [
          ...found.filter((f) => f.condition !== undefined).map((f) => `\`${f.member}\`: ${f.condition ?? ''}`),
          ...unreadable.map((r) => `not readable: \`${r}\``),
        ],
      },
      fix,
    };
  },
});
