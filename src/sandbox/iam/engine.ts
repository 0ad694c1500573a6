// The sandbox's own IAM decision: does a principal hold a permission on a resource, through the policies of
// the resource and its ancestors, with roles resolved from the catalog (or the project's custom roles),
// conditions evaluated, `deleted:` members inert.

import type { Policy } from '../../model/gcp.js';
import { evaluateCondition } from './condition.js';
import { matchingMembers, normalizeMember, type Principal } from './principal.js';

/** One level of the resource hierarchy: the policy key and the attributes conditions may test. */
export interface ResourceLevel {
  policyKey: string;
  name: string;
  type: string;
  service: string;
}

export interface IamContext {
  effectivePolicy(key: string): Policy | undefined;
  /** Permissions of a role, or undefined when the role does not exist. */
  rolePermissions(role: string): ReadonlySet<string> | undefined;
  now(): number;
}

export interface Decision {
  allowed: boolean;
  /** The binding that granted it, for audit and debugging. */
  via?: { policyKey: string; role: string; member: string };
}

export function checkPermission(
  ctx: IamContext,
  principal: Principal,
  permission: string,
  chain: ResourceLevel[],
  /** Members that name the principal indirectly (`projectOwner:P` on buckets). */
  extraMembers: Iterable<string> = [],
): Decision {
  const members = matchingMembers(principal);
  for (const m of extraMembers) members.add(m);
  const target = chain[0];
  for (const level of chain) {
    const policy = ctx.effectivePolicy(level.policyKey);
    for (const binding of policy?.bindings ?? []) {
      const perms = ctx.rolePermissions(binding.role);
      if (!perms?.has(permission)) continue;
      const member = (binding.members ?? []).map(normalizeMember).find((m) => members.has(m));
      if (member === undefined) continue;
      if (binding.condition && (policy?.version ?? 1) >= 3) {
        const ok = evaluateCondition(binding.condition.expression, {
          requestTime: new Date(ctx.now()),
          resourceName: target?.name,
          resourceType: target?.type,
          resourceService: target?.service,
        });
        if (!ok) continue;
      } else if (binding.condition) {
        // A condition in a version-1 policy cannot be trusted to have been understood: deny.
        continue;
      }
      return { allowed: true, via: { policyKey: level.policyKey, role: binding.role, member } };
    }
  }
  return { allowed: false };
}
