// The bundle's file layout (docs/bundle.md): where each fact lives, and the gcloud/kubectl command that makes it,
// so a fact that was not collected can tell the user exactly which file to add.

import type { ClusterRef } from '../../model/facts.js';

export const MANIFEST_FILE = 'bundle.json';
export const BUNDLE_FORMAT = 'wi-doctor-bundle/1';

export const paths = {
  cluster: 'gcp/cluster.json',
  /** A resource policy read live: a readable, unique name, no path separators. */
  resource: (resource: string) =>
    `gcp/resources/${resource.replace(/^\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '~')}.json`,
  project: (p: string) => `gcp/projects/${p}.json`,
  projectPolicy: (p: string) => `gcp/projects/${p}.iam-policy.json`,
  projectServices: (p: string) => `gcp/projects/${p}.services.json`,
  projectServiceAccounts: (p: string) => `gcp/projects/${p}.service-accounts.json`,
  projectClusters: (p: string) => `gcp/projects/${p}.clusters.json`,
  /** Policy Analyzer `serviceAccountLastAuthentication` activities of the project's accounts. */
  projectActivity: (p: string) => `gcp/projects/${p}.sa-activity.json`,
  serviceAccount: (email: string) => `gcp/service-accounts/${email}.json`,
  serviceAccountPolicy: (email: string) => `gcp/service-accounts/${email}.iam-policy.json`,
  serviceAccountKeys: (email: string) => `gcp/service-accounts/${email}.keys.json`,
  customRole: (name: string) => `gcp/roles/${name.replaceAll('/', '~')}.json`,
  folderPolicy: (n: string) => `gcp/folders/${n}.iam-policy.json`,
  organizationPolicy: (n: string) => `gcp/organizations/${n}.iam-policy.json`,
  /** A Cloud Asset Inventory search over a scope (`organizations~N`, `folders~N`, `projects~P`), optionally labelled. */
  assetSearch: (scope: string, label?: string) =>
    `gcp/asset-search/${scope.replaceAll('/', '~')}${label !== undefined ? `~~${label.replace(/[^A-Za-z0-9@._-]+/g, '-')}` : ''}.json`,
  /** A namespace is a DNS label (no dots), so the first dot separates it from the KSA name. */
  e2e: (namespace: string, ksa: string) => `e2e/${namespace}.${ksa}.json`,
} as const;

export const commands = {
  cluster: (c: ClusterRef) =>
    `gcloud container clusters describe ${c.name} --location ${c.location} --project ${c.project} --format=json`,
  project: (p: string) => `gcloud projects describe ${p} --format=json`,
  projectPolicy: (p: string) => `gcloud projects get-iam-policy ${p} --format=json`,
  projectServices: (p: string) => `gcloud services list --enabled --project ${p} --format=json`,
  projectServiceAccounts: (p: string) => `gcloud iam service-accounts list --project ${p} --format=json`,
  projectClusters: (p: string) => `gcloud container clusters list --project ${p} --format=json`,
  projectActivity: (p: string) =>
    `gcloud policy-intelligence query-activity --activity-type=serviceAccountLastAuthentication --project=${p} --limit=unlimited --format=json`,
  serviceAccount: (e: string) => `gcloud iam service-accounts describe ${e} --format=json`,
  serviceAccountPolicy: (e: string) => `gcloud iam service-accounts get-iam-policy ${e} --format=json`,
  serviceAccountKeys: (e: string) =>
    `gcloud iam service-accounts keys list --iam-account ${e} --managed-by user --format=json`,
  customRole: (name: string) => {
    const m = /^(projects|organizations)\/([^/]+)\/roles\/([^/]+)$/.exec(name);
    if (!m) return `gcloud iam roles describe ${name} --format=json`;
    const flag = m[1] === 'projects' ? '--project' : '--organization';
    return `gcloud iam roles describe ${m[3] ?? ''} ${flag} ${m[2] ?? ''} --format=json`;
  },
  logs: (p: string) =>
    `gcloud logging read 'protoPayload.serviceName="iamcredentials.googleapis.com"' --project ${p} --format=json`,
  assetSearch: (scope: string, query: string) =>
    `gcloud asset search-all-iam-policies --scope=${scope} --query='${query.replaceAll("'", `'\\''`)}' --format=json`,
  k8s: (kind: string) => `kubectl get ${kind} -A -o json --show-managed-fields`,
  resourcePolicy: (resource: string) => {
    const bucket = /^\/\/storage\.googleapis\.com\/projects\/_\/buckets\/([^/]+)$/.exec(resource);
    if (bucket) return `gcloud storage buckets get-iam-policy gs://${bucket[1] ?? ''} --format=json`;
    const topic = /^\/\/pubsub\.googleapis\.com\/projects\/([^/]+)\/topics\/([^/]+)$/.exec(resource);
    if (topic) return `gcloud pubsub topics get-iam-policy ${topic[2] ?? ''} --project ${topic[1] ?? ''} --format=json`;
    const secret = /^\/\/secretmanager\.googleapis\.com\/projects\/([^/]+)\/secrets\/([^/]+)$/.exec(resource);
    if (secret) return `gcloud secrets get-iam-policy ${secret[2] ?? ''} --project ${secret[1] ?? ''} --format=json`;
    return `the service's get-iam-policy command for ${resource}`;
  },
} as const;

/**
 * Top-level files that travel with a bundle but are not evidence: a README for whoever receives it, and the
 * expected diagnosis of the examples under examples/. Skipped without a note.
 */
const COMPANION_FILES = new Set(['README', 'README.md', 'README.txt', 'expected.json']);

/** What a bundle-relative path holds. */
export type FileRole =
  | { role: 'manifest' }
  | { role: 'cluster' }
  | {
      role:
        | 'project'
        | 'projectPolicy'
        | 'projectServices'
        | 'projectServiceAccounts'
        | 'projectClusters'
        | 'projectActivity';
      id: string;
    }
  | { role: 'serviceAccount' | 'serviceAccountPolicy' | 'serviceAccountKeys'; email: string }
  | { role: 'customRole'; name: string }
  | { role: 'resource' }
  | { role: 'ancestorPolicy'; resource: string }
  | { role: 'assetSearch'; scope: string }
  | { role: 'logs' }
  | { role: 'k8s' }
  | { role: 'probe' }
  | { role: 'token' }
  | { role: 'e2e'; subject: string }
  | { role: 'companion' }
  | { role: 'unknown' };

// Longest suffixes first: an id or email never ends in these, but `.json` is a suffix of all of them.
const PROJECT_SUFFIXES = [
  ['.iam-policy.json', 'projectPolicy'],
  ['.services.json', 'projectServices'],
  ['.service-accounts.json', 'projectServiceAccounts'],
  ['.clusters.json', 'projectClusters'],
  ['.sa-activity.json', 'projectActivity'],
  ['.json', 'project'],
] as const;
const SERVICE_ACCOUNT_SUFFIXES = [
  ['.iam-policy.json', 'serviceAccountPolicy'],
  ['.keys.json', 'serviceAccountKeys'],
  ['.json', 'serviceAccount'],
] as const;

function stripSuffix(name: string, suffix: string): string | undefined {
  return name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : undefined;
}

/** Classify a bundle-relative POSIX path. Files directly in a folder only, except where ANY may nest. */
export function classifyPath(path: string): FileRole {
  if (path === MANIFEST_FILE) return { role: 'manifest' };
  if (path === paths.cluster) return { role: 'cluster' };
  if (COMPANION_FILES.has(path)) return { role: 'companion' };
  const parts = path.split('/');
  const [top, sub] = parts;
  const leaf = parts[parts.length - 1] ?? '';
  if (top === 'k8s' && parts.length >= 2 && leaf.endsWith('.json')) return { role: 'k8s' };
  if (top === 'probe' && parts.length >= 2 && leaf.endsWith('.json')) return { role: 'probe' };
  if (top === 'token' && parts.length >= 2 && leaf.endsWith('.jwt')) return { role: 'token' };
  if (top === 'e2e' && parts.length === 2) {
    const m = /^([^.]+)\.(.+)\.json$/.exec(leaf);
    if (m) return { role: 'e2e', subject: `${m[1] ?? ''}/${m[2] ?? ''}` };
  }
  if (top !== 'gcp' || parts.length < 3) return { role: 'unknown' };
  if (sub === 'resources' && leaf.endsWith('.json')) return { role: 'resource' };
  if (sub === 'logs' && leaf.endsWith('.json')) return { role: 'logs' };
  if (sub === 'asset-search' && parts.length === 3) {
    const m = /^(organizations|folders|projects)~([^~]+?)(?:~~[^~]*)?\.json$/.exec(leaf);
    if (m) return { role: 'assetSearch', scope: `${m[1] ?? ''}/${m[2] ?? ''}` };
  }
  if (parts.length !== 3) return { role: 'unknown' };
  if (sub === 'projects') {
    for (const [suffix, role] of PROJECT_SUFFIXES) {
      const id = stripSuffix(leaf, suffix);
      if (id !== undefined) return { role, id };
    }
  }
  if (sub === 'service-accounts') {
    for (const [suffix, role] of SERVICE_ACCOUNT_SUFFIXES) {
      const email = stripSuffix(leaf, suffix);
      if (email?.includes('@')) return { role, email };
    }
  }
  if (sub === 'roles') {
    const name = stripSuffix(leaf, '.json');
    if (name !== undefined) return { role: 'customRole', name: name.replaceAll('~', '/') };
  }
  if (sub === 'folders' || sub === 'organizations') {
    const n = stripSuffix(leaf, '.iam-policy.json');
    if (n !== undefined) return { role: 'ancestorPolicy', resource: `${sub}/${n}` };
  }
  return { role: 'unknown' };
}
