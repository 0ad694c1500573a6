// Roles → permissions: the predefined catalog shipped in data/ plus custom roles from the facts.
// Roles are resolved to permissions, never judged by name: owner/editor do not mint tokens.

import type { Facts } from '../facts.js';
import { loadCatalog, permissionIndex } from './catalog.js';

export type RolePermissions =
  | {
      known: true;
      permissions: ReadonlySet<string>;
      title?: string;
      /** Why the set is what it is when that is surprising (e.g. a deleted custom role grants nothing). */
      note?: string;
    }
  | { known: false; reason: string };

export interface RoleResolver {
  permissions(role: string): RolePermissions;
  /** Predefined roles that include the permission, fewest permissions first. */
  rolesWith(permission: string): string[];
  isPredefined(role: string): boolean;
}

const CUSTOM_ROLE = /^(projects|organizations)\/[^/]+\/roles\/[^/]+$/;

/** Permission sets of predefined roles, shared by every resolver (the catalog never changes in a run). */
const predefinedSets = new Map<string, RolePermissions>();

function predefined(role: string): RolePermissions {
  let cached = predefinedSets.get(role);
  if (cached === undefined) {
    const catalog = loadCatalog();
    const entry = catalog.roles.get(role);
    cached =
      entry === undefined
        ? {
            known: false,
            reason: `role \`${role}\` is not in the predefined role catalog (${catalog.source}): newer than the catalog, or misspelled`,
          }
        : {
            known: true,
            permissions: new Set(entry.permissions),
            ...(entry.title !== undefined ? { title: entry.title } : {}),
          };
    predefinedSets.set(role, cached);
  }
  return cached;
}

function custom(role: string, facts: Pick<Facts, 'customRole'>): RolePermissions {
  const fact = facts.customRole(role);
  if (fact.status !== 'present') {
    return { known: false, reason: `custom role \`${role}\`: ${fact.message} (${fact.source})` };
  }
  const value = fact.value;
  if (value.deleted === true) {
    return {
      known: true,
      permissions: new Set<string>(),
      note: `custom role \`${role}\` is deleted: its bindings grant nothing until it is undeleted`,
      ...(value.title !== undefined ? { title: value.title } : {}),
    };
  }
  return {
    known: true,
    permissions: new Set(value.includedPermissions ?? []),
    ...(value.title !== undefined ? { title: value.title } : {}),
  };
}

export function createRoleResolver(facts: Pick<Facts, 'customRole'>): RoleResolver {
  const customSets = new Map<string, RolePermissions>();
  return {
    permissions(role) {
      if (role.startsWith('roles/')) return predefined(role);
      if (CUSTOM_ROLE.test(role)) {
        let cached = customSets.get(role);
        if (cached === undefined) {
          cached = custom(role, facts);
          customSets.set(role, cached);
        }
        return cached;
      }
      return {
        known: false,
        reason: `\`${role}\` is no role name (roles/…, projects/P/roles/…, organizations/N/roles/…)`,
      };
    },
    rolesWith(permission) {
      return [...(permissionIndex().get(permission) ?? [])];
    },
    isPredefined(role) {
      return loadCatalog().roles.has(role);
    },
  };
}
