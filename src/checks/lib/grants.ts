// Does any collected policy grant something to a principal? Under direct binding a KSA has a Google identity
// exactly when some policy names its own principal, so "no annotation and no grant" means the
// pods run without one. The scan covers what was collected; policies that could not be read are reported,
// because a grant may hide there.

import type { Facts } from '../../model/facts.js';
import { matchMember, tryParseMember } from '../../model/identifiers.js';
import type { Member, Principal } from '../../model/identifiers.js';
import { collectedPolicies } from './gsa.js';

export interface GrantScan {
  found: boolean;
  /** One line per grant: `RESOURCE: ROLE to MEMBER` (with `(conditional)` when a condition decides). */
  where: string[];
  /** Policies whose read failed, as `RESOURCE: MESSAGE`. */
  unreadable: string[];
}

interface IndexedGrant {
  /** Position in the scan, so lookups list grants in policy order. */
  order: number;
  resource: string;
  role: string;
  raw: string;
  member: Member;
  conditional: boolean;
}

/** Every member of every collected policy, parsed once and keyed by the principal it can name. */
interface GrantIndex {
  byKey: Map<string, IndexedGrant[]>;
  /** allUsers and allAuthenticatedUsers name everybody. */
  everyone: IndexedGrant[];
  unreadable: string[];
}

/** Index keys under which a policy member can match a principal. */
export function keysOfMember(member: Member): string[] {
  switch (member.type) {
    case 'wi-legacy':
    case 'wi-subject':
      return [`ksa|${member.pool}|${member.namespace}|${member.ksa}`];
    case 'wi-uid':
      return [`uid|${member.pool}|${member.uid}`];
    case 'wi-namespace':
      return [`ns|${member.pool}|${member.namespace}`];
    case 'wi-cluster':
      return [`cluster|${member.pool}|${member.clusterUrl}`];
    case 'serviceAccount':
      return [`sa|${member.email.toLowerCase()}`];
    default:
      return [];
  }
}

/** Index keys of the members that can match this principal. */
export function keysOfPrincipal(principal: Principal): string[] {
  if (principal.type === 'serviceAccount') return [`sa|${principal.email.toLowerCase()}`];
  const { pool, namespace, name, uid, clusterUrl } = principal.ksa;
  if (pool === undefined) return [];
  return [
    `ksa|${pool}|${namespace}|${name}`,
    ...(uid !== undefined ? [`uid|${pool}|${uid}`] : []),
    `ns|${pool}|${namespace}`,
    `cluster|${pool}|${clusterUrl}`,
  ];
}

const indexes = new WeakMap<Facts, GrantIndex>();

/** Built once per facts: scanning every policy for every subject does not scale to 20,000 KSAs. */
function grantIndex(facts: Facts): GrantIndex {
  const cached = indexes.get(facts);
  if (cached) return cached;
  const index: GrantIndex = { byKey: new Map(), everyone: [], unreadable: [] };
  let order = 0;
  for (const { resource, policy } of collectedPolicies(facts)) {
    if (policy.status === 'error') index.unreadable.push(`${resource}: ${policy.message}`);
    if (policy.status !== 'present') continue;
    for (const binding of policy.value.bindings ?? []) {
      for (const raw of binding.members ?? []) {
        const parsed = tryParseMember(raw);
        if (!parsed.ok) continue;
        const grant: IndexedGrant = {
          order: order++,
          resource,
          role: binding.role,
          raw,
          member: parsed.member,
          conditional: binding.condition !== undefined,
        };
        if (parsed.member.type === 'allUsers' || parsed.member.type === 'allAuthenticatedUsers') {
          index.everyone.push(grant);
        }
        for (const key of keysOfMember(parsed.member)) {
          const list = index.byKey.get(key);
          if (list) list.push(grant);
          else index.byKey.set(key, [grant]);
        }
      }
    }
  }
  indexes.set(facts, index);
  return index;
}

/**
 * Grants to `principal` in every collected policy: the known service accounts' policies, the known projects'
 * policies, resource policies and folder/organization policies. Policies that were not collected are not
 * scanned (nothing to read); policies whose read failed are listed in `unreadable`.
 */
export function principalHasGrants(facts: Facts, principal: Principal): GrantScan {
  const index = grantIndex(facts);
  const candidates = [...index.everyone, ...keysOfPrincipal(principal).flatMap((k) => index.byKey.get(k) ?? [])];
  const where = candidates
    .filter((g) => matchMember(g.member, principal).match)
    .sort((a, b) => a.order - b.order)
    .map((g) => `${g.resource}: ${g.role} to ${g.raw}${g.conditional ? ' (conditional)' : ''}`);
  return { found: where.length > 0, where: [...new Set(where)], unreadable: [...index.unreadable] };
}
