// Near misses: bindings that were probably meant for the principal but do not grant the permission.
// "binding exists for namespace `shop-prod`, the pod runs in `shop`" beats "binding missing". The policy
// evaluator gives its own near misses; this module adds the Workload Identity member analysis (which field
// of the member differs, and the cross-project pool mistake: a member written with the GSA project's pool) and ranks them all, so the
// cause names the best one:
//   1. a member for another namespace, KSA, uid or pool with a role that has the permission;
//   2. the right member with a role that lacks it (e.g. roles/iam.serviceAccountUser);
//   3. a deleted member (the grant was made to an account since deleted);
//   4. other members of the account's own policy (a different member, a role without the permission).

import { editDistance } from '../../model/edit-distance.js';
import { policyReadCommand } from './collect-hints.js';
import type { KsaPrincipal } from '../../engine/subject.js';
import type { Expr } from '../../model/gcp.js';
import type { NearMiss, PermissionEvaluation, PolicyAt, PolicyLevel } from '../../model/iam/evaluate.js';
import type { RoleResolver } from '../../model/iam/roles.js';
import { matchMember, poolOf, projectOfPool, tryParseMember } from '../../model/identifiers.js';
import type { Member, Principal } from '../../model/identifiers.js';

export interface RankedMiss {
  resource: string;
  level: PolicyLevel;
  role: string;
  member: string;
  condition?: Expr;
  reason: string;
  rank: 1 | 2 | 3 | 4;
}

const ACT_AS = 'iam.serviceAccounts.actAs';

/** Does the role include the permission? undefined when the role cannot be resolved. */
export function roleHas(roles: RoleResolver, role: string, permission: string): boolean | undefined {
  const resolved = roles.permissions(role);
  return resolved.known ? resolved.permissions.has(permission) : undefined;
}

function poolDifference(memberPool: string, ksa: KsaPrincipal, gsaProject: string | undefined): string | undefined {
  if (ksa.pool === undefined || memberPool === ksa.pool) return undefined;
  const clusterProject = projectOfPool(ksa.pool);
  if (gsaProject !== undefined && gsaProject !== clusterProject && memberPool === poolOf(gsaProject)) {
    return (
      `member uses pool \`${memberPool}\` of the GSA's project \`${gsaProject}\`, but the cluster's pool is ` +
      `\`${ksa.pool}\`: the member must use the cluster's pool even when the GSA lives in another project`
    );
  }
  return `member uses pool \`${memberPool}\`, the cluster's pool is \`${ksa.pool}\``;
}

/**
 * Which fields of a Workload Identity member differ from the KSA's principal, in words; undefined when the
 * member is no Workload Identity form (or nothing differs that can be named).
 */
export function describeWiMismatch(member: Member, ksa: KsaPrincipal, gsaProject?: string): string | undefined {
  const diffs: string[] = [];
  const pool = (p: string): void => {
    const d = poolDifference(p, ksa, gsaProject);
    if (d !== undefined) diffs.push(d);
  };
  const namespace = (ns: string): void => {
    if (ns !== ksa.namespace) diffs.push(`member is for namespace \`${ns}\`, the pod runs in \`${ksa.namespace}\``);
  };
  const name = (k: string): void => {
    if (k !== ksa.name) diffs.push(`member is for KSA \`${k}\`, the pods run as \`${ksa.name}\``);
  };
  const number = (n: string): void => {
    if (ksa.poolProjectNumber !== undefined && n !== ksa.poolProjectNumber) {
      diffs.push(`member names project number \`${n}\`, the pool's project number is \`${ksa.poolProjectNumber}\``);
    }
  };
  switch (member.type) {
    case 'wi-legacy':
      pool(member.pool);
      namespace(member.namespace);
      name(member.ksa);
      break;
    case 'wi-subject':
      pool(member.pool);
      number(member.projectNumber);
      namespace(member.namespace);
      name(member.ksa);
      break;
    case 'wi-uid':
      pool(member.pool);
      number(member.projectNumber);
      if (member.uid !== ksa.uid) {
        diffs.push(
          ksa.uid === undefined
            ? `member names KSA uid \`${member.uid}\`; the uid of \`${ksa.namespace}/${ksa.name}\` is unknown`
            : `member names KSA uid \`${member.uid}\`, \`${ksa.namespace}/${ksa.name}\` has uid \`${ksa.uid}\` (recreated KSA?)`,
        );
      }
      break;
    case 'wi-namespace':
      pool(member.pool);
      number(member.projectNumber);
      namespace(member.namespace);
      break;
    case 'wi-cluster':
      pool(member.pool);
      number(member.projectNumber);
      if (member.clusterUrl !== ksa.clusterUrl) {
        diffs.push(`member is for cluster \`${member.clusterUrl}\`, the pods run in \`${ksa.clusterUrl}\``);
      }
      break;
    default:
      return undefined;
  }
  return diffs.length > 0 ? diffs.join('; ') : undefined;
}

function deletedRefersTo(inner: Member, principal: Principal): boolean {
  if (principal.type === 'serviceAccount') {
    return inner.type === 'serviceAccount' && inner.email.toLowerCase() === principal.email.toLowerCase();
  }
  return matchMember(inner, principal).match;
}

function lacksReason(role: string, permission: string, resource: string, roles: RoleResolver): string {
  const base = `role \`${role}\` on \`${resource}\` does not include \`${permission}\``;
  return roleHas(roles, role, ACT_AS) === true && permission === 'iam.serviceAccounts.getAccessToken'
    ? `${base}: it grants \`${ACT_AS}\` (actAs), which does not mint tokens`
    : base;
}

export interface NearMissArgs {
  permission: string;
  principal: Principal;
  policies: readonly PolicyAt[];
  roles: RoleResolver;
  evaluation: PermissionEvaluation;
  /** The GSA's project, to recognise a member written with its pool instead of the cluster's. */
  gsaProject?: string | undefined;
}

const LEVEL_ORDER: Record<PolicyLevel, number> = {
  'service-account': 0,
  resource: 0,
  project: 1,
  folder: 2,
  organization: 3,
};

/** Near misses, best first. */
export function rankNearMisses(args: NearMissArgs): RankedMiss[] {
  const { permission, principal, policies, roles, evaluation } = args;
  const found = new Map<string, RankedMiss>();
  const key = (resource: string, role: string, member: string): string => `${resource}\n${role}\n${member}`;
  const add = (miss: RankedMiss): void => {
    const k = key(miss.resource, miss.role, miss.member);
    const prior = found.get(k);
    if (prior === undefined || miss.rank < prior.rank) found.set(k, miss);
  };

  for (const at of policies) {
    if (at.policy.status !== 'present') continue;
    for (const binding of at.policy.value.bindings ?? []) {
      const has = roleHas(roles, binding.role, permission);
      for (const raw of binding.members ?? []) {
        const parsed = tryParseMember(raw);
        if (!parsed.ok) continue;
        const member = parsed.member;
        // Made field by field, not spread from a shared base: every member of the policies passes here.
        const miss = (rank: RankedMiss['rank'], reason: string): RankedMiss => {
          const m: RankedMiss = {
            resource: at.resource,
            level: at.level,
            role: binding.role,
            member: raw,
            reason,
            rank,
          };
          if (binding.condition !== undefined) m.condition = binding.condition;
          return m;
        };
        const matched = matchMember(member, principal);
        if (matched.match) {
          if (has === false) add(miss(2, lacksReason(binding.role, permission, at.resource, roles)));
          continue;
        }
        if (member.type === 'deleted') {
          if (deletedRefersTo(member.member, principal)) {
            add(
              miss(
                3,
                `member \`${raw}\` is a deleted account (uid \`${member.uid}\`): its grants do not apply to an ` +
                  `account recreated with the same email`,
              ),
            );
          }
          continue;
        }
        const ownPolicy = at.level === 'service-account' || at.level === 'resource';
        let reason: string | undefined;
        if (principal.type === 'ksa') reason = describeWiMismatch(member, principal.ksa, args.gsaProject);
        else if (member.type === 'serviceAccount' && editDistance(member.email, principal.email, 3) <= 3) {
          reason = `member \`${raw}\` is not \`serviceAccount:${principal.email}\``;
        }
        reason ??= matched.nearMiss;
        if (reason === undefined) continue;
        if (has === true) add(miss(1, reason));
        else if (ownPolicy) add(miss(4, `${reason}; and ${lacksReason(binding.role, permission, at.resource, roles)}`));
      }
    }
  }

  // The evaluator may know members this scan does not (other forms): add those it alone found.
  for (const miss of evaluation.nearMisses) {
    if (!found.has(key(miss.resource, miss.role, miss.member)))
      addEvaluatorMiss(miss, principal, roles, permission, add);
  }

  return [...found.values()].sort(
    (a, b) => a.rank - b.rank || LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] || a.reason.length - b.reason.length,
  );
}

function addEvaluatorMiss(
  miss: NearMiss,
  principal: Principal,
  roles: RoleResolver,
  permission: string,
  add: (m: RankedMiss) => void,
): void {
  const parsed = tryParseMember(miss.member);
  if (!parsed.ok) return;
  const has = roleHas(roles, miss.role, permission);
  const matched = matchMember(parsed.member, principal).match;
  const rank = parsed.member.type === 'deleted' ? 3 : matched ? (has === false ? 2 : 4) : has === true ? 1 : 4;
  add({
    resource: miss.resource,
    level: miss.level,
    role: miss.role,
    member: miss.member,
    ...(miss.condition !== undefined ? { condition: miss.condition } : {}),
    reason: miss.reason,
    rank,
  });
}

/** One line per near miss, for evidence.notes. */
export function formatNearMiss(miss: RankedMiss): string {
  return `near miss on \`${miss.resource}\`: \`${miss.role}\` to \`${miss.member}\` — ${miss.reason}`;
}

/** A near miss the policies that were read show, offered as the most likely cause of an `unknown`. */
export interface LikelyCause {
  miss: RankedMiss;
  /** The one read that settles it: the failed read of the policy that could still hold a grant. */
  settle: string;
}

/**
 * When a needed policy could not be read, the nearest miss among the policies that were read is the most likely
 * cause (a binding for another namespace or pool, `serviceAccountUser` where token creation is needed, a grant to
 * a deleted account): the policy that could not be read may still hold the grant, so the result stays unknown,
 * but it names what it did see and the read that would settle it. Undefined when no policy was unreadable or
 * nothing read comes close (other members' unrelated roles are no sign).
 */
export function likelyCause(
  misses: readonly RankedMiss[],
  unreadable: readonly { resource: string }[],
): LikelyCause | undefined {
  const [blocked] = unreadable;
  const best = misses.find((m) => m.rank <= 3);
  if (blocked === undefined || best === undefined) return undefined;
  const settle =
    policyReadCommand(blocked.resource) ?? `read the IAM policy of \`${blocked.resource}\` with an identity allowed to`;
  return { miss: best, settle };
}

/** "most likely cause …" for the cause sentence of an unknown. */
export function describeLikely(likely: LikelyCause): string {
  const m = likely.miss;
  return (
    `; most likely cause, in the policies that were read: ${m.reason} (\`${m.role}\` to \`${m.member}\` on ` +
    `\`${m.resource}\`); settle it with \`${likely.settle}\``
  );
}
