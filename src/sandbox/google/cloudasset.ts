// Cloud Asset Inventory v1 searchAllResources (projects and GKE clusters, for finding a scope's clusters) and
// searchAllIamPolicies over organizations/N, folders/N or projects/P: every IAM
// policy the world holds under the scope (organization, folders, projects, service accounts, buckets), each
// result holding only the bindings that match the query, with explanation.matchedPermissions for permission
// queries; paged; assetTypes filter (exact names or RE2-style patterns).
//
// Query syntax played: terms joined by AND (or juxtaposition) and OR, NOT/-, parentheses;
//   policy:X / policy="X"                 a binding whose role or a member contains X (case-insensitive)
//   policy.role.permissions:P             a binding whose role includes permission P (prefix match with `*`)
//   resource:X                            the resource's full name contains X
//   memberTypes:T                         a binding with a member of type T (user, serviceAccount, principal…)
//   free text                             any of the above contains it

import type { Binding, Policy } from '../../model/gcp.js';
import { googleError, googleNotFoundRoute, permissionDenied } from '../http/errors.js';
import { RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { ResourceLevel } from '../iam/engine.js';
import type { World } from '../world.js';
import { authenticate, renderPolicy } from './common.js';
import { FilterSyntaxError, parseFilter } from './logging-filter.js';

interface Asset {
  resource: string;
  assetType: string;
  /** projects/NUMBER for resources inside a project; absent for folders and the organization. */
  project?: string;
  folders: string[];
  organization?: string;
  policy: Policy;
  /** What the scope test needs: the project id, or the folder/organization name itself. */
  within: string[];
}

function assets(world: World): Asset[] {
  const out: Asset[] = [];
  const withPolicy = (key: string): Policy => renderPolicy(world.policies.read(key), 3);
  if (world.organization) {
    const org = `organizations/${world.organization.id}`;
    out.push({
      resource: `//cloudresourcemanager.googleapis.com/${org}`,
      assetType: 'cloudresourcemanager.googleapis.com/Organization',
      folders: [],
      organization: org,
      policy: withPolicy(org),
      within: [org],
    });
  }
  for (const [name, f] of world.folders) {
    const above = world.ancestorChain(f.parent).map((l) => l.name);
    const org = above.find((n) => n.startsWith('organizations/'));
    out.push({
      resource: `//cloudresourcemanager.googleapis.com/${name}`,
      assetType: 'cloudresourcemanager.googleapis.com/Folder',
      folders: [name, ...above.filter((n) => n.startsWith('folders/'))],
      ...(org ? { organization: org } : {}),
      policy: withPolicy(name),
      within: [name, ...above],
    });
  }
  for (const p of world.projects.values()) {
    const anc = world.ancestry(p.id);
    const base = {
      project: `projects/${p.number}`,
      folders: anc.folders,
      ...(anc.organization ? { organization: anc.organization } : {}),
      within: [`projects/${p.id}`, ...anc.folders, ...(anc.organization ? [anc.organization] : [])],
    };
    out.push({
      resource: `//cloudresourcemanager.googleapis.com/projects/${p.number}`,
      assetType: 'cloudresourcemanager.googleapis.com/Project',
      policy: withPolicy(`projects/${p.id}`),
      ...base,
    });
    for (const g of world.gsas.filter((x) => !x.deleted && x.projectId === p.id))
      out.push({
        resource: `//iam.googleapis.com/projects/${p.id}/serviceAccounts/${g.uniqueId}`,
        assetType: 'iam.googleapis.com/ServiceAccount',
        policy: withPolicy(`sa/${g.uniqueId}`),
        ...base,
      });
    for (const b of [...world.buckets.values()].filter((x) => x.projectId === p.id))
      out.push({
        resource: `//storage.googleapis.com/${b.name}`,
        assetType: 'storage.googleapis.com/Bucket',
        policy: withPolicy(`buckets/${b.name}`),
        ...base,
      });
  }
  return out;
}

/**
 * What searchAllResources plays: projects and GKE clusters as ResourceSearchResult (name, assetType, project as
 * projects/NUMBER, folders, organization, displayName, location), each with the names of the scopes it lies in.
 */
function resources(world: World): { view: Record<string, unknown>; within: string[] }[] {
  const out: { view: Record<string, unknown>; within: string[] }[] = [];
  for (const p of world.projects.values()) {
    const anc = world.ancestry(p.id);
    const place = {
      project: `projects/${p.number}`,
      ...(anc.folders.length > 0 ? { folders: anc.folders } : {}),
      ...(anc.organization ? { organization: anc.organization } : {}),
    };
    const within = [`projects/${p.id}`, ...anc.folders, ...(anc.organization ? [anc.organization] : [])];
    out.push({
      view: {
        name: `//cloudresourcemanager.googleapis.com/projects/${p.number}`,
        assetType: 'cloudresourcemanager.googleapis.com/Project',
        ...place,
        displayName: p.id,
        location: 'global',
      },
      within,
    });
    for (const c of world.clusters.filter((x) => x.project === p.id))
      out.push({
        view: {
          name: `//container.googleapis.com/projects/${p.id}/locations/${c.location}/clusters/${c.name}`,
          assetType: 'container.googleapis.com/Cluster',
          ...place,
          displayName: c.name,
          location: c.location,
        },
        within,
      });
  }
  return out;
}

/** The scope's own resource chain (for the caller's permission) and the name assets must lie within. */
function scopeOf(world: World, scope: string): { chain: ResourceLevel[]; name: string } | undefined {
  const m = /^(projects|folders|organizations)\/([^/]+)$/.exec(scope);
  if (!m) return undefined;
  if (m[1] === 'projects') {
    const p = world.project(m[2] ?? '');
    return p ? { chain: world.projectChain(p.id), name: `projects/${p.id}` } : undefined;
  }
  if (m[1] === 'folders' && !world.folders.has(scope)) return undefined;
  if (m[1] === 'organizations' && world.organization?.id !== m[2]) return undefined;
  return { chain: world.ancestorChain(scope), name: scope };
}

function typeMatches(patterns: string[], type: string): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) =>
    /[.*+?^${}()|[\]\\]/.test(p.replace(/\./g, '')) ? new RegExp(`^(?:${p})$`).test(type) : p === type,
  );
}

function memberType(m: string): string {
  const i = m.indexOf(':');
  return i > 0 ? m.slice(0, i) : m;
}

export function cloudAssetRoutes(world: World): RouteTable {
  const pages = new SearchPages();
  return new RouteTable(
    [
      {
        method: 'GET',
        path: '/v1/{scope=**}:searchAllIamPolicies',
        handler: (req: SandboxRequest) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const permission = 'cloudasset.assets.searchAllIamPolicies';
          const scope = scopeOf(world, req.params.scope ?? '');
          if (!scope || !world.check(auth.principal, permission, scope.chain).allowed)
            return permissionDenied(permission, 'cloudasset.googleapis.com');
          const next = pages.next(req.query.get('pageToken'), req.query.get('pageSize'));
          if (next !== undefined) return next;
          const query = req.query.get('query') ?? '';
          let permissionTerms: string[];
          let bindingMatches: (b: Binding, resource: string) => boolean;
          try {
            ({ permissionTerms, bindingMatches } = compileQuery(world, query));
          } catch (e) {
            // UNVERIFIED: Cloud Asset's wording for a query it cannot parse.
            if (e instanceof FilterSyntaxError) return googleError(400, `Invalid query: ${e.message}`);
            throw e;
          }
          const types = req.query.getAll('assetTypes').flatMap((t) => t.split(','));
          try {
            types.forEach((t) => new RegExp(t));
          } catch {
            return googleError(400, `Invalid asset type pattern in ${types.join(', ')}`);
          }
          // Per request, each role's matching permissions once: owner alone holds over 13,000 permissions and
          // is bound on every project of an organization.
          const terms = permissionTerms.map((t) => t.toLowerCase());
          const matchedByRole = new Map<string, string[]>();
          const matchedPermissions = (role: string): string[] => {
            let perms = matchedByRole.get(role);
            if (perms === undefined) {
              perms = [...(world.rolePermissions(role) ?? [])].filter((p) => permissionMatches(p, terms)).sort();
              matchedByRole.set(role, perms);
            }
            return perms;
          };
          const results = [];
          for (const a of assets(world)) {
            if (!a.within.includes(scope.name) || !typeMatches(types, a.assetType)) continue;
            const bindings = (a.policy.bindings ?? []).filter((b) => bindingMatches(b, a.resource));
            if (bindings.length === 0) continue;
            const r: Record<string, unknown> = { resource: a.resource, assetType: a.assetType };
            if (a.project) r.project = a.project;
            if (a.folders.length > 0) r.folders = a.folders;
            if (a.organization) r.organization = a.organization;
            r.policy = { bindings };
            if (permissionTerms.length > 0) {
              const matched: Record<string, { permissions: string[] }> = {};
              for (const b of bindings) {
                const perms = matchedPermissions(b.role);
                if (perms.length > 0) matched[b.role] = { permissions: perms };
              }
              r.explanation = { matchedPermissions: matched };
            }
            results.push(r);
          }
          return { status: 200, json: pages.page(results, req.query.get('pageSize')) };
        },
      },
      {
        method: 'GET',
        path: '/v1/{scope=**}:searchAllResources',
        handler: (req: SandboxRequest) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const permission = 'cloudasset.assets.searchAllResources';
          const scope = scopeOf(world, req.params.scope ?? '');
          if (!scope || !world.check(auth.principal, permission, scope.chain).allowed)
            return permissionDenied(permission, 'cloudasset.googleapis.com');
          const next = pages.next(req.query.get('pageToken'), req.query.get('pageSize'));
          if (next !== undefined) return next;
          let matches: (view: Record<string, unknown>) => boolean;
          try {
            matches = parseFilter(req.query.get('query') ?? '');
          } catch (e) {
            // UNVERIFIED: Cloud Asset's wording for a query it cannot parse.
            if (e instanceof FilterSyntaxError) return googleError(400, `Invalid query: ${e.message}`);
            throw e;
          }
          const types = req.query.getAll('assetTypes').flatMap((t) => t.split(','));
          try {
            types.forEach((t) => new RegExp(t));
          } catch {
            return googleError(400, `Invalid asset type pattern in ${types.join(', ')}`);
          }
          const results = resources(world).filter(
            (r) => r.within.includes(scope.name) && typeMatches(types, r.view.assetType as string) && matches(r.view),
          );
          return {
            status: 200,
            json: pages.page(
              results.map((r) => r.view),
              req.query.get('pageSize'),
            ),
          };
        },
      },
    ],
    (req) => googleNotFoundRoute('cloudasset', req.method, req.path),
  );
}

/** Whether a permission matches any of the (lower-cased) query terms: `prefix*`, or the text anywhere in it. */
function permissionMatches(permission: string, terms: readonly string[]): boolean {
  const p = permission.toLowerCase();
  return terms.some((t) => (t.endsWith('*') ? p.startsWith(t.slice(0, -1)) : p.includes(t)));
}

/**
 * Page tokens of the searches: the first page computes every result and later pages are served from that
 * snapshot (the API's page tokens are opaque, and a search is not recomputed per page). A few snapshots are
 * kept, oldest dropped first; an unknown token is INVALID_ARGUMENT.
 */
class SearchPages {
  private readonly snapshots = new Map<string, readonly unknown[]>();
  private counter = 0;

  /** The page a token names, or undefined for a first page. */
  next(token: string | null, pageSize: string | null): SandboxResponse | undefined {
    if (token === null || token === '') return undefined;
    const m = /^s(\d+)\.(\d+)$/.exec(token);
    const results = m ? this.snapshots.get(`s${m[1] ?? ''}`) : undefined;
    // UNVERIFIED: Cloud Asset's wording for a page token it does not know.
    if (m === null || results === undefined) return googleError(400, `Invalid page token: ${token}`);
    return { status: 200, json: this.slice(`s${m[1] ?? ''}`, results, Number(m[2]), pageSize) };
  }

  /** The first page of `results`, keeping them for the pages after it. */
  page(results: readonly unknown[], pageSize: string | null): Record<string, unknown> {
    const id = `s${++this.counter}`;
    const out = this.slice(id, results, 0, pageSize);
    if (out.nextPageToken !== undefined) {
      this.snapshots.set(id, results);
      if (this.snapshots.size > 16) this.snapshots.delete(this.snapshots.keys().next().value ?? '');
    }
    return out;
  }

  private slice(
    id: string,
    results: readonly unknown[],
    from: number,
    pageSize: string | null,
  ): Record<string, unknown> {
    const size = Math.min(Number(pageSize ?? 20) || 20, 500);
    const out: Record<string, unknown> = {};
    const page = results.slice(from, from + size);
    if (page.length > 0) out.results = page;
    if (from + size < results.length) out.nextPageToken = `${id}.${from + size}`;
    return out;
  }
}

/**
 * The query, evaluated per binding with the logging filter parser over a view of the binding: `policy` holds
 * its role and members, `policy.role.permissions` the role's permissions, `resource` the resource name.
 */
function compileQuery(
  world: World,
  query: string,
): { permissionTerms: string[]; bindingMatches: (b: Binding, resource: string) => boolean } {
  const permissionTerms = [...query.matchAll(/policy\.role\.permissions\s*[:=]\s*"?([^\s")]+)"?/g)].map(
    (m) => m[1] ?? '',
  );
  const predicate = parseFilter(query.replace(/(policy\.role\.permissions\s*[:=]\s*)"?([^\s")]*)\*"?/g, '$1"$2"'));
  const bindingMatches = (b: Binding, resource: string): boolean =>
    predicate({
      // `policy:X` compares the strings (role, members); `policy.role.permissions:P` descends into the object.
      policy: [b.role, ...(b.members ?? []), { role: { permissions: [...(world.rolePermissions(b.role) ?? [])] } }],
      resource,
      memberTypes: (b.members ?? []).map(memberType),
    });
  return { permissionTerms, bindingMatches };
}
