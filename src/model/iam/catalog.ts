// The predefined role catalog shipped in data/ (see NOTICE.md): read once, on first use, synchronously,
// because role resolution sits inside pure checks that must not become async.

import { editDistance } from '../edit-distance.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export interface PredefinedRole {
  title?: string;
  stage?: string;
  permissions: readonly string[];
}

export interface RoleCatalog {
  /** Where the data came from (dataset and commit). */
  source: string;
  roles: ReadonlyMap<string, PredefinedRole>;
}

/** src/model/iam (vitest) and dist/model/iam (built) are both three levels below the package root. */
export const CATALOG_URL = new URL('../../../data/gcp-predefined-roles.json.gz', import.meta.url);

let catalog: RoleCatalog | undefined;
let index: ReadonlyMap<string, readonly string[]> | undefined;

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Validate the file's shape at the boundary: a broken install should say so, not grant nothing silently. */
export function parseCatalog(json: unknown, where: string): RoleCatalog {
  const bad = (why: string): Error => new Error(`role catalog ${where}: ${why}`);
  if (typeof json !== 'object' || json === null) throw bad('not a JSON object');
  const { source, roles } = json as { source?: unknown; roles?: unknown };
  if (typeof roles !== 'object' || roles === null) throw bad('`roles` is missing');
  const map = new Map<string, PredefinedRole>();
  for (const [name, value] of Object.entries(roles)) {
    const { permissions, title, stage } = (value ?? {}) as { permissions?: unknown; title?: unknown; stage?: unknown };
    if (!isStringArray(permissions)) throw bad(`role \`${name}\` has no permissions list`);
    map.set(name, {
      permissions,
      ...(typeof title === 'string' ? { title } : {}),
      ...(typeof stage === 'string' ? { stage } : {}),
    });
  }
  return { source: typeof source === 'string' ? source : 'unknown', roles: map };
}

export function loadCatalog(): RoleCatalog {
  if (catalog === undefined) {
    const path = fileURLToPath(CATALOG_URL);
    const json: unknown = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'));
    catalog = parseCatalog(json, path);
  }
  return catalog;
}

/** permission → predefined roles that include it, fewest permissions first, then by name. */
export function permissionIndex(): ReadonlyMap<string, readonly string[]> {
  if (index === undefined) {
    // Service-agent roles are for Google's own agents and deprecated roles are on their way out: a person
    // should be offered them last, whatever their size.
    const rank = (name: string, stage: string | undefined): number =>
      (/serviceAgent$/i.test(name) ? 2 : 0) + (stage === 'DEPRECATED' ? 1 : 0);
    const roles = [...loadCatalog().roles].sort(
      ([a, ra], [b, rb]) =>
        rank(a, ra.stage) - rank(b, rb.stage) ||
        ra.permissions.length - rb.permissions.length ||
        (a < b ? -1 : a > b ? 1 : 0),
    );
    const built = new Map<string, string[]>();
    // Visiting roles in their final order keeps every list sorted without sorting each one.
    for (const [name, role] of roles) {
      for (const permission of role.permissions) {
        const list = built.get(permission);
        if (list === undefined) built.set(permission, [name]);
        else list.push(name);
      }
    }
    index = built;
  }
  return index;
}

/** A permission some predefined role includes (the catalog's view of which permissions exist). */
export function isKnownPermission(permission: string): boolean {
  return permissionIndex().has(permission);
}

/** Known permissions closest to a misspelt one (same service first), for "did you mean". */
export function similarPermissions(wanted: string, limit = 3): string[] {
  return [...permissionIndex().keys()]
    .map((p) => ({ p, d: editDistance(p, wanted, 3) }))
    .filter(({ d }) => d <= 3)
    .sort((a, b) => a.d - b.d || a.p.localeCompare(b.p))
    .slice(0, limit)
    .map(({ p }) => p);
}
