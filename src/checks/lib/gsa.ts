// Helpers the GSA-related checks share: resource names of accounts, the collected policies in one list,
// and the `deleted:serviceAccount:EMAIL?uid=N` members that explain a deleted (or deleted and recreated)
// account (a deleted account's bindings stay behind in that form and never apply again).

import { editDistance } from '../../model/edit-distance.js';
import type { Fact, Facts } from '../../model/facts.js';
import { present } from '../../model/facts.js';
import type { Binding, Expr, Policy } from '../../model/gcp.js';
import type { KsaPrincipal } from '../../engine/subject.js';
import { evaluatePermission } from '../../model/iam/evaluate.js';
import type { PolicyLevel } from '../../model/iam/evaluate.js';
import type { RoleResolver } from '../../model/iam/roles.js';
import { tryParseMember } from '../../model/identifiers.js';
import type { Member } from '../../model/identifiers.js';

/** The IAM resource of a service account, as gcloud and the fixes address it. */
export const serviceAccountResource = (email: string): string => `projects/-/serviceAccounts/${email}`;

/** The fix-action target of a Kubernetes service account. */
export const ksaResource = (namespace: string, name: string): string =>
  `namespaces/${namespace}/serviceaccounts/${name}`;

/** The account id (the part before `@`): what `create-service-account` needs. */
export function accountIdOf(email: string): string {
  const at = email.indexOf('@');
  return at < 0 ? email : email.slice(0, at);
}

export interface CollectedPolicy {
  resource: string;
  level: PolicyLevel;
  policy: Fact<Policy>;
}

/** Every policy the facts hold: known accounts', known projects', resources', folders' and organizations'. */
/** The list is the same for every subject of a run: build it once per facts. */
const collectedCache = new WeakMap<Facts, CollectedPolicy[]>();

export function collectedPolicies(facts: Facts): CollectedPolicy[] {
  let cached = collectedCache.get(facts);
  if (!cached) {
    cached = listCollectedPolicies(facts);
    collectedCache.set(facts, cached);
  }
  return cached;
}

function listCollectedPolicies(facts: Facts): CollectedPolicy[] {
  const out: CollectedPolicy[] = [];
  const seen = new Set<string>();
  const add = (resource: string, level: PolicyLevel, policy: Fact<Policy>): void => {
    if (seen.has(resource)) return;
    seen.add(resource);
    out.push({ resource, level, policy });
  };
  for (const email of facts.knownServiceAccounts) {
    add(serviceAccountResource(email), 'service-account', facts.serviceAccountPolicy(email));
  }
  for (const project of facts.knownProjects) add(`projects/${project}`, 'project', facts.projectPolicy(project));
  for (const { resource, policy } of facts.resourcePolicies) add(resource, 'resource', policy);
  for (const { resource, policy } of facts.ancestorPolicies) {
    add(resource, resource.startsWith('organizations/') ? 'organization' : 'folder', policy);
  }
  // Cloud Asset Inventory results hold only the bindings that matched their query: every one of them is real, so
  // they add grants wherever they are; a policy read whole above takes precedence over its search result.
  const searched = new Map<string, { level: PolicyLevel; bindings: Binding[]; sources: Set<string> }>();
  for (const search of facts.assetSearches) {
    if (search.results.status !== 'present') continue;
    for (const r of search.results.value) {
      const entry = searched.get(r.resource) ?? { level: r.level, bindings: [], sources: new Set<string>() };
      entry.bindings.push(...(r.policy.bindings ?? []));
      entry.sources.add(search.results.source);
      searched.set(r.resource, entry);
    }
  }
  for (const [resource, { level, bindings, sources }] of searched) {
    add(resource, level, present({ bindings }, [...sources].join(', ')));
  }
  return out;
}

export interface DeletedMemberRef {
  /** The policy's resource. */
  resource: string;
  role: string;
  /** The member exactly as written in the policy (what `remove-iam-member` needs). */
  member: string;
  uid: string;
  /** What the deleted member was. */
  inner: Member;
  /** The IAM condition of its binding, if any: a re-grant must carry it. */
  condition?: Expr;
}

/**
 * Every `deleted:` member of the readable policies, with the policy and role it sits in. For a list kept for the
 * whole run (collectedPolicies); `deletedMembersIn` for a list made for one subject.
 */
const deletedCache = new WeakMap<readonly CollectedPolicy[], DeletedMemberRef[]>();

export function deletedMembers(policies: readonly CollectedPolicy[]): DeletedMemberRef[] {
  let found = deletedCache.get(policies);
  if (!found) {
    found = deletedMembersIn(policies);
    deletedCache.set(policies, found);
  }
  return found;
}

/** A `deleted:` member found in a policy, before it is told which resource the policy is of. */
type DeletedInPolicy = Omit<DeletedMemberRef, 'resource'>;

/**
 * The `deleted:` members of one policy, found once per policy value: the same few policies (a GSA's, its
 * project's) are searched for every subject.
 */
const deletedByPolicy = new WeakMap<Policy, readonly DeletedInPolicy[]>();

function deletedInPolicy(policy: Policy): readonly DeletedInPolicy[] {
  let found = deletedByPolicy.get(policy);
  if (found === undefined) {
    const list: DeletedInPolicy[] = [];
    for (const binding of policy.bindings ?? []) {
      for (const raw of binding.members ?? []) {
        if (!raw.startsWith('deleted:')) continue;
        const parsed = tryParseMember(raw);
        if (!parsed.ok || parsed.member.type !== 'deleted') continue;
        const ref: DeletedInPolicy = {
          role: binding.role,
          member: raw,
          uid: parsed.member.uid,
          inner: parsed.member.member,
        };
        if (binding.condition !== undefined) ref.condition = binding.condition;
        list.push(ref);
      }
    }
    found = list;
    deletedByPolicy.set(policy, found);
  }
  return found;
}

/** Every `deleted:` member of the readable policies of the list (each policy searched once per run). */
export function deletedMembersIn(policies: readonly CollectedPolicy[]): DeletedMemberRef[] {
  const found: DeletedMemberRef[] = [];
  for (const { resource, policy } of policies) {
    if (policy.status !== 'present') continue;
    for (const d of deletedInPolicy(policy.value)) {
      const ref: DeletedMemberRef = { resource, role: d.role, member: d.member, uid: d.uid, inner: d.inner };
      if (d.condition !== undefined) ref.condition = d.condition;
      found.push(ref);
    }
  }
  return found;
}

/** `deleted:serviceAccount:EMAIL?uid=N` members for this email. */
export function deletedMembersOf(policies: readonly CollectedPolicy[], email: string): DeletedMemberRef[] {
  const wanted = email.toLowerCase();
  return deletedMembers(policies).filter(
    (d) => d.inner.type === 'serviceAccount' && d.inner.email.toLowerCase() === wanted,
  );
}

/** Distinct uids of deleted members, in order of appearance. */
export function uidsOf(refs: readonly DeletedMemberRef[]): string[] {
  return [...new Set(refs.map((r) => r.uid))];
}

/** A 403 on `projects/-/…` means "missing or not readable": the two cannot be told apart. */
export function isPermissionDenied(message: string): boolean {
  return /\b403\b|PERMISSION_DENIED|permission denied/i.test(message);
}

export const GET_ACCESS_TOKEN = 'iam.serviceAccounts.getAccessToken';
export const WORKLOAD_IDENTITY_USER = 'roles/iam.workloadIdentityUser';
export const TOKEN_CREATOR = 'roles/iam.serviceAccountTokenCreator';

/**
 * Known service accounts whose OWN policy lets this KSA mint tokens: the GSA the KSA was probably meant to
 * be annotated with. Project-level grants are left out on purpose: they would name every account.
 */
export function gsaCandidatesFor(facts: Facts, ksa: KsaPrincipal, roles: RoleResolver): string[] {
  if (ksa.pool === undefined) return [];
  const candidates: string[] = [];
  for (const email of facts.knownServiceAccounts) {
    const evaluation = evaluatePermission({
      permission: GET_ACCESS_TOKEN,
      principal: { type: 'ksa', ksa },
      policies: [
        {
          resource: serviceAccountResource(email),
          level: 'service-account',
          policy: facts.serviceAccountPolicy(email),
        },
      ],
      roles,
    });
    if (evaluation.outcome === 'granted' || evaluation.outcome === 'conditional') candidates.push(email);
  }
  return candidates;
}

/** How a member names its principal, in words, for pass messages. */
export function memberForm(raw: string): string {
  const parsed = tryParseMember(raw);
  if (!parsed.ok) return 'member';
  switch (parsed.member.type) {
    case 'wi-legacy':
      // `serviceAccount:POOL[NS/KSA]` is the member Google's docs grant workloadIdentityUser to on a GSA, and the
      // one the fixes write: not called "legacy" next to a fix that recommends it.
      return 'KSA member';
    case 'wi-subject':
      return 'principal:// subject member';
    case 'wi-uid':
      return 'principal:// KSA-uid member';
    case 'wi-namespace':
      return 'namespace principalSet';
    case 'wi-cluster':
      return 'cluster principalSet';
    case 'serviceAccount':
      return 'service-account member';
    default:
      return 'member';
  }
}

/**
 * Accounts in the facts whose email is within a few typos (edit distance ≤ 3) of this one, closest first: the
 * accounts read by describe and the account list of `project` (when read).
 */
export function similarAccounts(facts: Facts, email: string, project: string | undefined): string[] {
  const emails = new Set<string>(facts.knownServiceAccounts);
  if (project !== undefined) {
    const list = facts.projectServiceAccounts(project);
    if (list.status === 'present') for (const sa of list.value) emails.add(sa.email);
  }
  const wanted = email.toLowerCase();
  return [...emails]
    .filter((e) => e.toLowerCase() !== wanted && editDistance(e.toLowerCase(), wanted, 3) <= 3)
    .sort((a, b) => editDistance(a.toLowerCase(), wanted, 3) - editDistance(b.toLowerCase(), wanted, 3));
}
