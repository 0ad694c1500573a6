// The resources the sandbox's Kubernetes API serves, as discovery lists them (names, short names, verbs,
// categories, subresources), and the URL prefix of each group.

export interface ResourceDef {
  name: string;
  singular: string;
  kind: string;
  group: string;
  version: string;
  namespaced: boolean;
  shortNames?: string[];
  verbs: string[];
  categories?: string[];
  /** Subresources: name → kind and verbs. */
  subresources?: Record<string, { kind: string; group?: string; version?: string; verbs: string[] }>;
  /** Create-only reviews (SelfSubjectAccessReview…): not stored, answered. */
  virtual?: boolean;
}

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS = { verbs: ['get', 'patch', 'update'] };
const SCALE = { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };

export const RESOURCES: ResourceDef[] = [
  {
    name: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['cm'],
    verbs: ALL,
  },
  {
    name: 'events',
    singular: 'event',
    kind: 'Event',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['ev'],
    verbs: ALL,
  },
  {
    name: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    group: '',
    version: 'v1',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: { status: { kind: 'Namespace', ...STATUS } },
  },
  {
    name: 'nodes',
    singular: 'node',
    kind: 'Node',
    group: '',
    version: 'v1',
    namespaced: false,
    shortNames: ['no'],
    verbs: ALL,
    subresources: { status: { kind: 'Node', ...STATUS } },
  },
  {
    name: 'pods',
    singular: 'pod',
    kind: 'Pod',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['po'],
    verbs: ALL,
    categories: ['all'],
    subresources: {
      exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
      log: { kind: 'Pod', verbs: ['get'] },
      status: { kind: 'Pod', ...STATUS },
    },
  },
  { name: 'secrets', singular: 'secret', kind: 'Secret', group: '', version: 'v1', namespaced: true, verbs: ALL },
  {
    name: 'serviceaccounts',
    singular: 'serviceaccount',
    kind: 'ServiceAccount',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['sa'],
    verbs: ALL,
    subresources: { token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] } },
  },
  {
    name: 'services',
    singular: 'service',
    kind: 'Service',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['svc'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    categories: ['all'],
    subresources: { status: { kind: 'Service', ...STATUS } },
  },
  {
    name: 'daemonsets',
    singular: 'daemonset',
    kind: 'DaemonSet',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['ds'],
    verbs: ALL,
    categories: ['all'],
    subresources: { status: { kind: 'DaemonSet', ...STATUS } },
  },
  {
    name: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['deploy'],
    verbs: ALL,
    categories: ['all'],
    subresources: { scale: SCALE, status: { kind: 'Deployment', ...STATUS } },
  },
  {
    name: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['rs'],
    verbs: ALL,
    categories: ['all'],
    subresources: { scale: SCALE, status: { kind: 'ReplicaSet', ...STATUS } },
  },
  {
    name: 'statefulsets',
    singular: 'statefulset',
    kind: 'StatefulSet',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['sts'],
    verbs: ALL,
    categories: ['all'],
    subresources: { scale: SCALE, status: { kind: 'StatefulSet', ...STATUS } },
  },
  {
    name: 'cronjobs',
    singular: 'cronjob',
    kind: 'CronJob',
    group: 'batch',
    version: 'v1',
    namespaced: true,
    shortNames: ['cj'],
    verbs: ALL,
    categories: ['all'],
    subresources: { status: { kind: 'CronJob', ...STATUS } },
  },
  {
    name: 'jobs',
    singular: 'job',
    kind: 'Job',
    group: 'batch',
    version: 'v1',
    namespaced: true,
    verbs: ALL,
    categories: ['all'],
    subresources: { status: { kind: 'Job', ...STATUS } },
  },
  {
    name: 'networkpolicies',
    singular: 'networkpolicy',
    kind: 'NetworkPolicy',
    group: 'networking.k8s.io',
    version: 'v1',
    namespaced: true,
    shortNames: ['netpol'],
    verbs: ALL,
  },
  {
    name: 'clusterroles',
    singular: 'clusterrole',
    kind: 'ClusterRole',
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    namespaced: false,
    verbs: ALL,
  },
  {
    name: 'clusterrolebindings',
    singular: 'clusterrolebinding',
    kind: 'ClusterRoleBinding',
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    namespaced: false,
    verbs: ALL,
  },
  {
    name: 'leases',
    singular: 'lease',
    kind: 'Lease',
    group: 'coordination.k8s.io',
    version: 'v1',
    namespaced: true,
    verbs: ALL,
  },
  {
    name: 'selfsubjectreviews',
    singular: 'selfsubjectreview',
    kind: 'SelfSubjectReview',
    group: 'authentication.k8s.io',
    version: 'v1',
    namespaced: false,
    verbs: ['create'],
    virtual: true,
  },
  {
    name: 'tokenreviews',
    singular: 'tokenreview',
    kind: 'TokenReview',
    group: 'authentication.k8s.io',
    version: 'v1',
    namespaced: false,
    verbs: ['create'],
    virtual: true,
  },
  {
    name: 'selfsubjectaccessreviews',
    singular: 'selfsubjectaccessreview',
    kind: 'SelfSubjectAccessReview',
    group: 'authorization.k8s.io',
    version: 'v1',
    namespaced: false,
    verbs: ['create'],
    virtual: true,
  },
  {
    name: 'selfsubjectrulesreviews',
    singular: 'selfsubjectrulesreview',
    kind: 'SelfSubjectRulesReview',
    group: 'authorization.k8s.io',
    version: 'v1',
    namespaced: false,
    verbs: ['create'],
    virtual: true,
  },
  {
    name: 'events',
    singular: 'event',
    kind: 'Event',
    group: 'events.k8s.io',
    version: 'v1',
    namespaced: true,
    shortNames: ['ev'],
    verbs: ALL,
  },
];

/** API groups other than core, in the order discovery lists them. */
export const GROUPS = [
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'batch',
  'coordination.k8s.io',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
];

export function prefixOf(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

export function apiVersionOf(def: { group: string; version: string }): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

/** `pods` or `deployments.apps`: how Status messages name a resource. */
export function qualifiedName(def: { name: string; group: string }): string {
  return def.group === '' ? def.name : `${def.name}.${def.group}`;
}

/** The stored resource of a kind, for owner references and events (core and apps/batch/networking kinds). */
export function resourceOfKind(kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.kind === kind && !r.virtual && r.group !== 'events.k8s.io');
}
