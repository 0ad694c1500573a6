// One GSA bound to KSAs of several namespaces joins their blast radius: whoever can run a pod in any of those
// namespaces gets every permission the others need. Namespaces come from the annotations of the cluster's KSAs and
// from the Workload Identity members of the GSA's own policy (every pool member form, a namespace principalSet, a
// cluster principalSet that covers all namespaces). Several KSAs of one namespace are not a finding.

import { tryParseMember } from '../model/identifiers.js';
import type { ServiceAccountObject } from '../model/k8s/types.js';
import { defineCheck } from './define.js';
import { clusterPool, ksaIndex, missingGsaOutcome, poolMember } from './lib/audit.js';
import { policyCollectHint } from './lib/collect-hints.js';
import { listNames } from './lib/fixes.js';

export default defineCheck({
  id: 'gsa-shared',
  title: 'Each Workload Identity GSA serves one namespace',
  failureTitle: 'A GSA is bound to KSAs in several namespaces',
  group: 'audit',
  scope: 'gsa',
  chainOrder: 905,
  requires: ['serviceAccountPolicy', 'serviceAccount', 'cluster', 'k8s:serviceaccounts'],
  run({ facts, target }) {
    const gsa = target.email;
    const missing = missingGsaOutcome(facts, gsa);
    if (missing) return missing;
    const byNamespace = new Map<string, Set<string>>();
    const add = (namespace: string, why: string): void => {
      const set = byNamespace.get(namespace) ?? new Set<string>();
      set.add(why);
      byNamespace.set(namespace, set);
    };
    for (const ksa of target.ksas) add(ksa.split('/')[0] ?? ksa, `KSA \`${ksa}\` is annotated with it`);
    const pool = clusterPool(facts);
    const policy = facts.serviceAccountPolicy(gsa);
    const clusterWide: string[] = [];
    // A member naming a KSA or namespace that does not exist joins no blast radius yet: orphan-bindings reports it.
    const ksaList = facts.k8s.list<ServiceAccountObject>('serviceaccounts');
    const index = ksaList.status === 'present' ? ksaIndex(ksaList.value) : undefined;
    const existing = index?.names;
    const existingNamespaces = index?.namespaces;
    const absentMembers: string[] = [];
    if (policy.status === 'present' && pool !== undefined) {
      for (const binding of policy.value.bindings ?? []) {
        for (const raw of binding.members ?? []) {
          const parsed = tryParseMember(raw);
          const wi = parsed.ok ? poolMember(parsed.member, pool) : undefined;
          if (wi?.kind === 'ksa') {
            if (existing !== undefined && !existing.has(`${wi.namespace}/${wi.ksa}`)) absentMembers.push(raw);
            else add(wi.namespace, `\`${binding.role}\` to \`${raw}\``);
          } else if (wi?.kind === 'namespace') {
            if (existingNamespaces !== undefined && !existingNamespaces.has(wi.namespace)) absentMembers.push(raw);
            else add(wi.namespace, `\`${binding.role}\` to every KSA of the namespace`);
          } else if (wi?.kind === 'cluster' || wi?.kind === 'pool-set')
            clusterWide.push(`\`${binding.role}\` to \`${raw}\``);
        }
      }
    }
    const namespaces = [...byNamespace.keys()].sort();
    const absentNote =
      absentMembers.length > 0
        ? [
            `members for KSAs or namespaces that do not exist in this cluster (see orphan-bindings): ${absentMembers.map((m) => `\`${m}\``).join(', ')}`,
          ]
        : [];
    const actual = Object.fromEntries(namespaces.map((ns) => [ns, [...(byNamespace.get(ns) ?? [])]]));
    if (namespaces.length > 1 || clusterWide.length > 0) {
      const spread =
        clusterWide.length > 0
          ? `a principal set covering every namespace (${clusterWide.join(', ')})`
          : `KSAs of namespaces ${listNames(namespaces)}`;
      return {
        status: 'warn',
        cause: `GSA \`${gsa}\` serves ${spread}: a pod in any of them gets every permission the others need`,
        evidence: {
          expected: 'one namespace (ideally one workload) per GSA',
          actual: clusterWide.length > 0 ? { ...actual, '*': clusterWide } : actual,
          notes: absentNote,
        },
        fix: [
          {
            action: 'manual',
            target: `projects/-/serviceAccounts/${gsa}`,
            params: {},
            description: `Give each namespace (each workload) its own GSA with only the roles it needs; then bind and annotate each KSA with its own.`,
          },
        ],
        location: `//iam.googleapis.com/projects/-/serviceAccounts/${gsa}`,
      };
    }
    if (policy.status !== 'present') {
      return {
        status: 'unknown',
        cause: `the policy of GSA \`${gsa}\` could not be read (${policy.message}): other namespaces may be bound to it`,
        missing: [policyCollectHint(`projects/-/serviceAccounts/${gsa}`)],
      };
    }
    return {
      status: 'pass',
      cause:
        namespaces.length === 1
          ? `GSA \`${gsa}\` serves namespace \`${namespaces[0] ?? ''}\` only`
          : `GSA \`${gsa}\` is bound to no namespace of pool \`${pool ?? 'unknown'}\``,
      evidence: { actual, notes: absentNote },
    };
  },
});
