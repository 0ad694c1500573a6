// Predefined roles → permissions, from the catalog shipped in data/ (resolve roles from the
// catalog, never by role name). Loaded once, lazily, synchronously: it is a few MB and every IAM decision needs it.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

interface CatalogFile {
  roles: Record<string, { title?: string; stage?: string; permissions?: string[] }>;
}

export interface PredefinedRole {
  name: string;
  title: string;
  stage: string;
  permissions: ReadonlySet<string>;
}

const CATALOG_URL = new URL('../../../data/gcp-predefined-roles.json.gz', import.meta.url);

let catalog: Map<string, PredefinedRole> | undefined;

export function predefinedRoles(): Map<string, PredefinedRole> {
  if (catalog) return catalog;
  const parsed = JSON.parse(gunzipSync(readFileSync(CATALOG_URL)).toString('utf8')) as CatalogFile;
  const map = new Map<string, PredefinedRole>();
  for (const [name, role] of Object.entries(parsed.roles)) {
    map.set(name, {
      name,
      title: role.title ?? name,
      stage: role.stage ?? 'GA',
      permissions: new Set(role.permissions ?? []),
    });
  }
  catalog = map;
  return map;
}
