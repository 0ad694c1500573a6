// The reads `who-can --gsa` needs that no cluster holds: the account, its policy, its project's policy, the
// folders' and organization's above, the custom roles they name, and the asset searches. Into the same in-memory
// bundle shape as a cluster's collection (the manifest's cluster names the account's project), so the facts are
// built by the same reader and evaluated by the same code.

import { IdentifierError, parseServiceAccountEmail } from '../../model/identifiers.js';
import type { BundleInput, FileEntry } from '../bundle/facts.js';
import { paths } from '../bundle/layout.js';
import type { CallOutcome } from './calls.js';
import type { AssetSearchRequest } from './collect.js';
import type { GoogleApi } from './google.js';

const CUSTOM_ROLE = /^(projects|organizations)\/[^/]+\/roles\/[^/]+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The project id an email names, if it names one. */
export function projectOfEmail(email: string): string | undefined {
  try {
    const parsed = parseServiceAccountEmail(email);
    return parsed.kind === 'workload-pool' ? undefined : parsed.projectId;
  } catch (e) {
    if (e instanceof IdentifierError) return undefined;
    throw e;
  }
}

export async function collectServiceAccountChain(
  google: GoogleApi,
  email: string,
  searches: readonly AssetSearchRequest[],
  now: Date,
): Promise<{ input: BundleInput; searchFailed: boolean }> {
  const files = new Map<string, FileEntry>();
  const absent: string[] = [];
  const errors: Record<string, string> = {};
  const notes: string[] = [];
  const record = (path: string, outcome: CallOutcome<unknown>): void => {
    if (outcome.ok) files.set(path, { json: outcome.value });
    else if (outcome.kind === 'absent') absent.push(path);
    else errors[path] = outcome.message;
  };
  const project = projectOfEmail(email);
  let searchFailed = false;
  const reads: Promise<unknown>[] = [
    google.serviceAccount(email, project).then((o) => record(paths.serviceAccount(email), o)),
    google.serviceAccountPolicy(email, project).then((o) => record(paths.serviceAccountPolicy(email), o)),
    ...searches.map(async (s) => {
      const path = paths.assetSearch(s.scope, s.label);
      const o = await google.searchAllIamPolicies(s.scope, s.query, s.assetTypes ?? []);
      if (o.ok) files.set(path, { json: { scope: s.scope, query: s.query, ...o.value } });
      else {
        searchFailed = true;
        errors[path] = o.message;
      }
    }),
  ];
  if (project !== undefined) {
    reads.push(
      google.project(project).then((o) => record(paths.project(project), o)),
      google.projectPolicy(project).then((o) => record(paths.projectPolicy(project), o)),
      google.ancestry(project).then(async (o) => {
        if (!o.ok) {
          notes.push(`folder and organization policies above ${project} were not collected: ${o.message}`);
          return;
        }
        await Promise.all(
          o.value.map(async (resource) => {
            const [type, id = ''] = resource.split('/');
            if (type === 'folders') record(paths.folderPolicy(id), await google.folderPolicy(resource));
            else record(paths.organizationPolicy(id), await google.organizationPolicy(resource));
          }),
        );
      }),
    );
  } else {
    notes.push(`the project of ${email} is not in its name: only its own policy and the asset searches were read`);
  }
  await Promise.all(reads);
  // Custom roles named by the policies read, whole or searched.
  const roles = new Set<string>();
  for (const [path, entry] of files) {
    if (!('json' in entry) || !isRecord(entry.json)) continue;
    const json = entry.json;
    const policies: unknown[] = path.startsWith('gcp/asset-search/')
      ? (Array.isArray(json.results) ? json.results : []).map((r: unknown) => (isRecord(r) ? r.policy : undefined))
      : [json];
    for (const policy of policies) {
      const bindings: unknown[] = isRecord(policy) && Array.isArray(policy.bindings) ? policy.bindings : [];
      for (const b of bindings)
        if (isRecord(b) && typeof b.role === 'string' && CUSTOM_ROLE.test(b.role)) roles.add(b.role);
    }
  }
  await Promise.all([...roles].map(async (role) => record(paths.customRole(role), await google.customRole(role))));
  const manifest: BundleInput['manifest'] = {
    format: 'wi-doctor-bundle/1',
    // No cluster is read for an account: the manifest names its project in the cluster's place.
    cluster: { project: project ?? '-', location: '-', name: '-' },
    collectedAt: now.toISOString(),
    k8sKinds: [],
  };
  if (absent.length > 0) manifest.absent = absent.sort();
  if (Object.keys(errors).length > 0) manifest.errors = errors;
  return { input: { manifest, files, notes }, searchFailed };
}
