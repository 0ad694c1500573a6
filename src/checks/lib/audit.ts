// What the audit checks share: the cluster's pool, which grants name which service account, Google-managed
// service agents (whose project-level roles are Google's doing, not a Workload Identity finding), and the
// outcome for a GSA that does not exist.

import type { CheckOutcome } from '../define.js';
import type { Fact, Facts } from '../../model/facts.js';
import type { Expr, Policy } from '../../model/gcp.js';
import { projectOfPool, tryParseMember } from '../../model/identifiers.js';
import type { Member } from '../../model/identifiers.js';
import type { ServiceAccountObject } from '../../model/k8s/types.js';
import { projectOfServiceAccount } from '../../model/iam/policies.js';
import type { PolicyLevel } from '../../model/iam/evaluate.js';
import { collectedPolicies } from './gsa.js';
import type { CollectedPolicy } from './gsa.js';

/** The cluster's workload pool (`P.svc.id.goog`), undefined when Workload Identity is off or the cluster unread. */
export function clusterPool(facts: Facts): string | undefined {
  return facts.cluster.status === 'present' ? facts.cluster.value.workloadIdentityConfig?.workloadPool : undefined;
}

/** The pool's project number (for `principal://` members), when its project was read. */
export function poolProjectNumber(facts: Facts, pool: string | undefined): string | undefined {
  const project = pool === undefined ? undefined : projectOfPool(pool);
  const fact = project === undefined ? undefined : facts.project(project);
  return fact?.status === 'present' ? fact.value.projectNumber : undefined;
}

/** The cluster's KSAs by `NAMESPACE/NAME`, by uid, and their namespaces. */
export interface KsaIndex {
  names: ReadonlySet<string>;
  uids: ReadonlySet<string>;
  namespaces: ReadonlySet<string>;
}

const ksaIndexes = new WeakMap<readonly ServiceAccountObject[], KsaIndex>();

/**
 * The KSA list indexed, once per list: the audit's GSA-scope checks look each GSA's members up in it, and 500 GSAs
 * each indexing 5,000 KSAs again took most of the audit's time. Facts are not changed once read.
 */
export function ksaIndex(ksas: readonly ServiceAccountObject[]): KsaIndex {
  let index = ksaIndexes.get(ksas);
  if (index === undefined) {
    const names = new Set<string>();
    const uids = new Set<string>();
    const namespaces = new Set<string>();
    for (const k of ksas) {
      const namespace = k.metadata.namespace ?? 'default';
      names.add(`${namespace}/${k.metadata.name}`);
      namespaces.add(namespace);
      if (k.metadata.uid !== undefined) uids.add(k.metadata.uid);
    }
    index = { names, uids, namespaces };
    ksaIndexes.set(ksas, index);
  }
  return index;
}

/** One binding of one member, wherever it was found. */
export interface MemberGrant {
  resource: string;
  level: PolicyLevel;
  role: string;
  /** As written in the policy. */
  member: string;
  condition?: Expr;
}

/** Every grant of the readable policies, in policy order. */
export function grantsIn(resource: string, level: PolicyLevel, policy: Policy): MemberGrant[] {
  const out: MemberGrant[] = [];
  for (const binding of policy.bindings ?? []) {
    for (const member of binding.members ?? []) {
      out.push({
        resource,
        level,
        role: binding.role,
        member,
        ...(binding.condition !== undefined ? { condition: binding.condition } : {}),
      });
    }
  }
  return out;
}

/** The project and ancestor policies that were collected: where project-wide (and wider) grants live. */
export function projectAndAncestorPolicies(facts: Facts): CollectedPolicy[] {
  return collectedPolicies(facts).filter(
    (p) => p.level === 'project' || p.level === 'folder' || p.level === 'organization',
  );
}

/** Grants to `serviceAccount:EMAIL` (any case) in these policies; unreadable ones are returned apart. */
export function grantsToServiceAccount(
  policies: readonly CollectedPolicy[],
  email: string,
): { grants: MemberGrant[]; unreadable: { resource: string; message: string }[] } {
  const wanted = `serviceaccount:${email.toLowerCase()}`;
  const grants: MemberGrant[] = [];
  const unreadable: { resource: string; message: string }[] = [];
  for (const p of policies) {
    if (p.policy.status !== 'present') {
      unreadable.push({ resource: p.resource, message: p.policy.message });
      continue;
    }
    for (const g of grantsIn(p.resource, p.level, p.policy.value)) {
      if (g.member.toLowerCase() === wanted) grants.push(g);
    }
  }
  return { grants, unreadable };
}

/**
 * Google-managed service agents: `service-N@…`, `N@cloudservices.gserviceaccount.com`, accounts of `gcp-sa-*`
 * domains. Google grants them project roles (including token creation) to run its services.
 */
export function isServiceAgent(email: string): boolean {
  const [local = '', domain = ''] = email.toLowerCase().split('@');
  if (/^service-\d+$/.test(local)) return true;
  if (/^\d+$/.test(local) && /^(cloudservices|cloudbuild)\.gserviceaccount\.com$/.test(domain)) return true;
  return domain.startsWith('gcp-sa-');
}

/** A member, parsed; undefined for strings IAM would not store. */
export function memberOf(raw: string): Member | undefined {
  const parsed = tryParseMember(raw);
  return parsed.ok ? parsed.member : undefined;
}

/** Workload Identity members of one pool, and what they name. */
export type PoolMember =
  | { kind: 'ksa'; namespace: string; ksa: string }
  | { kind: 'ksa-uid'; uid: string }
  | { kind: 'namespace'; namespace: string }
  | { kind: 'cluster'; clusterUrl: string }
  /** Another principal set of the pool (an attribute form wi-doctor does not parse): pool-wide at least. */
  | { kind: 'pool-set'; uri: string };

/** What a member names in this pool, or undefined when it is no Workload Identity member of it. */
export function poolMember(member: Member, pool: string): PoolMember | undefined {
  switch (member.type) {
    case 'wi-legacy':
    case 'wi-subject':
      return member.pool === pool ? { kind: 'ksa', namespace: member.namespace, ksa: member.ksa } : undefined;
    case 'wi-uid':
      return member.pool === pool ? { kind: 'ksa-uid', uid: member.uid } : undefined;
    case 'wi-namespace':
      return member.pool === pool ? { kind: 'namespace', namespace: member.namespace } : undefined;
    case 'wi-cluster':
      return member.pool === pool ? { kind: 'cluster', clusterUrl: member.clusterUrl } : undefined;
    case 'principalSet':
      return member.uri.includes(`/workloadIdentityPools/${pool}/`) ? { kind: 'pool-set', uri: member.uri } : undefined;
    default:
      return undefined;
  }
}

/** The outcome for a GSA check when the account is known not to exist: gsa-exists says so. */
export function missingGsaOutcome(facts: Facts, email: string): CheckOutcome | undefined {
  const account = facts.serviceAccount(email);
  if (account.status !== 'absent') return undefined;
  return { status: 'skip', cause: `the account \`${email}\` does not exist (see gsa-exists)` };
}

/** The GSA's project and that project's policy fact. */
export function gsaProjectPolicy(facts: Facts, email: string): { project?: string; policy?: Fact<Policy> } {
  const project = projectOfServiceAccount(facts, email);
  return project === undefined ? {} : { project, policy: facts.projectPolicy(project) };
}

/** `roles/owner`, `roles/editor`, `roles/viewer`: the basic (primitive) roles. */
export const BASIC_ROLES = ['roles/owner', 'roles/editor', 'roles/viewer'] as const;

/** A condition in one line, for evidence: `title (expression)`. */
export function conditionText(condition: Expr | undefined): string {
  if (condition === undefined) return '';
  return ` under condition ${condition.title !== undefined ? `\`${condition.title}\` ` : ''}(\`${condition.expression}\`)`;
}

/** `a day`, `N days`, rounded down. */
export function daysText(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  return days === 1 ? '1 day' : `${days} days`;
}
