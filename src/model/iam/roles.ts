// CONTRACT STUB — implemented by the model helper. Signatures are fixed; bodies to be written.
// Roles → permissions: the predefined catalog shipped in data/ plus custom roles from the facts.

import type { Facts } from '../facts.js';

export type RolePermissions =
  | { known: true; permissions: ReadonlySet<string>; title?: string }
  | { known: false; reason: string };

export interface RoleResolver {
  permissions(role: string): RolePermissions;
  /** Predefined roles that include the permission, fewest permissions first. */
  rolesWith(permission: string): string[];
  isPredefined(role: string): boolean;
}

export declare function createRoleResolver(facts: Pick<Facts, 'customRole'>): RoleResolver;
