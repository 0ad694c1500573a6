// CONTRACT STUB — implemented by the model helper. Signatures are fixed; bodies to be written.
// Which binding grants permission P to principal X on a resource, through its own policy or an inherited
// one — or what is the nearest miss. Conditions are reported as conditional, never assumed true.

import type { Fact } from '../facts.js';
import type { Expr, Policy } from '../gcp.js';
import type { Principal } from '../identifiers.js';
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
}

export declare function evaluatePermission(args: {
  permission: string;
  principal: Principal;
  policies: readonly PolicyAt[];
  roles: RoleResolver;
}): PermissionEvaluation;
