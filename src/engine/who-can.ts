// `who-can`: the reverse questions, answered from the same facts and the same IAM evaluation as `check`.
//   --gsa EMAIL: every member of a binding that lets it mint the account's tokens (the account's own policy, its
//     project's, the folders' and organization's above), and every KSA of the clusters read that would get them:
//     annotated with the account and granted `getAccessToken` by the same evaluation wi-binding makes.
//   --ksa NS/KSA: every resource whose policy names the KSA's own principal (direct binding), and, when it can
//     impersonate its annotated GSA, every resource whose policy names that GSA, with the roles.
// Policies read whole and Cloud Asset Inventory results (partial: only matching bindings) both count; a policy
// that could not be read is listed, since a grant may hide there. Group members cannot be expanded and are shown
// as groups. Pure: facts in, a plain result out.

import { collectedPolicies } from '../checks/lib/gsa.js';
import type { Facts } from '../model/facts.js';
import type { Expr } from '../model/gcp.js';
import type { ServiceAccountObject } from '../model/k8s/types.js';
import type { PolicyAt, PolicyLevel } from '../model/iam/evaluate.js';
import { evaluatePermission } from '../model/iam/evaluate.js';
import { coverageOfQuery, coversPermission, TOKEN_PERMISSIONS } from '../model/iam/asset-search.js';
import { serviceAccountPolicyChain } from '../model/iam/policies.js';
import type { RoleResolver } from '../model/iam/roles.js';
import { ksaMembers, matchMember, tryParseMember } from '../model/identifiers.js';
import type { Principal } from '../model/identifiers.js';
import { WI_ANNOTATION } from '../model/k8s/types.js';
import type { KsaPrincipal, Subject } from './subject.js';

export interface GrantRow {
  resource: string;
  level: PolicyLevel;
  role: string;
  member: string;
  /** Token-minting permissions of the role (for --gsa), or empty. */
  permissions: string[];
  condition?: Expr;
  /** Where it was read: a bundle path (whole policy) or a Cloud Asset Inventory search (matching bindings only). */
  source: string;
}

export interface KsaRow {
  cluster: string;
  ksa: string;
  /** Annotated with the account: its pods use it when the grant holds. */
  annotated: boolean;
  outcome: 'gets it' | 'gets it under a condition' | 'annotated, not granted' | 'granted, not annotated' | 'unknown';
  /** The grant that decides (or the reason it is unknown). */
  why: string;
}

export interface WhoCanGsa {
  gsa: string;
  exists: 'yes' | 'no' | 'unknown';
  principals: GrantRow[];
  ksas: KsaRow[];
  /** Policies of the chain that could not be read: a grant may hide there. */
  unreadable: string[];
  searched: string[];
}

export interface WhoCanKsa {
  ksa: string;
  cluster: string;
  /** The KSA's own principal member (direct binding), when the pool is known. */
  principal: string | undefined;
  gsa: string | undefined;
  /** Whether the KSA can mint the GSA's tokens (wi-binding's evaluation). */
  impersonation: 'granted' | 'conditional' | 'not-granted' | 'unknown' | 'none';
  direct: GrantRow[];
  throughGsa: GrantRow[];
  unreadable: string[];
  searched: string[];
}

/** What the asset searches covered and found, one line each (also when one failed). */
export function describeSearched(facts: Facts): string[] {
  return facts.assetSearches.map((s) =>
    s.results.status === 'present'
      ? `Cloud Asset Inventory searchAllIamPolicies over ${s.scope} (query: ${s.query || 'unknown'}): ${s.results.value.length} policies with matching bindings, ${s.pages} page(s)`
      : `Cloud Asset Inventory search over ${s.scope} failed (${s.results.message}): only the policies read one by one were looked at`,
  );
}

function tokenPermissionsOf(roles: RoleResolver, role: string): string[] | undefined {
  const resolved = roles.permissions(role);
  if (!resolved.known) return undefined;
  return TOKEN_PERMISSIONS.filter((p) => resolved.permissions.has(p));
}

/** The chain of the account, with Cloud Asset Inventory results standing in for policies that could not be read. */
function tokenChain(facts: Facts, email: string): { chain: PolicyAt[]; sources: Map<string, string> } {
  const chain = serviceAccountPolicyChain(facts, email);
  const sources = new Map<string, string>();
  const searched = new Map(collectedPolicies(facts).map((p) => [p.resource, p]));
  const out = chain.map((at) => {
    if (at.policy.status === 'present') {
      sources.set(at.resource, at.policy.source);
      return at;
    }
    // A search covering every token-minting permission returned every such binding of this policy.
    const covering = facts.assetSearches.some(
      (s) =>
        s.results.status === 'present' && TOKEN_PERMISSIONS.every((p) => coversPermission(coverageOfQuery(s.query), p)),
    );
    const found = searched.get(at.resource);
    if (covering && found !== undefined && found.policy.status === 'present') {
      sources.set(at.resource, found.policy.source);
      return { ...at, policy: found.policy };
    }
    return at;
  });
  return { chain: out, sources };
}

export function whoCanGsa(
  facts: Facts,
  roles: RoleResolver,
  email: string,
  clusters: readonly { label: string; facts: Facts; subjects: readonly Subject[] }[],
): WhoCanGsa {
  const account = facts.serviceAccount(email);
  const { chain, sources } = tokenChain(facts, email);
  const principals: GrantRow[] = [];
  const unreadable: string[] = [];
  for (const at of chain) {
    if (at.policy.status === 'error' || at.policy.status === 'not-collected') {
      unreadable.push(`${at.resource}: ${at.policy.message}`);
      continue;
    }
    if (at.policy.status !== 'present') continue;
    for (const binding of at.policy.value.bindings ?? []) {
      const permissions = tokenPermissionsOf(roles, binding.role);
      if (permissions === undefined) {
        unreadable.push(`${at.resource}: role ${binding.role} could not be resolved (a grant may hide there)`);
        continue;
      }
      if (permissions.length === 0) continue;
      for (const member of binding.members ?? []) {
        principals.push({
          resource: at.resource,
          level: at.level,
          role: binding.role,
          member,
          permissions,
          ...(binding.condition !== undefined ? { condition: binding.condition } : {}),
          source: sources.get(at.resource) ?? at.policy.source,
        });
      }
    }
  }
  const ksas: KsaRow[] = [];
  const gsaPrincipalOk = account.status !== 'absent';
  for (const c of clusters) {
    for (const subject of c.subjects) {
      const annotated = subject.gsaEmail?.toLowerCase() === email.toLowerCase();
      if (subject.principal.pool === undefined) continue;
      const e = evaluatePermission({
        permission: 'iam.serviceAccounts.getAccessToken',
        principal: { type: 'ksa', ksa: subject.principal },
        policies: chain,
        roles,
      });
      if (!annotated && e.outcome !== 'granted' && e.outcome !== 'conditional') continue;
      const grant = e.grants[0] ?? e.conditionalGrants[0];
      const why =
        grant !== undefined
          ? `\`${grant.role}\` to \`${grant.member}\` on \`${grant.resource}\``
          : e.outcome === 'unknown'
            ? `policies not readable: ${e.unreadable.map((u) => u.resource).join(', ')}`
            : 'no binding names the KSA';
      let outcome: KsaRow['outcome'];
      if (e.outcome === 'unknown' || !gsaPrincipalOk) outcome = gsaPrincipalOk ? 'unknown' : 'annotated, not granted';
      else if (!annotated) outcome = 'granted, not annotated';
      else if (e.outcome === 'granted') outcome = 'gets it';
      else if (e.outcome === 'conditional') outcome = 'gets it under a condition';
      else outcome = 'annotated, not granted';
      ksas.push({ cluster: c.label, ksa: subject.id, annotated, outcome, why });
    }
  }
  return {
    gsa: email,
    exists: account.status === 'present' ? 'yes' : account.status === 'absent' ? 'no' : 'unknown',
    principals,
    ksas: ksas.sort((a, b) => a.cluster.localeCompare(b.cluster) || a.ksa.localeCompare(b.ksa)),
    unreadable,
    searched: describeSearched(facts),
  };
}

/** Every binding of every policy the facts hold whose member names the principal. */
function grantsTo(facts: Facts, principal: Principal): GrantRow[] {
  const rows: GrantRow[] = [];
  for (const p of collectedPolicies(facts)) {
    if (p.policy.status !== 'present') continue;
    for (const binding of p.policy.value.bindings ?? []) {
      for (const raw of binding.members ?? []) {
        const parsed = tryParseMember(raw);
        if (!parsed.ok || !matchMember(parsed.member, principal).match) continue;
        rows.push({
          resource: p.resource,
          level: p.level,
          role: binding.role,
          member: raw,
          permissions: [],
          ...(binding.condition !== undefined ? { condition: binding.condition } : {}),
          source: p.policy.source,
        });
      }
    }
  }
  return rows;
}

export function whoCanKsa(facts: Facts, roles: RoleResolver, subject: Subject): WhoCanKsa {
  const ksa: KsaPrincipal = subject.principal;
  const principal = ksa.pool !== undefined ? { type: 'ksa' as const, ksa } : undefined;
  const direct = principal !== undefined ? grantsTo(facts, principal) : [];
  const email = subject.gsaEmail;
  let impersonation: WhoCanKsa['impersonation'] = 'none';
  let throughGsa: GrantRow[] = [];
  const unreadable = collectedPolicies(facts)
    .filter((p) => p.policy.status === 'error')
    .map((p) => `${p.resource}: ${p.policy.status === 'error' ? p.policy.message : ''}`);
  if (email !== undefined && principal !== undefined) {
    const { chain } = tokenChain(facts, email);
    const e = evaluatePermission({
      permission: 'iam.serviceAccounts.getAccessToken',
      principal,
      policies: chain,
      roles,
    });
    impersonation = e.outcome;
    const account = facts.serviceAccount(email);
    const uniqueId = account.status === 'present' ? account.value.uniqueId : undefined;
    throughGsa = grantsTo(facts, { type: 'serviceAccount', email, ...(uniqueId !== undefined ? { uniqueId } : {}) });
  }
  const members = principal !== undefined ? (ksaMembers(ksa).principal ?? ksaMembers(ksa).legacy) : undefined;
  return {
    ksa: subject.id,
    cluster: `${subject.cluster.project}/${subject.cluster.location}/${subject.cluster.name}`,
    principal: members,
    gsa: email,
    impersonation,
    direct,
    throughGsa,
    unreadable,
    searched: describeSearched(facts),
  };
}

/** KSAs of a cluster annotated with the account (the subjects who-can --gsa evaluates). */
export function annotatedWith(accounts: readonly ServiceAccountObject[], email: string): string[] {
  return accounts
    .filter((a) => a.metadata.annotations?.[WI_ANNOTATION]?.toLowerCase() === email.toLowerCase())
    .map((a) => `${a.metadata.namespace ?? 'default'}/${a.metadata.name}`);
}
