// `wi-doctor permissions`: the read-only IAM permissions (and the smallest predefined roles holding them) the
// tool itself needs to collect the facts the selected checks read, plus the reads a run makes beyond them (who
// changed it, Cloud Asset Inventory, cluster lists). One table per source: each collector call names the
// permission it needs (google.ts), and the facts and reads below name the same permissions. Kubernetes reads are listed as the IAM
// `container.*.list` permissions GKE maps them to; with RBAC instead, the same `list` verbs on those kinds.

import type { FactName } from '../../checks/define.js';
import { loadCatalog } from '../../model/iam/catalog.js';

interface Need {
  permissions: readonly string[];
  /** A predefined, read-only role that holds every one of the permissions. */
  role: string;
}

const K8S_ROLE = 'roles/container.viewer';

export const FACT_PERMISSIONS: Record<FactName, Need> = {
  cluster: { permissions: ['container.clusters.get'], role: 'roles/container.clusterViewer' },
  project: { permissions: ['resourcemanager.projects.get'], role: 'roles/browser' },
  projectPolicy: { permissions: ['resourcemanager.projects.getIamPolicy'], role: 'roles/browser' },
  projectServices: { permissions: ['serviceusage.services.list'], role: 'roles/serviceusage.serviceUsageViewer' },
  projectServiceAccounts: { permissions: ['iam.serviceAccounts.list'], role: 'roles/iam.serviceAccountViewer' },
  projectClusters: { permissions: ['container.clusters.list'], role: 'roles/container.clusterViewer' },
  serviceAccount: { permissions: ['iam.serviceAccounts.get'], role: 'roles/iam.serviceAccountViewer' },
  serviceAccountPolicy: { permissions: ['iam.serviceAccounts.getIamPolicy'], role: 'roles/iam.serviceAccountViewer' },
  serviceAccountKeys: { permissions: ['iam.serviceAccountKeys.list'], role: 'roles/iam.serviceAccountViewer' },
  customRoles: { permissions: ['iam.roles.get'], role: 'roles/iam.roleViewer' },
  // Only Cloud Storage buckets are read live (`--on //storage.googleapis.com/…`).
  resourcePolicies: { permissions: ['storage.buckets.getIamPolicy'], role: 'roles/iam.securityReviewer' },
  ancestorPolicies: {
    permissions: ['resourcemanager.folders.getIamPolicy', 'resourcemanager.organizations.getIamPolicy'],
    role: 'roles/iam.securityReviewer',
  },
  logEntries: { permissions: ['logging.privateLogEntries.list'], role: 'roles/logging.privateLogViewer' },
  serviceAccountActivity: {
    permissions: ['policyanalyzer.serviceAccountLastAuthenticationActivities.query'],
    role: 'roles/policyanalyzer.activityAnalysisViewer',
  },
  // Tokens are added to a bundle by hand; live collection never reads one.
  tokens: { permissions: [], role: '' },
  'k8s:namespaces': { permissions: ['container.namespaces.list'], role: K8S_ROLE },
  'k8s:serviceaccounts': { permissions: ['container.serviceAccounts.list'], role: K8S_ROLE },
  'k8s:pods': { permissions: ['container.pods.list'], role: K8S_ROLE },
  'k8s:deployments': { permissions: ['container.deployments.list'], role: K8S_ROLE },
  'k8s:statefulsets': { permissions: ['container.statefulSets.list'], role: K8S_ROLE },
  'k8s:daemonsets': { permissions: ['container.daemonSets.list'], role: K8S_ROLE },
  'k8s:replicasets': { permissions: ['container.replicaSets.list'], role: K8S_ROLE },
  'k8s:jobs': { permissions: ['container.jobs.list'], role: K8S_ROLE },
  'k8s:cronjobs': { permissions: ['container.cronJobs.list'], role: K8S_ROLE },
  'k8s:nodes': { permissions: ['container.nodes.list'], role: K8S_ROLE },
  'k8s:networkpolicies': { permissions: ['container.networkPolicies.list'], role: K8S_ROLE },
};

/**
 * Reads a run makes beyond its checks' facts. `adminActivity`: who changed it (`check` and `collect` search the
 * Admin Activity audit logs of the accounts' projects when something fails). `assetSearch`: Cloud Asset
 * Inventory over a scope (`--scope`, `--clusters organizations/N|folders/N`). `clusterList`: the clusters of a
 * project (`--clusters projects/P`, identity-sameness).
 */
export type ExtraRead = 'adminActivity' | 'assetSearch' | 'clusterList';

export const EXTRA_PERMISSIONS: Record<ExtraRead, Need> = {
  // Admin Activity audit logs are readable with logging.logEntries.list; Data Access logs (the token logs of
  // `logEntries`) need logging.privateLogEntries.list.
  adminActivity: { permissions: ['logging.logEntries.list'], role: 'roles/logging.viewer' },
  assetSearch: {
    permissions: ['cloudasset.assets.searchAllIamPolicies', 'cloudasset.assets.searchAllResources'],
    role: 'roles/cloudasset.viewer',
  },
  clusterList: { permissions: ['container.clusters.list'], role: 'roles/container.clusterViewer' },
};

/** What the collector always reads, whatever the checks: the cluster, its project, the KSAs. */
const ALWAYS: readonly FactName[] = ['cluster', 'project', 'k8s:serviceaccounts'];

export interface PermissionList {
  /** IAM permissions, sorted. */
  permissions: string[];
  /** Predefined roles that together hold every permission, none of them redundant, sorted. */
  roles: string[];
  /** Kubernetes resources read with `get` and `list` (what an RBAC role for wi-doctor must allow), sorted. */
  kubernetes: string[];
}

/**
 * The permissions live collection needs for these facts and extra reads, and the predefined roles that hold
 * them. A role is dropped when the other roles chosen already hold every needed permission it holds
 * (roles/container.viewer holds container.clusters.get, so roles/container.clusterViewer drops out beside it),
 * judged by `holds`: the predefined role catalog by default.
 */
export function minimalPermissions(
  requires: readonly FactName[],
  extra: readonly ExtraRead[] = [],
  holds: (role: string) => ReadonlySet<string> = catalogRole,
): PermissionList {
  const facts = new Set<FactName>([...ALWAYS, ...requires]);
  const needs = [...[...facts].map((f) => FACT_PERMISSIONS[f]), ...extra.map((e) => EXTRA_PERMISSIONS[e])];
  const permissions = new Set<string>();
  const roles = new Set<string>();
  for (const n of needs) {
    for (const p of n.permissions) permissions.add(p);
    if (n.role !== '') roles.add(n.role);
  }
  // What the chosen roles hold of what is needed must stay held. Smallest roles are tried first: dropping one
  // never grants more than the roles that stay already do.
  const covered = (set: ReadonlySet<string>) => [...permissions].filter((p) => [...set].some((r) => holds(r).has(p)));
  const kept = covered(roles).length;
  for (const role of [...roles].sort((a, b) => holds(a).size - holds(b).size || a.localeCompare(b))) {
    const others = new Set([...roles].filter((r) => r !== role));
    if (covered(others).length === kept) roles.delete(role);
  }
  const kubernetes = [...facts].filter((f) => f.startsWith('k8s:')).map((f) => f.slice(4));
  return { permissions: [...permissions].sort(), roles: [...roles].sort(), kubernetes: kubernetes.sort() };
}

const roleSets = new Map<string, ReadonlySet<string>>();

/** A predefined role's permissions, from the catalog shipped in data/ (empty for a name it does not hold). */
function catalogRole(role: string): ReadonlySet<string> {
  const cached = roleSets.get(role);
  if (cached !== undefined) return cached;
  const set = new Set(loadCatalog().roles.get(role)?.permissions ?? []);
  roleSets.set(role, set);
  return set;
}

/**
 * What `check --e2e` needs beyond the reads: one Kubernetes TokenRequest per KSA checked (`create` on the
 * `serviceaccounts/token` subresource; through GKE's IAM, `container.serviceAccounts.createToken`). Not read-only:
 * it mints a short-lived token for the KSA. The rest of the chain runs on that token, not on the caller's
 * credentials: the STS exchange takes no Authorization header, and generateAccessToken is called with the
 * federated token, so it needs only the KSA's own grant on the GSA (what wi-binding checks).
 */
export interface E2eNeeds {
  permissions: string[];
  /** Kubernetes RBAC instead of the IAM permission: verb and resource. */
  kubernetes: string[];
  /** The smallest predefined roles of the catalog holding the permissions (none of them read-only). */
  roles: string[];
}

export function e2ePermissions(): E2eNeeds {
  const permissions = ['container.serviceAccounts.createToken'];
  // Service-agent roles are for Google's own agents: never offered to a person.
  const holding = [...loadCatalog().roles]
    .filter(([name, role]) => !/serviceAgent$/i.test(name) && permissions.every((p) => role.permissions.includes(p)))
    .sort(([a, ra], [b, rb]) => ra.permissions.length - rb.permissions.length || a.localeCompare(b));
  return {
    permissions,
    kubernetes: ['create serviceaccounts/token'],
    roles: holding.slice(0, 1).map(([name]) => name),
  };
}
