// Which binding grants permission P to principal X on a resource, through its own policy or an inherited
// one — or what is the nearest miss. Conditions are reported as conditional, never assumed true.

import type { Fact } from '../facts.js';
import type { Expr, Policy } from '../gcp.js';
import { matchMember, tryParseMember } from '../identifiers.js';
import type { Member, Principal } from '../identifiers.js';
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
  const evaluation = scan(args, false);
  let nearMisses: NearMiss[] | undefined;
  Object.defineProperty(evaluation, 'nearMisses', {
    get: () => (nearMisses ??= scan(args, true).nearMisses),
    enumerable: true,
    configurable: true,
  });
  return evaluation;
}

interface EvaluationArgs {
  permission: string;
  principal: Principal;
  policies: readonly PolicyAt[];
  roles: RoleResolver;
}

/** The evaluation; its near misses only when `explain` (otherwise `nearMisses` is left empty). */
function scan(args: EvaluationArgs, explain: boolean): PermissionEvaluation {
  const { permission, principal, policies, roles } = args;
  const result: PermissionEvaluation = {
    outcome: 'not-granted',
    grants: [],
    conditionalGrants: [],
    nearMisses: [],
    unreadable: [],
    unresolvedRoles: [],
  };
  const groupGrants: GrantFinding[] = [];

  for (const { resource, level, policy } of policies) {
    if (policy.status === 'error' || policy.status === 'not-collected') {
      result.unreadable.push({ resource, message: `${policy.message} (${policy.source})` });
      continue;
    }
    if (policy.status === 'absent') continue;

    for (const binding of policy.value.bindings ?? []) {
      const members = binding.members ?? [];
      if (members.length === 0) continue;
      const rolePermissions = roles.permissions(binding.role);
      const hasPermission = rolePermissions.known && rolePermissions.permissions.has(permission);
      const finding = (member: string): GrantFinding => ({
        resource,
        level,
        role: binding.role,
        member,
        ...(binding.condition !== undefined ? { condition: binding.condition } : {}),
      });

      for (const raw of members) {
        const member = parsed(raw);
        if ('error' in member) continue;
        const m = matchMember(member, principal, explain);
        if (m.match) {
          if (!rolePermissions.known) {
            result.unresolvedRoles.push({ resource, role: binding.role, reason: rolePermissions.reason });
          } else if (hasPermission) {
            (binding.condition !== undefined ? result.conditionalGrants : result.grants).push(finding(raw));
          } else if (explain && member.type !== 'allUsers' && member.type !== 'allAuthenticatedUsers') {
            // A role the principal holds here but that falls short; public grants are not "meant" for it.
            const reason = lacksReason(
              binding.role,
              permission,
              rolePermissions.permissions.has(ACT_AS),
              rolePermissions.note,
            );
            result.nearMisses.push({ ...finding(raw), reason });
          }
        } else if (hasPermission) {
          if (m.nearMiss !== undefined) {
            if (explain) result.nearMisses.push({ ...finding(raw), reason: m.nearMiss });
          } else if (member.type === 'group') groupGrants.push(finding(raw));
        }
      }
    }
  }

  if (groupGrants.length > 0) result.groupGrants = groupGrants;
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
