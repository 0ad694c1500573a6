// Every binding of every collected policy, indexed by the principal its member can name, so that the grants
// of thousands of KSAs and GSAs are found without scanning every policy for each. Matching is confirmed
// with the same `matchMember` the checks use.

import { keysOfMember, keysOfPrincipal } from '../checks/lib/grants.js';
import type { Facts } from '../model/facts.js';
import type { Expr } from '../model/gcp.js';
import type { PolicyLevel } from '../model/iam/evaluate.js';
import { matchMember, tryParseMember } from '../model/identifiers.js';
import type { Member, Principal } from '../model/identifiers.js';
import { collectedPolicies } from '../checks/lib/gsa.js';

export interface IndexedBinding {
  /** The resource whose policy holds it. */
  policy: string;
  level: PolicyLevel;
  role: string;
  /** The member as written. */
  member: string;
  parsed: Member;
  condition?: Expr;
}

export interface BindingIndex {
  byKey: Map<string, IndexedBinding[]>;
  /** `RESOURCE: MESSAGE` for each policy whose read failed. */
  unreadable: string[];
  counts: Record<PolicyLevel, number>;
}

export function indexBindings(facts: Facts): BindingIndex {
  const index: BindingIndex = {
    byKey: new Map(),
    unreadable: [],
    counts: { resource: 0, 'service-account': 0, project: 0, folder: 0, organization: 0 },
  };
  for (const { resource, level, policy } of collectedPolicies(facts)) {
    if (policy.status === 'error') index.unreadable.push(`${resource}: ${policy.message}`);
    if (policy.status !== 'present') continue;
    index.counts[level]++;
    for (const binding of policy.value.bindings ?? []) {
      for (const raw of binding.members ?? []) {
        const parsed = tryParseMember(raw);
        if (!parsed.ok) continue;
        const entry: IndexedBinding = {
          policy: resource,
          level,
          role: binding.role,
          member: raw,
          parsed: parsed.member,
          ...(binding.condition !== undefined ? { condition: binding.condition } : {}),
        };
        for (const key of keysOfMember(parsed.member)) {
          const list = index.byKey.get(key);
          if (list) list.push(entry);
          else index.byKey.set(key, [entry]);
        }
      }
    }
  }
  return index;
}

/** The bindings whose member names this principal, in policy order, each once. */
export function bindingsOf(index: BindingIndex, principal: Principal): IndexedBinding[] {
  const seen = new Set<IndexedBinding>();
  const out: IndexedBinding[] = [];
  for (const key of keysOfPrincipal(principal)) {
    for (const entry of index.byKey.get(key) ?? []) {
      if (seen.has(entry)) continue;
      seen.add(entry);
      if (matchMember(entry.parsed, principal).match) out.push(entry);
    }
  }
  return out;
}

/** How a condition is named on the graph: its title, else its expression. */
export const conditionName = (condition: Expr | undefined): string | undefined =>
  condition === undefined ? undefined : (condition.title ?? condition.expression);
