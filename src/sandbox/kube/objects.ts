// Builders for the Kubernetes objects of a cluster as a GKE 1.32 API server returns them: nodes with
// capacity, conditions and node info; pods with their scheduling, container states, images and IPs;
// namespaces and service accounts. The scenario's workloads are built here too; what happens to them later
// (rollouts, scaling, admission) is the controllers' job (controllers.ts).

import { createHash } from 'node:crypto';
import type { KObject, Node, Pod, PodTemplateSpec, Workload } from '../../model/k8s/types.js';
import { METADATA_SERVER_NODE_LABEL, NODE_POOL_LABEL } from '../../model/k8s/types.js';
import { KUBE_ALPHABET, type Prng } from '../prng.js';
import type { MetadataServerHealth, PodSpecLite, WorkloadKind, WorkloadSpec } from '../scenario/types.js';
import { arr, at, obj, str, strMap, type JsonObject } from './json.js';
import { kubeTime, recordWrite } from './managed-fields.js';
import type { KubeStore } from './store.js';
import type { Timers } from './timers.js';

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
  /** When the cluster was created (RFC 3339): its nodes and system objects date from then. */
  createTime: string;
  /**
   * While a scenario is being built: the time its pods started (RFC 3339). Unset afterwards, so pods the API
   * creates later (a rollout, a replaced pod) start now.
   */
  podStartTime?: string;
  /** Work the controllers do later (a pod becoming Ready); stopped with the sandbox. */
  timers: Timers;
}

export const APP_IMAGE = 'us-docker.pkg.dev/sandbox/apps/app:1.0';
export const METADATA_SERVER_IMAGE = 'gke.gcr.io/gke-metadata-server:sandbox';
const CONTAINERD = 'containerd://1.7.24';
const KERNEL = '6.6.72+';

export function rfc3339(time: string): string {
  const t = Date.parse(time);
  return Number.isNaN(t) ? time : kubeTime(t);
}

/** A time `seconds` after an RFC 3339 time. */
export function plusSeconds(time: string, seconds: number): string {
  return kubeTime(Date.parse(time) + seconds * 1000);
}

export function namespaceObject(name: string, labels: Record<string, string> = {}, created?: string): KObject {
  const metadata: KObject['metadata'] = { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } };
  if (created !== undefined) metadata.creationTimestamp = rfc3339(created);
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata,
    ...{ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
  };
}

export function serviceAccountObject(
  namespace: string,
  name: string,
  annotations?: Record<string, string>,
  labels?: Record<string, string>,
  uid?: string,
  created?: string,
): KObject {
  const metadata: KObject['metadata'] = { name, namespace };
  if (annotations && Object.keys(annotations).length > 0) metadata.annotations = { ...annotations };
  if (labels) metadata.labels = { ...labels };
  if (uid) metadata.uid = uid;
  if (created !== undefined) metadata.creationTimestamp = rfc3339(created);
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata };
}

/** A namespace as the cluster keeps one: the object, its `default` service account, the root CA config map. */
export function ensureNamespace(
  c: ClusterKube,
  name: string,
  labels: Record<string, string>,
  created: string,
): KObject {
  const ns = c.store.put('namespaces', namespaceObject(name, labels, created));
  namespaceDefaults(c, name, created);
  return ns;
}

/** What the controllers create in every new namespace. */
export function namespaceDefaults(c: ClusterKube, name: string, created: string): void {
  if (!c.store.get('serviceaccounts', name, 'default'))
    c.store.put('serviceaccounts', serviceAccountObject(name, 'default', undefined, undefined, undefined, created));
  if (!c.store.get('configmaps', name, 'kube-root-ca.crt')) {
    const cm: JsonObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kube-root-ca.crt',
        namespace: name,
        creationTimestamp: rfc3339(created),
      },
      data: { 'ca.crt': SANDBOX_CA },
    };
    c.store.put('configmaps', cm as unknown as KObject);
  }
}

/** A placeholder CA bundle: the sandbox serves plain HTTP on loopback, nothing verifies it. */
const SANDBOX_CA = '-----BEGIN CERTIFICATE-----\nc2FuZGJveA==\n-----END CERTIFICATE-----\n';

/** The services every GKE cluster has: `kubernetes` in default, kube-dns in kube-system. */
export const KUBERNETES_SERVICE_IP = '34.118.224.1';
export const KUBE_DNS_IP = '34.118.224.10';

export function systemObjects(c: ClusterKube): void {
  const created = rfc3339(c.createTime);
  const service = (ns: string, name: string, labels: Record<string, string>, spec: JsonObject): void => {
    const svc: JsonObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns, labels, creationTimestamp: created },
      spec,
      status: { loadBalancer: {} },
    };
    c.store.put('services', svc as unknown as KObject);
  };
  service(
    'default',
    'kubernetes',
    { component: 'apiserver', provider: 'kubernetes' },
    {
      clusterIP: KUBERNETES_SERVICE_IP,
      clusterIPs: [KUBERNETES_SERVICE_IP],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
  );
  service(
    'kube-system',
    'kube-dns',
    {
      'addonmanager.kubernetes.io/mode': 'Reconcile',
      'k8s-app': 'kube-dns',
      'kubernetes.io/cluster-service': 'true',
      'kubernetes.io/name': 'KubeDNS',
    },
    {
      clusterIP: KUBE_DNS_IP,
      clusterIPs: [KUBE_DNS_IP],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
      selector: { 'k8s-app': 'kube-dns' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
  );
  if (!c.store.get('serviceaccounts', 'kube-system', 'gke-metadata-server'))
    c.store.put(
      'serviceaccounts',
      serviceAccountObject('kube-system', 'gke-metadata-server', undefined, undefined, undefined, created),
    );
}

export function zoneOf(c: { location: string }): string {
  return /-[a-z]$/.test(c.location) ? c.location : `${c.location}-b`;
}

function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** A node as the kubelet reports it: addresses, capacity and allocatable, the conditions, node info. */
export function nodeObject(c: ClusterKube, name: string, pool: string, index: number): Node {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/instance-type': 'e2-standard-4',
    'beta.kubernetes.io/os': 'linux',
    'cloud.google.com/gke-boot-disk': 'pd-balanced',
    'cloud.google.com/gke-container-runtime': 'containerd',
    'cloud.google.com/gke-os-distribution': 'cos',
    [NODE_POOL_LABEL]: pool,
    'cloud.google.com/machine-family': 'e2',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': 'e2-standard-4',
    'topology.kubernetes.io/region': c.location.replace(/-[a-z]$/, ''),
    'topology.kubernetes.io/zone': zoneOf(c),
  };
  if (c.poolRunsMetadataServer(pool)) labels[METADATA_SERVER_NODE_LABEL] = 'true';
  const created = c.podStartTime !== undefined ? rfc3339(c.createTime) : kubeTime(c.now());
  const heartbeat = kubeTime(c.now());
  const cond = (type: string, status: string, reason: string, message: string): JsonObject => ({
    type,
    status,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: created,
    reason,
    message,
  });
  const node: JsonObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels,
      annotations: {
        'container.googleapis.com/instance_id': hex(`${name}/id`, 19).replace(/[a-f]/g, (ch) =>
          String(ch.charCodeAt(0) % 10),
        ),
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      creationTimestamp: created,
    },
    spec: {
      podCIDR: `10.4.${index}.0/24`,
      podCIDRs: [`10.4.${index}.0/24`],
      providerID: `gce://${c.project}/${zoneOf(c)}/${name}`,
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: `10.128.0.${10 + index}` },
        {
          type: 'ExternalIP',
          address: `34.${140 + (index % 50)}.${(index * 37 + 11) % 250}.${(index * 53 + 23) % 250}`,
        },
        { type: 'Hostname', address: name },
      ],
      allocatable: {
        cpu: '3920m',
        'ephemeral-storage': '47060071478',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: '13310992Ki',
        pods: '110',
      },
      capacity: {
        cpu: '4',
        'ephemeral-storage': '98831908Ki',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: '16393232Ki',
        pods: '110',
      },
      conditions: [
        cond('NetworkUnavailable', 'False', 'RouteCreated', 'NodeController create implicit route'),
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: `${hex(`${name}/boot`, 8)}-${hex(`${name}/boot`, 12).slice(8)}-4${hex(`${name}/b2`, 3)}-a${hex(`${name}/b3`, 3)}-${hex(`${name}/b4`, 12)}`,
        containerRuntimeVersion: CONTAINERD,
        kernelVersion: KERNEL,
        kubeProxyVersion: `v${c.kubeVersion}`,
        kubeletVersion: `v${c.kubeVersion}`,
        machineID: hex(`${name}/machine`, 32),
        operatingSystem: 'linux',
        osImage: 'Container-Optimized OS from Google',
        systemUUID: `${hex(`${name}/uuid`, 8)}-${hex(`${name}/u1`, 4)}-${hex(`${name}/u2`, 4)}-${hex(`${name}/u3`, 4)}-${hex(`${name}/u4`, 12)}`,
      },
    },
  };
  return node as unknown as Node;
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
          image: APP_IMAGE,
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

/** A pod-template-hash: a stable digest of the template in Kubernetes' name alphabet. */
export function templateHash(template: PodTemplateSpec): string {
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += KUBE_ALPHABET[(digest[i] ?? 0) % KUBE_ALPHABET.length] ?? '';
  return out;
}

/** The digest an image reference is pulled at (stable per image). */
export function imageId(image: string): string {
  const repo = image.replace(/[:@][^/]*$/, '');
  return `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

/** Fields the API server defaults on a pod spec and its containers. */
export function defaultPodSpec(spec: JsonObject): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  for (const list of ['containers', 'initContainers']) {
    for (const ct of arr(spec[list]).map(obj)) {
      const image = str(ct.image);
      const tag = /:([^/:@]+)$/.exec(image)?.[1];
      ct.imagePullPolicy ??= tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
      ct.terminationMessagePath ??= '/dev/termination-log';
      ct.terminationMessagePolicy ??= 'File';
      ct.resources ??= {};
      for (const p of arr(ct.ports).map(obj)) p.protocol ??= 'TCP';
    }
  }
}

/** running = Ready; unready = running but failing its readiness; pending = ContainerCreating. */
export type PodState = 'running' | 'unready' | 'pending' | 'crashloop';

/** The status of a pod in a state, as the kubelet reports it. */
export function podStatus(
  c: ClusterKube,
  pod: JsonObject,
  state: PodState,
  opts: { started: string; hostIP: string; podIP: string; restarts?: number },
): JsonObject {
  const spec = obj(pod.spec);
  const containers = arr(spec.containers).map(obj);
  const ready = state === 'running';
  const up = state === 'running' || state === 'unready';
  const readyText = ready ? 'True' : 'False';
  const names = containers.map((ct) => str(ct.name)).join(' ');
  const notReady = ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${names}]` };
  const running = plusSeconds(opts.started, 2);
  const conditions: JsonObject[] = [
    {
      type: 'PodReadyToStartContainers',
      status: state === 'pending' ? 'False' : 'True',
      lastProbeTime: null,
      lastTransitionTime: state === 'pending' ? opts.started : running,
    },
    { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: opts.started },
    {
      type: 'Ready',
      status: readyText,
      lastProbeTime: null,
      lastTransitionTime: ready ? running : opts.started,
      ...notReady,
    },
    {
      type: 'ContainersReady',
      status: readyText,
      lastProbeTime: null,
      lastTransitionTime: ready ? running : opts.started,
      ...notReady,
    },
    { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: opts.started },
  ];
  const meta = obj(pod.metadata);
  const statuses = containers.map((ct) => {
    const image = str(ct.image);
    const base: JsonObject = {
      name: str(ct.name),
      image,
      imageID: state === 'pending' ? '' : imageId(image),
      lastState: {},
      ready,
      restartCount: opts.restarts ?? 0,
      started: up,
    };
    if (state !== 'pending')
      base.containerID = `containerd://${hex(`${str(meta.uid)}/${str(ct.name)}/${opts.restarts ?? 0}`, 64)}`;
    if (up) base.state = { running: { startedAt: running } };
    else if (state === 'pending') base.state = { waiting: { reason: 'ContainerCreating' } };
    else {
      base.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off 5m0s restarting failed container=${str(ct.name)} pod=${str(meta.name)}_${str(meta.namespace)}(${str(meta.uid)})`,
        },
      };
      const finished = kubeTime(c.now() - 90_000);
      base.lastState = {
        terminated: {
          exitCode: 1,
          reason: 'Error',
          startedAt: kubeTime(c.now() - 92_000),
          finishedAt: finished,
          containerID: base.containerID,
        },
      };
    }
    return base;
  });
  const status: JsonObject = {
    phase: state === 'pending' ? 'Pending' : 'Running',
    conditions,
    hostIP: opts.hostIP,
    hostIPs: [{ ip: opts.hostIP }],
    startTime: opts.started,
    containerStatuses: statuses,
    qosClass: qosClass(containers),
  };
  if (state !== 'pending') {
    status.podIP = opts.podIP;
    status.podIPs = [{ ip: opts.podIP }];
  }
  return status;
}

function qosClass(containers: JsonObject[]): string {
  let any = false;
  let guaranteed = true;
  for (const ct of containers) {
    const requests = obj(at(ct, 'resources', 'requests'));
    const limits = obj(at(ct, 'resources', 'limits'));
    if (Object.keys(requests).length > 0 || Object.keys(limits).length > 0) any = true;
    for (const r of ['cpu', 'memory'])
      if (limits[r] === undefined || (requests[r] !== undefined && str(requests[r]) !== str(limits[r])))
        guaranteed = false;
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export interface OwnerRef {
  kind: string;
  name: string;
  uid?: string;
  apiVersion: string;
}

/**
 * A pod object (not stored): scheduled on a node, its token volume mounted, in `state`. Returns undefined
 * when no node matches its selector (the pod then stays Pending with a FailedScheduling event elsewhere).
 */
export function buildPod(
  c: ClusterKube,
  namespace: string,
  name: string,
  template: PodTemplateSpec,
  owner: OwnerRef | undefined,
  opts: { nodeName?: string; state?: PodState; extraLabels?: Record<string, string> } = {},
): Pod {
  const started = c.podStartTime ?? kubeTime(c.now());
  const metadata: JsonObject = {
    name,
    namespace,
    creationTimestamp: started,
    labels: { ...(template.metadata?.labels ?? {}), ...(opts.extraLabels ?? {}) },
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  if (owner) {
    metadata.generateName = `${owner.name}-`;
    metadata.ownerReferences = [
      {
        apiVersion: owner.apiVersion,
        kind: owner.kind,
        name: owner.name,
        uid: owner.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  }
  metadata.uid = c.prng.uuid();
  const pod: JsonObject = { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template.spec) };
  buildPodSpec(c, pod, opts.nodeName, opts.state ?? 'running', started);
  return pod as unknown as Pod;
}

/**
 * What admission, the scheduler and the kubelet add to a pod: the service account (default `default`) and its
 * token volume, default tolerations and fields, a node (by its nodeSelector), and a status in `state`
 * (`pending` for a pod the API just created: it starts later).
 */
export function buildPodSpec(
  c: ClusterKube,
  pod: JsonObject,
  nodeName?: string,
  state: PodState = 'pending',
  started: string = kubeTime(c.now()),
): void {
  const spec = obj(pod.spec);
  pod.spec = spec;
  spec.serviceAccountName ??= str(spec.serviceAccount) || 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  if (spec.automountServiceAccountToken !== false) {
    const volumeName = `kube-api-access-${c.prng.chars(5, KUBE_ALPHABET)}`;
    spec.volumes = [
      ...arr(spec.volumes),
      {
        name: volumeName,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
              },
            },
          ],
        },
      },
    ];
    for (const ct of arr(spec.containers).map(obj)) {
      ct.volumeMounts = [
        ...arr(ct.volumeMounts),
        { name: volumeName, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
      ];
    }
  }
  spec.tolerations ??= [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ];
  defaultPodSpec(spec);
  const node = nodeName ?? (str(spec.nodeName) || schedule(c, strMap(spec.nodeSelector)));
  if (node !== undefined) spec.nodeName = node;
  const nodeObj = node !== undefined ? c.store.get<Node>('nodes', undefined, node) : undefined;
  const hostIP = nodeIp(nodeObj);
  const podIP =
    spec.hostNetwork === true ? hostIP : `10.4.${c.prng.chars(1, '0123456789')}.${Math.floor(c.prng.next() * 250) + 2}`;
  if (node === undefined) {
    pod.status = {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          lastProbeTime: null,
          lastTransitionTime: started,
          reason: 'Unschedulable',
          message:
            '0/' +
            String(c.store.list('nodes').length) +
            ' nodes are available: ' +
            String(c.store.list('nodes').length) +
            " node(s) didn't match Pod's node affinity/selector.",
        },
      ],
      qosClass: 'BestEffort',
    };
    return;
  }
  pod.status = podStatus(c, pod, state, { started, hostIP, podIP });
}

/** Creates and stores a pod (scenario pods, controller pods) with the managedFields its writer leaves. */
export function createPod(
  c: ClusterKube,
  namespace: string,
  name: string,
  template: PodTemplateSpec,
  owner: OwnerRef | undefined,
  extraLabels: Record<string, string> = {},
  nodeName?: string,
  state?: PodState,
): Pod {
  const pod = buildPod(c, namespace, name, template, owner, {
    extraLabels,
    ...(nodeName !== undefined ? { nodeName } : {}),
    ...(state !== undefined ? { state } : {}),
  });
  // Controllers create their pods; a bare pod comes from whoever applied it.
  recordWrite(undefined, pod, {
    manager: owner ? 'kube-controller-manager' : 'kubectl-client-side-apply',
    operation: 'Update',
    time: pod.metadata.creationTimestamp ?? kubeTime(c.now()),
    apiVersion: 'v1',
  });
  return c.store.put('pods', pod);
}

export const RESOURCE_OF_KIND: Record<WorkloadKind, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  ReplicaSet: 'replicasets',
};

/** Defaults the API server sets on a workload's spec. */
export function defaultWorkload(kind: string, w: JsonObject): void {
  const spec = obj(w.spec);
  w.spec = spec;
  const template = kind === 'CronJob' ? obj(at(spec, 'jobTemplate', 'spec', 'template')) : obj(spec.template);
  if (Object.keys(template).length > 0) {
    template.metadata ??= {};
    const podSpec = obj(template.spec);
    template.spec = podSpec;
    defaultPodSpec(podSpec);
  }
  if (kind === 'Deployment') {
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
  } else if (kind === 'ReplicaSet' || kind === 'StatefulSet') {
    spec.replicas ??= 1;
  } else if (kind === 'DaemonSet') {
    spec.revisionHistoryLimit ??= 10;
    spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
  }
}

/** Creates a workload object from the scenario; the controllers then create its pods. */
export function scenarioWorkload(c: ClusterKube, namespace: string, w: WorkloadSpec): Workload {
  const template = templateFor(w, w.name);
  const sel = placement(c, w.node);
  if (sel) template.spec.nodeSelector = sel;
  const apiVersion = w.kind === 'Job' || w.kind === 'CronJob' ? 'batch/v1' : 'apps/v1';
  const replicas = w.replicas ?? w.pods?.length ?? 1;
  const created = plusSeconds(c.podStartTime ?? kubeTime(c.now()), -1);
  const obj: JsonObject = {
    apiVersion,
    kind: w.kind,
    metadata: { name: w.name, namespace, labels: { app: w.name }, creationTimestamp: created, generation: 1 },
    spec:
      w.kind === 'CronJob'
        ? { schedule: '*/5 * * * *', jobTemplate: { spec: { template } } }
        : {
            selector: { matchLabels: { app: w.name } },
            template,
            ...(w.kind === 'DaemonSet' || w.kind === 'Job' ? {} : { replicas }),
          },
  };
  defaultWorkload(w.kind, obj);
  const workload = obj as unknown as Workload;
  recordWrite(undefined, workload, {
    manager: 'kubectl-client-side-apply',
    operation: 'Update',
    time: created,
    apiVersion,
  });
  return c.store.put(RESOURCE_OF_KIND[w.kind], workload);
}

/** The gke-metadata-server DaemonSet of kube-system (its pods come from the DaemonSet controller). */
export function metadataServerDaemonSet(c: ClusterKube): Workload {
  const ns = 'kube-system';
  const existing = c.store.get<Workload>('daemonsets', ns, 'gke-metadata-server');
  if (existing) return existing;
  const ds: JsonObject = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: 'gke-metadata-server',
      namespace: ns,
      labels: { 'addonmanager.kubernetes.io/mode': 'Reconcile', 'k8s-app': 'gke-metadata-server' },
      creationTimestamp: rfc3339(c.createTime),
      generation: 1,
    },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'gke-metadata-server' } },
      template: {
        metadata: { labels: { 'k8s-app': 'gke-metadata-server' } },
        spec: {
          hostNetwork: true,
          priorityClassName: 'system-node-critical',
          nodeSelector: { [METADATA_SERVER_NODE_LABEL]: 'true' },
          serviceAccountName: 'gke-metadata-server',
          serviceAccount: 'gke-metadata-server',
          containers: [{ name: 'gke-metadata-server', image: METADATA_SERVER_IMAGE }],
        },
      },
    },
  };
  defaultWorkload('DaemonSet', ds);
  return c.store.put('daemonsets', ds as unknown as Workload);
}

export function metadataServerHealth(c: ClusterKube, node: string): MetadataServerHealth {
  return c.health.get(node) ?? 'healthy';
}
