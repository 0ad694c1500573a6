// Which Cloud Asset Inventory searches a run makes: `--scope organizations/N|folders/N|projects/P`, `auto`
// (the organization above the cluster's project, else its top folder, else the project) or `none`. One search per
// scope covers every cluster of the run: every binding naming a Workload Identity member and every binding whose
// role mints tokens (src/model/iam/asset-search.ts), on every asset type. Token-minting grants matter only on a
// service account and its ancestors, but `assetTypes` applies to a whole request: restricting those terms would
// cost a second request per scope and return shared resources twice (docs/fleet.md, "Asset types").

import { UsageError } from '../../engine/errors.js';
import { FLEET_COVERAGE, searchQuery } from '../../model/iam/asset-search.js';
import type { AssetSearchRequest } from './collect.js';
import type { GoogleApi } from './google.js';

export type ScopeFlag = { kind: 'none' } | { kind: 'auto' } | { kind: 'scope'; scope: string };

const SCOPE = /^(?:organizations\/\d+|folders\/\d+|projects\/[a-z0-9][-a-z0-9.:]*[a-z0-9])$/;

export function isScope(value: string): boolean {
  return SCOPE.test(value);
}

/** `--scope`: a scope, `auto` or `none`; anything else is a usage error naming the flag. */
export function parseScopeFlag(value: string | undefined, fallback: 'auto' | 'none', flag = '--scope'): ScopeFlag {
  if (value === undefined) return { kind: fallback };
  if (value === 'auto' || value === 'none') return { kind: value };
  if (isScope(value)) return { kind: 'scope', scope: value };
  throw new UsageError(
    `${flag} ${JSON.stringify(value)}: expected organizations/NUMBER, folders/NUMBER, projects/PROJECT, auto or none`,
  );
}

/** The widest scope above a project that its ancestry names: the organization, else the top folder, else itself. */
export async function autoScope(google: GoogleApi, project: string): Promise<{ scope: string; note?: string }> {
  const ancestry = await google.ancestry(project);
  if (!ancestry.ok) {
    return {
      scope: `projects/${project}`,
      note: `the organization above ${project} is unknown (${ancestry.message}): Cloud Asset Inventory is searched in projects/${project} only`,
    };
  }
  const top = ancestry.value.at(-1);
  return { scope: top ?? `projects/${project}` };
}

/** The search over a scope that every collector of a run shares. */
export function fleetSearch(scope: string): AssetSearchRequest {
  return { scope, query: searchQuery(FLEET_COVERAGE) };
}

/** Every binding naming one service account, in a scope: what that account can reach. */
export function memberSearch(scope: string, email: string): AssetSearchRequest {
  return { scope, query: searchQuery({ memberTerms: [email], permissions: [] }), label: email };
}
