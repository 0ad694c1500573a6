// Builders for the Kubernetes objects of a cluster, and the controllers the sandbox plays: a workload's pods
// follow its template (a template change = a new ReplicaSet and new pods, as `kubectl rollout restart`
// expects), node-pool recreation moves pods to new nodes, gke-metadata-server runs on WI nodes.

import { createHash } from 'node:crypto';
import type { KObject, Node, Pod, PodTemplateSpec, Workload } from '../../model/k8s/types.js';
import { METADATA_SERVER_NODE_LABEL, NODE_POOL_LABEL } from '../../model/k8s/types.js';
import { KUBE_ALPHABET, type Prng } from '../prng.js';
import type { MetadataServerHealth, PodSpecLite, WorkloadKind, WorkloadSpec } from '../scenario/types.js';
import { kubeTime, recordWrite } from './managed-fields.js';
import type { KubeStore } from './store.js';

export interface ClusterKube {
  name: string;
  project: string;
  location: string;
  autopilot: boolean;
  kubeVersion: string;
  store: KubeStore;
  prng: Prng;
  health: Map<string, MetadataServerHealth>;
  /** Pool name → whether its nodes run gke-metadata-server. */
  poolRunsMetadataServer(pool: string): boolean;
  scheduleCounter: number;
  now(): number;
  /**
   * While a scenario is being built: the time its pods started (RFC 3339). Unset afterwards, so pods the API
   * creates later (a rollout, a replaced pod) start now.
   */
  podStartTime?: string;
}

const RESOURCE_OF_KIND: Record<WorkloadKind, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  ReplicaSet: 'replicasets',
};

export function namespaceObject(name: string, labels: Record<string, string> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
    ...{ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
  };
}

export function serviceAccountObject(
  namespace: string,
  name: string,
  annotations?: Record<string, string>,
  labels?: Record<string, string>,
  uid?: string,
): KObject {
  const metadata: KObject['metadata'] = { name, namespace };
  if (annotations && Object.keys(annotations).length > 0) metadata.annotations = { ...annotations };
  if (labels) metadata.labels = { ...labels };
  if (uid) metadata.uid = uid;
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata };
}

export function zoneOf(c: ClusterKube): string {
  return /-[a-z]$/.test(c.location) ? c.location : `${c.location}-b`;
}

export function nodeObject(c: ClusterKube, name: string, pool: string, index: number): Node {
  const labels: Record<string, string> = {
    [NODE_POOL_LABEL]: pool,
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'topology.kubernetes.io/zone': zoneOf(c),
    'topology.kubernetes.io/region': c.location.replace(/-[a-z]$/, ''),
  };
  if (c.poolRunsMetadataServer(pool)) labels[METADATA_SERVER_NODE_LABEL] = 'true';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: { providerID: `gce://${c.project}/${zoneOf(c)}/${name}` },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      ...{
        addresses: [{ type: 'InternalIP', address: `10.128.0.${10 + index}` }],
        nodeInfo: { kubeletVersion: `v${c.kubeVersion}`, osImage: 'Container-Optimized OS from Google' },
      },
    },
  };
}

export function newNodeName(c: ClusterKube, pool: string): string {
  return (
    `gke-${c.name}-${pool}`.slice(0, 40) +
    `-${c.prng.hex(8)}-${c.prng.chars(4, 'abcdefghijklmnopqrstuvwxyz0123456789')}`
  );
}

function nodeIp(node: Node | undefined): string {
  const addrs = (node?.status as { addresses?: { address: string }[] } | undefined)?.addresses;
  return addrs?.[0]?.address ?? '10.128.0.2';
}

/** Pod template from the scenario's short form. */
export function templateFor(spec: PodSpecLite & { name?: string }, appLabel: string): PodTemplateSpec {
  const labels = { app: appLabel, ...(spec.labels ?? {}) };
  const template: PodTemplateSpec = {
    metadata: { labels },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'us-docker.pkg.dev/sandbox/apps/app:1.0',
          ...(spec.env ? { env: Object.entries(spec.env).map(([name, value]) => ({ name, value })) } : {}),
          ...(spec.command ? { command: [...spec.command] } : {}),
          ...(spec.args ? { args: [...spec.args] } : {}),
        },
      ],
    },
  };
  if (spec.annotations) (template.metadata ?? {}).annotations = { ...spec.annotations };
  if (spec.serviceAccountName !== undefined) {
    template.spec.serviceAccountName = spec.serviceAccountName;
    template.spec.serviceAccount = spec.serviceAccountName;
  }
  if (spec.hostNetwork) template.spec.hostNetwork = true;
  return template;
}

/** A `node` in the scenario names a node or, failing that, a node pool. */
export function placement(c: ClusterKube, node: string | undefined): Record<string, string> | undefined {
  if (node === undefined) return undefined;
  if (c.store.get('nodes', undefined, node)) return { 'kubernetes.io/hostname': node };
  return { [NODE_POOL_LABEL]: node };
}

export function schedule(c: ClusterKube, nodeSelector: Record<string, string> | undefined): string | undefined {
  const nodes = c.store
    .list<Node>('nodes')
    .filter((n) => Object.entries(nodeSelector ?? {}).every(([k, v]) => n.metadata.labels?.[k] === v));
  if (nodes.length === 0) return undefined;
  const node = nodes[c.scheduleCounter % nodes.length];
  c.scheduleCounter += 1;
  return node?.metadata.name;
}

export function templateHash(template: PodTemplateSpec): string {
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += KUBE_ALPHABET[(digest[i] ?? 0) % KUBE_ALPHABET.length] ?? '';
  return out;
}

export function createPod(
  c: ClusterKube,
  namespace: string,
  name: string,
  template: PodTemplateSpec,
  owner: { kind: string; name: string; uid?: string; apiVersion: string } | undefined,
  extraLabels: Record<string, string> = {},
  nodeName?: string,
): Pod {
  const spec = structuredClone(template.spec);
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  const node = nodeName ?? schedule(c, spec.nodeSelector);
  if (node !== undefined) spec.nodeName = node;
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name: `kube-api-access-${c.prng.chars(5, KUBE_ALPHABET)}`,
      projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] },
    },
  ];
  const nodeObj = node !== undefined ? c.store.get<Node>('nodes', undefined, node) : undefined;
  const hostIP = nodeIp(nodeObj);
  const started = c.podStartTime ?? kubeTime(c.now());
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      creationTimestamp: started,
      labels: { ...(template.metadata?.labels ?? {}), ...extraLabels },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ...(owner
        ? {
            ownerReferences: [
              { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true },
            ],
          }
        : {}),
    },
    spec,
    status: {
      phase: node !== undefined ? 'Running' : 'Pending',
      hostIP,
      podIP: spec.hostNetwork ? hostIP : `10.4.${c.prng.chars(1, '0123456789')}.${Math.floor(c.prng.next() * 250) + 2}`,
      startTime: started,
      conditions: [{ type: 'Ready', status: node !== undefined ? 'True' : 'False' }],
      containerStatuses: spec.containers.map((ct) => ({
        name: ct.name,
        ready: node !== undefined,
        restartCount: 0,
        started: true,
      })),
    },
  };
  // Controllers create their pods; a bare pod comes from whoever applied it.
  recordWrite(undefined, pod, {
    manager: owner ? 'kube-controller-manager' : 'kubectl-client-side-apply',
    operation: 'Update',
    time: started,
    apiVersion: 'v1',
  });
  return c.store.put('pods', pod);
}

/** Creates a workload object and its pods (through a ReplicaSet for Deployments, a Job for CronJobs). */
export function createWorkload(c: ClusterKube, namespace: string, w: WorkloadSpec): void {
  const template = templateFor(w, w.name);
  const sel = placement(c, w.node);
  if (sel) template.spec.nodeSelector = sel;
  const apiVersion = w.kind === 'Job' || w.kind === 'CronJob' ? 'batch/v1' : 'apps/v1';
  const replicas = w.replicas ?? w.pods?.length ?? 1;
  const obj: Workload = {
    apiVersion,
    kind: w.kind,
    metadata: { name: w.name, namespace, labels: { app: w.name } },
    spec:
      w.kind === 'CronJob'
        ? { jobTemplate: { spec: { template } } }
        : {
            selector: { matchLabels: { app: w.name } },
            template,
            ...(w.kind === 'DaemonSet' || w.kind === 'Job' ? {} : { replicas }),
          },
  };
  if (w.kind === 'CronJob') (obj.spec as Record<string, unknown>).schedule = '*/5 * * * *';
  const stored = c.store.put(RESOURCE_OF_KIND[w.kind], obj);
  reconcile(c, stored, w.pods);
}

/** Brings a workload's pods in line with its template; `explicit` names the pods of the first generation. */
export function reconcile(c: ClusterKube, w: Workload, explicit?: PodSpecLite[]): void {
  const ns = w.metadata.namespace ?? 'default';
  const template = w.spec?.template ?? w.spec?.jobTemplate?.spec?.template;
  if (!template) return;
  const ownerRef = {
    apiVersion: w.apiVersion ?? 'apps/v1',
    kind: w.kind ?? 'Deployment',
    name: w.metadata.name,
    uid: w.metadata.uid,
  };
  const replicas = w.spec?.replicas ?? 1;
  const podSpecFor = (i: number): { name?: string; node?: string } => explicit?.[i] ?? {};
  switch (w.kind) {
    case 'Deployment': {
      const hash = templateHash(template);
      const firstExplicit = explicit?.[0]?.name;
      const rsName = firstExplicit ? firstExplicit.replace(/-[^-]+$/, '') : `${w.metadata.name}-${hash}`;
      const current = c.store.get<Workload>('replicasets', ns, rsName);
      if (current && current.metadata.labels?.['pod-template-hash'] === hash) return;
      // A new generation: old ReplicaSets scale to zero and their pods go.
      for (const rs of c.store.list<Workload>('replicasets', ns)) {
        if (rs.metadata.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === w.metadata.name)) {
          if (rs.spec) rs.spec.replicas = 0;
          c.store.put('replicasets', rs);
          deletePodsOwnedBy(c, ns, 'ReplicaSet', rs.metadata.name);
        }
      }
      const rsTemplate = structuredClone(template);
      rsTemplate.metadata = {
        ...rsTemplate.metadata,
        labels: { ...(rsTemplate.metadata?.labels ?? {}), 'pod-template-hash': hash },
      };
      const rs = c.store.put<Workload>('replicasets', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          namespace: ns,
          labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash },
          ownerReferences: [{ ...ownerRef, controller: true }],
        },
        spec: { replicas, selector: { matchLabels: { 'pod-template-hash': hash } }, template: rsTemplate },
      });
      const rsRef = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid };
      for (let i = 0; i < replicas; i++) {
        const ps = podSpecFor(i);
        createPod(
          c,
          ns,
          ps.name ?? `${rsName}-${c.prng.chars(5, KUBE_ALPHABET)}`,
          rsTemplate,
          rsRef,
          {},
          nodeFor(c, ps.node),
        );
      }
      return;
    }
    case 'StatefulSet':
      deletePodsOwnedBy(c, ns, 'StatefulSet', w.metadata.name);
      for (let i = 0; i < replicas; i++) {
        createPod(
          c,
          ns,
          podSpecFor(i).name ?? `${w.metadata.name}-${i}`,
          template,
          ownerRef,
          {},
          nodeFor(c, podSpecFor(i).node),
        );
      }
      return;
    case 'DaemonSet': {
      deletePodsOwnedBy(c, ns, 'DaemonSet', w.metadata.name);
      const nodes = c.store
        .list<Node>('nodes')
        .filter((n) =>
          Object.entries(template.spec.nodeSelector ?? {}).every(([k, v]) => n.metadata.labels?.[k] === v),
        );
      nodes.forEach((n, i) => {
        createPod(
          c,
          ns,
          podSpecFor(i).name ?? `${w.metadata.name}-${c.prng.chars(5, KUBE_ALPHABET)}`,
          template,
          ownerRef,
          {},
          n.metadata.name,
        );
      });
      return;
    }
    case 'Job':
    case 'ReplicaSet':
      deletePodsOwnedBy(c, ns, w.kind, w.metadata.name);
      for (let i = 0; i < replicas; i++) {
        createPod(
          c,
          ns,
          podSpecFor(i).name ?? `${w.metadata.name}-${c.prng.chars(5, KUBE_ALPHABET)}`,
          template,
          ownerRef,
          {},
          nodeFor(c, podSpecFor(i).node),
        );
      }
      return;
    case 'CronJob': {
      if (!explicit || explicit.length === 0) return;
      const job = c.store.put<Workload>('jobs', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: `${w.metadata.name}-${c.prng.digits(8)}`,
          namespace: ns,
          ownerReferences: [{ ...ownerRef, controller: true }],
        },
        spec: { template },
      });
      reconcile(c, job, explicit);
      return;
    }
    default:
      return;
  }
}

function nodeFor(c: ClusterKube, node: string | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (c.store.get('nodes', undefined, node)) return node;
  return schedule(c, { [NODE_POOL_LABEL]: node });
}

function deletePodsOwnedBy(c: ClusterKube, ns: string, kind: string, name: string): void {
  for (const p of c.store.list<Pod>('pods', ns)) {
    if (p.metadata.ownerReferences?.some((o) => o.kind === kind && o.name === name))
      c.store.delete('pods', ns, p.metadata.name);
  }
}

/** The gke-metadata-server DaemonSet and one pod per WI node, Ready only where the server is healthy. */
export function syncMetadataServerPods(c: ClusterKube): void {
  const ns = 'kube-system';
  let ds = c.store.get<Workload>('daemonsets', ns, 'gke-metadata-server');
  if (!ds) {
    ds = c.store.put<Workload>('daemonsets', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'gke-metadata-server', namespace: ns, labels: { 'k8s-app': 'gke-metadata-server' } },
      spec: {
        selector: { matchLabels: { 'k8s-app': 'gke-metadata-server' } },
        template: {
          metadata: { labels: { 'k8s-app': 'gke-metadata-server' } },
          spec: {
            hostNetwork: true,
            nodeSelector: { [METADATA_SERVER_NODE_LABEL]: 'true' },
            containers: [{ name: 'gke-metadata-server', image: 'gke.gcr.io/gke-metadata-server:sandbox' }],
          },
        },
      },
    });
  }
  deletePodsOwnedBy(c, ns, 'DaemonSet', 'gke-metadata-server');
  const template = ds.spec?.template;
  if (!template) return;
  const nodes = c.store.list<Node>('nodes').filter((n) => n.metadata.labels?.[METADATA_SERVER_NODE_LABEL] === 'true');
  let ready = 0;
  for (const n of nodes) {
    const health = c.health.get(n.metadata.name) ?? 'healthy';
    const pod = createPod(
      c,
      ns,
      `gke-metadata-server-${c.prng.chars(5, KUBE_ALPHABET)}`,
      template,
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'gke-metadata-server', uid: ds.metadata.uid },
      {},
      n.metadata.name,
    );
    if (health !== 'healthy' && pod.status) {
      pod.status.conditions = [{ type: 'Ready', status: 'False' }];
      pod.status.containerStatuses = [
        {
          name: 'gke-metadata-server',
          ready: false,
          restartCount: health === 'down' ? 7 : 0,
          state: health === 'down' ? { waiting: { reason: 'CrashLoopBackOff' } } : { running: {} },
        },
      ];
      c.store.put('pods', pod);
    } else ready += 1;
  }
  ds.status = { desiredNumberScheduled: nodes.length, currentNumberScheduled: nodes.length, numberReady: ready };
  c.store.put('daemonsets', ds);
}
