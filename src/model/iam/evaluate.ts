// Which binding grants permission P to principal X on a resource, through its own policy or an inherited
// one — or what is the nearest miss. Conditions are reported as conditional, never assumed true.

import type { Fact } from '../facts.js';
import type { Binding, Expr, Policy } from '../gcp.js';
import { matchMember, tryParseMember } from '../identifiers.js';
import type { Member, Principal } from '../identifiers.js';
import { keysOfPrincipal, MemberIndex } from './member-keys.js';
import type { RoleResolver } from './roles.js';

export type PolicyLevel = 'resource' | 'service-account' | 'project' | 'folder' | 'organization';

export interface PolicyAt {
  /** `projects/-/serviceAccounts/EMAIL`, `projects/P`, `folders/N`, `//storage.googleapis.com/…` */
  resource: string;
  level: PolicyLevel;
  policy: Fact<Policy>;
}

export interface GrantFinding {
  resource: string;
  level: PolicyLevel;
  role: string;
  member: string;
  condition?: Expr;
}

export interface NearMiss extends GrantFinding {
  /** e.g. "member is for namespace `shop-prod`, the pod runs in `shop`"; "role roles/iam.serviceAccountUser lacks iam.serviceAccounts.getAccessToken" */
  reason: string;
}

export interface PermissionEvaluation {
  outcome: 'granted' | 'conditional' | 'not-granted' | 'unknown';
  grants: GrantFinding[];
  conditionalGrants: GrantFinding[];
  nearMisses: NearMiss[];
  /** Policies that could not be read (so a grant may hide there). */
  unreadable: { resource: string; message: string }[];
  /** Roles bound to a matching member whose permissions could not be resolved. */
  unresolvedRoles: { resource: string; role: string; reason: string }[];
  /**
   * Group members of bindings whose role has the permission. Group membership cannot be resolved, so a
   * service-account principal may hold the permission through one; the outcome does not count them.
   */
  groupGrants?: GrantFinding[];
}

type ParsedMember = Member | { error: string };

/** Members repeat across subjects and policies: parse each string once. Bounded so a huge run stays flat. */
const MEMBER_CACHE_LIMIT = 50_000;
const memberCache = new Map<string, ParsedMember>();

function parsed(raw: string): ParsedMember {
  let hit = memberCache.get(raw);
  if (hit === undefined) {
    const r = tryParseMember(raw);
    hit = r.ok ? r.member : { error: r.error };
    if (memberCache.size >= MEMBER_CACHE_LIMIT) memberCache.clear();
    memberCache.set(raw, hit);
  }
  return hit;
}

const ACT_AS = 'iam.serviceAccounts.actAs';

function lacksReason(role: string, permission: string, roleHasActAs: boolean, note: string | undefined): string {
  let reason = `role \`${role}\` does not include \`${permission}\``;
  if (roleHasActAs && permission !== ACT_AS && permission.startsWith('iam.serviceAccounts.')) {
    reason += ' (it grants actAs, which does not mint tokens)';
  }
  if (note !== undefined) reason += `: ${note}`;
  return reason;
}

/**
 * Evaluate one permission for one principal over a chain of policies (most specific first).
 * Outcome: granted if any unconditional grant; else conditional if any conditional grant; else unknown if a
 * policy was unreadable or a role bound to a matching member could not be resolved; else not-granted.
 * Malformed member strings (IAM would not store them) are skipped.
 */
export function evaluatePermission(args: EvaluationArgs): PermissionEvaluation {
  // The outcome needs no near misses, and most callers never read them: they are worked out (by the same
  // scan, so in the same order) when first read.
  // The getter is written in the object literal: redefining a property of a made object costs more than the scan.
  const found = scan(args, false);
  let nearMisses: NearMiss[] | undefined;
  const evaluation: PermissionEvaluation = {
    outcome: found.outcome,
    grants: found.grants,
    conditionalGrants: found.conditionalGrants,
    get nearMisses(): NearMiss[] {
      return (nearMisses ??= scan(args, true).nearMisses);
    },
    unreadable: found.unreadable,
    unresolvedRoles: found.unresolvedRoles,
  };
  if (found.groupGrants !== undefined) evaluation.groupGrants = found.groupGrants;
  return evaluation;
}

interface EvaluationArgs {
  permission: string;
  principal: Principal;
  policies: readonly PolicyAt[];
  roles: RoleResolver;
}

/** One member of a policy, parsed, with its binding and its place in the policy. */
interface PolicyEntry {
  /** Bindings in order, members in order within each: lookups visit entries in this order. */
  order: number;
  binding: Binding;
  raw: string;
  member: Member;
}

/**
 * A policy's members parsed once and filed by the principals they can name (member-keys.ts). Every lookup also
 * visits `allUsers` and `allAuthenticatedUsers` (they name everybody) and groups (a group's grant of the permission
 * is reported apart whoever asks: its membership cannot be resolved).
 */
type PolicyIndex = MemberIndex<PolicyEntry>;

/**
 * One index per policy value: a Workload Identity GSA's policy names every KSA that may impersonate it, and each of
 * those KSAs is evaluated against it. Policies are facts, read once and never changed afterwards.
 */
const policyIndexes = new WeakMap<Policy, PolicyIndex>();

function policyIndex(policy: Policy): PolicyIndex {
  let index = policyIndexes.get(policy);
  if (index !== undefined) return index;
  index = new MemberIndex<PolicyEntry>();
  let order = 0;
  for (const binding of policy.bindings ?? []) {
    for (const raw of binding.members ?? []) {
      const member = parsed(raw);
      if ('error' in member) continue;
      const always = member.type === 'allUsers' || member.type === 'allAuthenticatedUsers' || member.type === 'group';
      index.add({ order: order++, binding, raw, member }, member, always);
    }
  }
  policyIndexes.set(policy, index);
  return index;
}

/** What a scan has found so far. */
interface ScanState {
  result: PermissionEvaluation;
  groupGrants: GrantFinding[];
}

function finding(at: PolicyAt, binding: Binding, member: string): GrantFinding {
  return {
    resource: at.resource,
    level: at.level,
    role: binding.role,
    member,
    ...(binding.condition !== undefined ? { condition: binding.condition } : {}),
  };
}

/** Weigh one member of a binding: a grant, a conditional grant, an unresolved role, a group grant or a near miss. */
function visit(
  state: ScanState,
  args: EvaluationArgs,
  at: PolicyAt,
  binding: Binding,
  raw: string,
  member: Member,
  explain: boolean,
): void {
  const { permission, principal, roles } = args;
  const { result } = state;
  const rolePermissions = roles.permissions(binding.role);
  const hasPermission = rolePermissions.known && rolePermissions.permissions.has(permission);
  const m = matchMember(member, principal, explain);
  if (m.match) {
    if (!rolePermissions.known) {
      result.unresolvedRoles.push({ resource: at.resource, role: binding.role, reason: rolePermissions.reason });
    } else if (hasPermission) {
      (binding.condition !== undefined ? result.conditionalGrants : result.grants).push(finding(at, binding, raw));
    } else if (explain && member.type !== 'allUsers' && member.type !== 'allAuthenticatedUsers') {
      // A role the principal holds here but that falls short; public grants are not "meant" for it.
      const reason = lacksReason(
        binding.role,
        permission,
        rolePermissions.permissions.has(ACT_AS),
        rolePermissions.note,
      );
      result.nearMisses.push({ ...finding(at, binding, raw), reason });
    }
  } else if (hasPermission) {
    if (m.nearMiss !== undefined) {
      if (explain) result.nearMisses.push({ ...finding(at, binding, raw), reason: m.nearMiss });
    } else if (member.type === 'group') state.groupGrants.push(finding(at, binding, raw));
  }
}

/**
 * The evaluation; its near misses only when `explain` (otherwise `nearMisses` is left empty). Without near misses
 * only the members that can name the principal (and those every lookup visits) can change the outcome: the scan
 * looks them up in the policy's index. With them, every member is weighed.
 */
function scan(args: EvaluationArgs, explain: boolean): PermissionEvaluation {
  const state: ScanState = {
    result: {
      outcome: 'not-granted',
      grants: [],
      conditionalGrants: [],
      nearMisses: [],
      unreadable: [],
      unresolvedRoles: [],
    },
    groupGrants: [],
  };
  const { result } = state;
  const keys = explain ? [] : keysOfPrincipal(args.principal);

  for (const at of args.policies) {
    const { resource, policy } = at;
    if (policy.status === 'error' || policy.status === 'not-collected') {
      result.unreadable.push({ resource, message: `${policy.message} (${policy.source})` });
      continue;
    }
    if (policy.status === 'absent') continue;
    if (!explain) {
      for (const entry of policyIndex(policy.value).candidates(keys)) {
        visit(state, args, at, entry.binding, entry.raw, entry.member, false);
      }
      continue;
    }
    for (const binding of policy.value.bindings ?? []) {
      for (const raw of binding.members ?? []) {
        const member = parsed(raw);
        if (!('error' in member)) visit(state, args, at, binding, raw, member, true);
      }
    }
  }

  if (state.groupGrants.length > 0) result.groupGrants = state.groupGrants;
  result.outcome =
    result.grants.length > 0
      ? 'granted'
      : result.conditionalGrants.length > 0
        ? 'conditional'
        : result.unreadable.length > 0 || result.unresolvedRoles.length > 0
          ? 'unknown'
          : 'not-granted';
  return result;
}
