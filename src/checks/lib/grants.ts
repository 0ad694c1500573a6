// Does any collected policy grant something to a principal? Under direct binding a KSA has a Google identity
// exactly when some policy names its own principal (FACTS §3), so "no annotation and no grant" means the
// pods run without one. The scan covers what was collected; policies that could not be read are reported,
// because a grant may hide there.

import type { Facts } from '../../model/facts.js';
import type { Policy } from '../../model/gcp.js';
import { matchMember, tryParseMember } from '../../model/identifiers.js';
import type { Principal } from '../../model/identifiers.js';

export interface GrantScan {
  found: boolean;
  /** One line per grant: `RESOURCE: ROLE to MEMBER` (with `(conditional)` when a condition decides). */
  where: string[];
  /** Policies whose read failed, as `RESOURCE: MESSAGE`. */
  unreadable: string[];
}

interface PolicySource {
  resource: string;
  fact: ReturnType<Facts['projectPolicy']>;
}

function collectedPolicies(facts: Facts): PolicySource[] {
  const sources: PolicySource[] = [];
  for (const email of facts.knownServiceAccounts) {
    sources.push({ resource: `projects/-/serviceAccounts/${email}`, fact: facts.serviceAccountPolicy(email) });
  }
  for (const project of facts.knownProjects) {
    sources.push({ resource: `projects/${project}`, fact: facts.projectPolicy(project) });
  }
  for (const { resource, policy } of facts.resourcePolicies) sources.push({ resource, fact: policy });
  for (const { resource, policy } of facts.ancestorPolicies) sources.push({ resource, fact: policy });
  return sources;
}

function grantsIn(resource: string, policy: Policy, principal: Principal): string[] {
  const found: string[] = [];
  for (const binding of policy.bindings ?? []) {
    for (const raw of binding.members ?? []) {
      const parsed = tryParseMember(raw);
      if (!parsed.ok) continue;
      if (!matchMember(parsed.member, principal).match) continue;
      const conditional = binding.condition !== undefined ? ' (conditional)' : '';
      found.push(`${resource}: ${binding.role} to ${raw}${conditional}`);
    }
  }
  return found;
}

/**
 * Grants to `principal` in every collected policy: the known service accounts' policies, the known projects'
 * policies, resource policies and folder/organization policies. Policies that were not collected are not
 * scanned (nothing to read); policies whose read failed are listed in `unreadable`.
 */
export function principalHasGrants(facts: Facts, principal: Principal): GrantScan {
  const where: string[] = [];
  const unreadable: string[] = [];
  const seen = new Set<string>();
  for (const { resource, fact } of collectedPolicies(facts)) {
    if (seen.has(resource)) continue;
    seen.add(resource);
    if (fact.status === 'present') where.push(...grantsIn(resource, fact.value, principal));
    else if (fact.status === 'error') unreadable.push(`${resource}: ${fact.message}`);
  }
  return { found: where.length > 0, where, unreadable };
}
