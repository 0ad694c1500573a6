// Kubernetes reads and writes for fixes, through @kubernetes/client-node's typed APIs and the collector's
// CallRunner. Every change is a patch of exactly the fields it changes: a JSON merge patch for an annotation,
// a serviceAccountName or a restart, a JSON patch guarded by `test` operations to remove one list element
// (an env var, a volume). Nothing is ever replaced whole.

import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1IPBlock,
  V1LabelSelector,
  V1NetworkPolicy,
  V1NetworkPolicyEgressRule,
  V1NetworkPolicyPeer,
  V1NetworkPolicyPort,
  V1NetworkPolicySpec,
  V1ObjectMeta,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { CallOutcome } from '../../collect/live/calls.js';
import type { LabelSelector, NetworkPolicy, Pod, ServiceAccountObject, Workload } from '../../model/k8s/types.js';
import type { WorkloadKind } from '../render/targets.js';
import type { WriteContext } from './context.js';
import { asHttp } from './context.js';

/** Who wrote it, as managedFields and audit logs show. */
export const FIELD_MANAGER = 'wi-doctor';

export type PatchType = 'merge' | 'json';

const CONTENT_TYPE: Record<PatchType, string> = {
  merge: PatchStrategy.MergePatch,
  json: PatchStrategy.JsonPatch,
};

export class KubeWriter {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly net: NetworkingV1Api;
  private readonly server: string;

  constructor(private readonly ctx: WriteContext) {
    this.core = ctx.kc.makeApiClient(CoreV1Api);
    this.apps = ctx.kc.makeApiClient(AppsV1Api);
    this.batch = ctx.kc.makeApiClient(BatchV1Api);
    this.net = ctx.kc.makeApiClient(NetworkingV1Api);
    this.server = (ctx.kc.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
  }

  private call<T>(
    method: string,
    path: string,
    permission: string,
    attempt: () => Promise<unknown>,
  ): Promise<CallOutcome<T>> {
    return this.ctx.runner.call({
      api: 'kubernetes',
      method,
      url: `${this.server}${path}`,
      permission,
      // The typed objects the client returns carry the API's field names; the model types read them.
      attempt: async () => (await asHttp(attempt())) as T,
    });
  }

  serviceAccount(namespace: string, name: string): Promise<CallOutcome<ServiceAccountObject>> {
    return this.call('GET', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}`, 'get serviceaccounts', () =>
      this.core.readNamespacedServiceAccount({ name, namespace }),
    );
  }

  createServiceAccount(
    namespace: string,
    name: string,
    annotations: Record<string, string> | undefined,
  ): Promise<CallOutcome<ServiceAccountObject>> {
    const body = Object.assign(new V1ServiceAccount(), {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: Object.assign(new V1ObjectMeta(), { name, namespace, ...(annotations ? { annotations } : {}) }),
    });
    return this.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, 'create serviceaccounts', () =>
      this.core.createNamespacedServiceAccount({ namespace, body, fieldManager: FIELD_MANAGER }),
    );
  }

  patchServiceAccount(namespace: string, name: string, patch: unknown): Promise<CallOutcome<ServiceAccountObject>> {
    return this.call('PATCH', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}`, 'patch serviceaccounts', () =>
      this.core.patchNamespacedServiceAccount(
        { name, namespace, body: patch, fieldManager: FIELD_MANAGER },
        setHeaderOptions('Content-Type', CONTENT_TYPE.merge),
      ),
    );
  }

  workload(kind: WorkloadKind, namespace: string, name: string): Promise<CallOutcome<Workload>> {
    const { path, group } = workloadPath(kind, namespace, name);
    return this.call('GET', path, `get ${kind}${group}`, () => {
      const p = { name, namespace };
      switch (kind) {
        case 'deployments':
          return this.apps.readNamespacedDeployment(p);
        case 'statefulsets':
          return this.apps.readNamespacedStatefulSet(p);
        case 'daemonsets':
          return this.apps.readNamespacedDaemonSet(p);
        case 'cronjobs':
          return this.batch.readNamespacedCronJob(p);
        case 'jobs':
          return this.batch.readNamespacedJob(p);
        case 'pods':
          return this.core.readNamespacedPod(p);
      }
    });
  }

  patchWorkload(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    patch: unknown,
    type: PatchType,
  ): Promise<CallOutcome<Workload>> {
    const { path, group } = workloadPath(kind, namespace, name);
    const options = setHeaderOptions('Content-Type', CONTENT_TYPE[type]);
    return this.call('PATCH', path, `patch ${kind}${group}`, () => {
      const p = { name, namespace, body: patch, fieldManager: FIELD_MANAGER };
      switch (kind) {
        case 'deployments':
          return this.apps.patchNamespacedDeployment(p, options);
        case 'statefulsets':
          return this.apps.patchNamespacedStatefulSet(p, options);
        case 'daemonsets':
          return this.apps.patchNamespacedDaemonSet(p, options);
        case 'cronjobs':
          return this.batch.patchNamespacedCronJob(p, options);
        case 'jobs':
          return this.batch.patchNamespacedJob(p, options);
        case 'pods':
          return this.core.patchNamespacedPod(p, options);
      }
    });
  }

  /** The pods of a namespace (to see a rollout's old pods go). */
  pods(namespace: string): Promise<CallOutcome<{ items: Pod[] }>> {
    return this.call('GET', `/api/v1/namespaces/${namespace}/pods`, 'list pods', () =>
      this.core.listNamespacedPod({ namespace }),
    );
  }

  deletePod(namespace: string, name: string): Promise<CallOutcome<unknown>> {
    return this.call('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, 'delete pods', () =>
      this.core.deleteNamespacedPod({ name, namespace }),
    );
  }

  networkPolicy(namespace: string, name: string): Promise<CallOutcome<NetworkPolicy>> {
    return this.call(
      'GET',
      `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies/${name}`,
      'get networkpolicies.networking.k8s.io',
      () => this.net.readNamespacedNetworkPolicy({ name, namespace }),
    );
  }

  /** A NetworkPolicy allowing the selected pods egress to one CIDR and TCP port, and nothing else. */
  createEgressPolicy(
    namespace: string,
    name: string,
    allow: { podSelector: LabelSelector; cidr: string; port: number },
  ): Promise<CallOutcome<NetworkPolicy>> {
    const selector = Object.assign(new V1LabelSelector(), allow.podSelector);
    const rule = Object.assign(new V1NetworkPolicyEgressRule(), {
      to: [Object.assign(new V1NetworkPolicyPeer(), { ipBlock: Object.assign(new V1IPBlock(), { cidr: allow.cidr }) })],
      ports: [Object.assign(new V1NetworkPolicyPort(), { protocol: 'TCP', port: allow.port })],
    });
    const body = Object.assign(new V1NetworkPolicy(), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: Object.assign(new V1ObjectMeta(), { name, namespace }),
      spec: Object.assign(new V1NetworkPolicySpec(), {
        podSelector: selector,
        policyTypes: ['Egress'],
        egress: [rule],
      }),
    });
    return this.call(
      'POST',
      `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`,
      'create networkpolicies.networking.k8s.io',
      () => this.net.createNamespacedNetworkPolicy({ namespace, body, fieldManager: FIELD_MANAGER }),
    );
  }
}

function workloadPath(kind: WorkloadKind, namespace: string, name: string): { path: string; group: string } {
  switch (kind) {
    case 'deployments':
    case 'statefulsets':
    case 'daemonsets':
      return { path: `/apis/apps/v1/namespaces/${namespace}/${kind}/${name}`, group: '.apps' };
    case 'cronjobs':
    case 'jobs':
      return { path: `/apis/batch/v1/namespaces/${namespace}/${kind}/${name}`, group: '.batch' };
    case 'pods':
      return { path: `/api/v1/namespaces/${namespace}/pods/${name}`, group: '' };
  }
}
