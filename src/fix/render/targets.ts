// Targets of fix plans (see src/fix/actions.ts), parsed into the names each tool needs.
// A target a check should never produce is a programming error: it throws, naming action and target.

export class FixPlanError extends Error {
  constructor(action: string, target: string, problem: string) {
    super(`fix ${action} on "${target}": ${problem}`);
    this.name = 'FixPlanError';
  }
}

export type IamResource =
  | { type: 'serviceAccount'; email: string; /** From the target or a user-managed email. */ project?: string }
  | { type: 'project'; project: string }
  | { type: 'folder'; id: string }
  | { type: 'organization'; id: string }
  | { type: 'bucket'; bucket: string }
  | { type: 'other'; fullName: string };

const USER_MANAGED_EMAIL = /^[^@\s]+@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/;

/** The project id a service-account email names, only for user-managed accounts (`x@P.iam.gserviceaccount.com`). */
export function projectOfEmail(email: string): string | undefined {
  return USER_MANAGED_EMAIL.exec(email)?.[1];
}

export function parseIamResource(action: string, target: string): IamResource {
  // Full resource names of IAM and Resource Manager mean the same as their short forms.
  const short = target.replace(/^\/\/(iam|cloudresourcemanager)\.googleapis\.com\//, '');
  let m = /^projects\/([^/]+)\/serviceAccounts\/([^/]+)$/.exec(short);
  if (m?.[1] !== undefined && m[2] !== undefined) {
    const project = m[1] === '-' ? projectOfEmail(m[2]) : m[1];
    return project === undefined
      ? { type: 'serviceAccount', email: m[2] }
      : { type: 'serviceAccount', email: m[2], project };
  }
  m = /^projects\/([^/]+)$/.exec(short);
  if (m?.[1] !== undefined && m[1] !== '-' && m[1] !== '_') return { type: 'project', project: m[1] };
  m = /^folders\/(\d+)$/.exec(short);
  if (m?.[1] !== undefined) return { type: 'folder', id: m[1] };
  m = /^organizations\/(\d+)$/.exec(short);
  if (m?.[1] !== undefined) return { type: 'organization', id: m[1] };
  m = /^\/\/storage\.googleapis\.com\/projects\/_\/buckets\/([^/]+)$/.exec(target);
  if (m?.[1] !== undefined) return { type: 'bucket', bucket: m[1] };
  if (target.startsWith('//')) return { type: 'other', fullName: target };
  throw new FixPlanError(
    action,
    target,
    'not an IAM resource (projects/P, folders/N, organizations/N, a service account or a //full/resource/name)',
  );
}

export function parseServiceAccountTarget(action: string, target: string): { email: string; project?: string } {
  const resource = parseIamResource(action, target);
  if (resource.type !== 'serviceAccount')
    throw new FixPlanError(action, target, 'not projects/P/serviceAccounts/EMAIL');
  return resource;
}

export function parseProject(action: string, target: string): string {
  const resource = parseIamResource(action, target);
  if (resource.type !== 'project') throw new FixPlanError(action, target, 'not projects/P');
  return resource.project;
}

export interface ClusterTarget {
  project: string;
  location: string;
  cluster: string;
  nodePool?: string;
}

export function parseCluster(action: string, target: string, withNodePool: boolean): ClusterTarget {
  const m = /^projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)(?:\/nodePools\/([^/]+))?$/.exec(target);
  if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined || (m[4] !== undefined) !== withNodePool) {
    const shape = withNodePool ? 'projects/P/locations/L/clusters/C/nodePools/NP' : 'projects/P/locations/L/clusters/C';
    throw new FixPlanError(action, target, `not ${shape}`);
  }
  const cluster: ClusterTarget = { project: m[1], location: m[2], cluster: m[3] };
  if (m[4] !== undefined) cluster.nodePool = m[4];
  return cluster;
}

export const WORKLOAD_KINDS = ['deployments', 'statefulsets', 'daemonsets', 'cronjobs', 'jobs', 'pods'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** The singular name kubectl users write (`kubectl rollout restart deployment/cart`). */
export const KUBECTL_KIND: Record<WorkloadKind, string> = {
  deployments: 'deployment',
  statefulsets: 'statefulset',
  daemonsets: 'daemonset',
  cronjobs: 'cronjob',
  jobs: 'job',
  pods: 'pod',
};

export interface ObjectTarget<K extends string> {
  namespace: string;
  kind: K;
  name: string;
}

export function parseObject<K extends string>(action: string, target: string, kinds: readonly K[]): ObjectTarget<K> {
  const m = /^namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(target);
  const kind = kinds.find((k) => k === m?.[2]);
  if (m?.[1] === undefined || m[3] === undefined || kind === undefined) {
    throw new FixPlanError(action, target, `not namespaces/NS/KIND/NAME with KIND one of ${kinds.join(', ')}`);
  }
  return { namespace: m[1], kind, name: m[3] };
}
