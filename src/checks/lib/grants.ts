// Does any collected policy grant something to a principal? Under direct binding a KSA has a Google identity
// exactly when some policy names its own principal, so "no annotation and no grant" means the
// pods run without one. The scan covers what was collected; policies that could not be read are reported,
// because a grant may hide there.

import type { Facts } from '../../model/facts.js';
import { matchMember, tryParseMember } from '../../model/identifiers.js';
import type { Member, Principal } from '../../model/identifiers.js';
import { keysOfMember, keysOfPrincipal, MemberIndex } from '../../model/iam/member-keys.js';
import { collectedPolicies } from './gsa.js';

/** One grant to the principal, as `RESOURCE: ROLE to MEMBER` (with `(conditional)` when a condition decides). */
export interface GrantLine {
  resource: string;
  role: string;
  line: string;
}

export interface GrantScan {
  found: boolean;
  /** One line per grant: `RESOURCE: ROLE to MEMBER` (with `(conditional)` when a condition decides). */
  where: string[];
  /** The same grants with their resource and role, in the same order. */
  grants: GrantLine[];
  /** Policies whose read failed, as `RESOURCE: MESSAGE`. */
  unreadable: string[];
}

interface IndexedGrant {
  /** Position in the scan, so lookups list grants in policy order. */
  order: number;
  member: Member;
  /** Made once: every principal the member names reports the same line. */
  grant: GrantLine;
}

/** Every member of every collected policy, parsed once and keyed by the principal it can name. */
interface GrantIndex {
  /** allUsers and allAuthenticatedUsers name everybody: every lookup visits them. */
  members: MemberIndex<IndexedGrant>;
  unreadable: string[];
}

export { keysOfMember, keysOfPrincipal };

const indexes = new WeakMap<Facts, GrantIndex>();

/** Built once per facts: scanning every policy for every subject does not scale to 20,000 KSAs. */
function grantIndex(facts: Facts): GrantIndex {
  const cached = indexes.get(facts);
  if (cached) return cached;
  const index: GrantIndex = { members: new MemberIndex(), unreadable: [] };
  let order = 0;
  for (const { resource, policy } of collectedPolicies(facts)) {
    if (policy.status === 'error') index.unreadable.push(`${resource}: ${policy.message}`);
    if (policy.status !== 'present') continue;
    for (const binding of policy.value.bindings ?? []) {
      for (const raw of binding.members ?? []) {
        const parsed = tryParseMember(raw);
        if (!parsed.ok) continue;
        const line = `${resource}: ${binding.role} to ${raw}${binding.condition !== undefined ? ' (conditional)' : ''}`;
        const { member } = parsed;
        const everyone = member.type === 'allUsers' || member.type === 'allAuthenticatedUsers';
        index.members.add({ order: order++, member, grant: { resource, role: binding.role, line } }, member, everyone);
      }
    }
  }
  indexes.set(facts, index);
  return index;
}

/**
 * Grants to `principal` in every collected policy: the known service accounts' policies, the known projects'
 * policies, resource policies and folder/organization policies. Policies that were not collected are not
 * scanned (nothing to read); policies whose read failed are listed in `unreadable`. A grant listed twice in one
 * policy (the same member under two bindings of one role) is reported once.
 */
export function principalHasGrants(facts: Facts, principal: Principal): GrantScan {
  const index = grantIndex(facts);
  const found = index.members.candidates(keysOfPrincipal(principal));
  const grants: GrantLine[] = [];
  const where: string[] = [];
  // Most principals have one candidate or none: no set to make for them.
  const seen = found.length > 1 ? new Set<string>() : undefined;
  for (const candidate of found) {
    const { grant } = candidate;
    if (!matchMember(candidate.member, principal, false).match || seen?.has(grant.line) === true) continue;
    seen?.add(grant.line);
    grants.push(grant);
    where.push(grant.line);
  }
  return { found: where.length > 0, where, grants, unreadable: [...index.unreadable] };
}
