// `wi-doctor permissions`: the read-only IAM permissions (and the smallest predefined roles holding them) the
// tool itself needs to collect the facts the selected checks read. Kubernetes reads are listed as the IAM
// `container.*.list` permissions GKE maps them to; with RBAC instead, the same `list` verbs on those kinds.

import type { FactName } from '../../checks/define.js';

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

/** What the collector always reads, whatever the checks: the cluster, its project, the KSAs. */
const ALWAYS: readonly FactName[] = ['cluster', 'project', 'k8s:serviceaccounts'];

/**
 * The permissions live collection needs for these facts, sorted, and the predefined roles that hold them
 * (roles/container.viewer covers container.clusters.get too, so clusterViewer drops out when it is chosen).
 */
export function minimalPermissions(requires: readonly FactName[]): { permissions: string[]; roles: string[] } {
  const facts = new Set<FactName>([...ALWAYS, ...requires]);
  const permissions = new Set<string>();
  const roles = new Set<string>();
  for (const fact of facts) {
    const n = FACT_PERMISSIONS[fact];
    for (const p of n.permissions) permissions.add(p);
    if (n.role !== '') roles.add(n.role);
  }
  if (roles.has(K8S_ROLE)) roles.delete('roles/container.clusterViewer');
  return { permissions: [...permissions].sort(), roles: [...roles].sort() };
}
