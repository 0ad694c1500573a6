// Who else may still use the old GSA, asked before it is disabled. Three sources, each read live:
//  - KSAs of this cluster annotated with it (not moved by this rotation);
//  - KSAs of every other cluster of the same workload pool annotated with it: `POOL[NS/KSA]` is one identity in
//    every cluster of the pool, so staging's shop/cart still uses the old GSA after prod's shop/cart moved;
//  - every other member of the old GSA's own IAM policy whose role lets it get the account's credentials (other
//    KSAs' members, users, groups, principal sets): they may be using it from anywhere.
// A source that cannot be read is not "nobody": it is reported as unread, and the caller withholds the disable.

import type { CallOutcome } from '../../collect/live/calls.js';
import { TOKEN_PERMISSIONS } from '../../model/iam/asset-search.js';
import type { RoleResolver } from '../../model/iam/roles.js';
import { tryParseMember } from '../../model/identifiers.js';
import type { Policy } from '../../model/gcp.js';
import type { ServiceAccountObject } from '../../model/k8s/types.js';
import type { RotationSpec } from './journal.js';
import { usersOf } from './plan.js';

type Listing = CallOutcome<readonly ServiceAccountObject[]>;

/** Another cluster of the pool: how to list its KSAs, or why it cannot be. */
export interface PoolCluster {
  label: string;
  listServiceAccounts?: () => Promise<Listing>;
  error?: string;
}

export interface UserSources {
  /** Every KSA of this cluster, as the API lists them now. */
  listServiceAccounts: () => Promise<Listing>;
  /** The old GSA's own IAM policy. */
  oldPolicy: () => Promise<CallOutcome<Policy>>;
  /** The other clusters whose workload pool is the rotation's (not this one). */
  poolClusters: () => Promise<{ ok: true; clusters: PoolCluster[] } | { ok: false; message: string }>;
}

export interface OtherUsers {
  /** Who still uses (or may use) the old GSA, each said with where it was seen. */
  users: string[];
  /** The sources that could not be read: who else uses the old GSA is then unknown. */
  unread: string[];
}

/** Does the role let its holder get the account's credentials? Unknown roles count: unknown is never "no". */
function mintsTokens(roles: RoleResolver, role: string): boolean {
  const resolved = roles.permissions(role);
  return !resolved.known || TOKEN_PERMISSIONS.some((p) => resolved.permissions.has(p));
}

/** Is the member one of the moved KSAs, in the rotation's pool (legacy or principal form)? */
function isKsaOf(spec: RotationSpec, raw: string, ksas: readonly string[]): boolean {
  const parsed = tryParseMember(raw);
  if (!parsed.ok) return false;
  const m = parsed.member;
  if (m.type !== 'wi-legacy' && m.type !== 'wi-subject') return false;
  return m.pool === spec.pool && ksas.includes(`${m.namespace}/${m.ksa}`);
}

/**
 * Members of the old GSA's policy that can get its credentials, other than the moved KSAs and the KSAs already
 * named as users (`known`, `NS/NAME` of this cluster).
 */
export function policyUsers(
  spec: RotationSpec,
  policy: Policy,
  roles: RoleResolver,
  known: readonly string[] = [],
): string[] {
  const skip = [...spec.moved, ...known];
  const out = new Set<string>();
  for (const binding of policy.bindings ?? []) {
    if (!mintsTokens(roles, binding.role)) continue;
    for (const member of binding.members ?? []) {
      if (member.startsWith('deleted:') || isKsaOf(spec, member, skip)) continue;
      if (member.toLowerCase() === `serviceaccount:${spec.newGsa}`) continue;
      out.add(`${member} (${binding.role}${binding.condition !== undefined ? ', conditional' : ''})`);
    }
  }
  return [...out].sort();
}

export async function findOtherUsers(
  spec: RotationSpec,
  sources: UserSources,
  roles: RoleResolver,
): Promise<OtherUsers> {
  const users: string[] = [];
  const unread: string[] = [];
  const [local, policy, pool] = await Promise.all([
    sources.listServiceAccounts(),
    sources.oldPolicy(),
    sources.poolClusters(),
  ]);
  if (local.ok) users.push(...usersOf(local.value, spec.oldGsa).filter((u) => !spec.moved.includes(u)));
  else unread.push(`the KSAs of this cluster (${local.message})`);

  if (policy.ok) users.push(...policyUsers(spec, policy.value, roles, [...users]));
  // An account that no longer exists has no policy and no user; the disable step says it is gone.
  else if (policy.kind !== 'absent') unread.push(`the IAM policy of ${spec.oldGsa} (${policy.message})`);

  if (!pool.ok) unread.push(`the other clusters of the workload pool ${spec.pool} (${pool.message})`);
  else {
    const listed = await Promise.all(
      pool.clusters.map(async (c) => ({ c, list: c.listServiceAccounts ? await c.listServiceAccounts() : undefined })),
    );
    for (const { c, list } of listed) {
      if (list === undefined) unread.push(`the KSAs of cluster ${c.label} (${c.error ?? 'not reachable'})`);
      else if (!list.ok) unread.push(`the KSAs of cluster ${c.label} (${list.message})`);
      else users.push(...usersOf(list.value, spec.oldGsa).map((u) => `${u} in cluster ${c.label}`));
    }
  }
  return { users, unread };
}

/** The reason the disable is withheld, or undefined when nobody else uses the old GSA, as far as was read. */
export function withheldReason(spec: RotationSpec, found: OtherUsers): string | undefined {
  if (found.users.length > 0) {
    return `${spec.oldGsa} stays enabled: still used by ${found.users.join(', ')}${found.unread.length > 0 ? `; not read: ${found.unread.join('; ')}` : ''}`;
  }
  if (found.unread.length > 0) {
    return `${spec.oldGsa} stays enabled: who else uses it is unknown, because these could not be read: ${found.unread.join('; ')}`;
  }
  return undefined;
}
