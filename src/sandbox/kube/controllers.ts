// The controllers the sandbox plays, enough for `kubectl rollout status`, `kubectl wait` and `get -w` to
// see what a GKE cluster shows:
//   - Deployment: one ReplicaSet per pod template (its pod-template-hash in its name, its pods' names and
//     labels), a revision annotation, a rolling update (new pods start, then the old ReplicaSet scales to
//     zero), status with observedGeneration, replica counts and the Available/Progressing conditions.
//   - ReplicaSet / StatefulSet / DaemonSet / Job: their pods, with the ServiceAccount admission check a pod
//     creation passes on GKE (a pod whose service account does not exist is not created: FailedCreate).
//   - Pods the API creates start Pending (ContainerCreating) and become Ready a moment later.
// Events are recorded as the controllers, the scheduler and the kubelet record them.

import type { KObject, Node, Pod, PodTemplateSpec, Workload } from '../../model/k8s/types.js';
import { KUBE_ALPHABET } from '../prng.js';
import type { PodSpecLite, WorkloadSpec } from '../scenario/types.js';
import { recordEvent } from './events.js';
import { sandboxLinks } from './hooks.js';
import { arr, at, num, obj, str, type JsonObject } from './json.js';
import { kubeTime } from './managed-fields.js';
import {
  createPod,
  metadataServerDaemonSet,
  metadataServerHealth,
  podStatus,
  scenarioWorkload,
  templateHash,
  type ClusterKube,
  type OwnerRef,
  type PodState,
} from './objects.js';
import { matchesLabels, selectorRequirements } from './selectors.js';

/** How long a pod the API created stays ContainerCreating before it runs. */
export const POD_START_MS = 300;

export const REVISION = 'deployment.kubernetes.io/revision';

const json = (o: KObject): JsonObject => o as unknown as JsonObject;

export function ownerRefOf(o: KObject): OwnerRef {
  return { apiVersion: o.apiVersion ?? 'v1', kind: o.kind ?? '', name: o.metadata.name, uid: o.metadata.uid };
}

function controlledBy(o: KObject, owner: KObject): boolean {
  return (o.metadata.ownerReferences ?? []).some(
    (r) =>
      r.controller === true &&
      (r.uid === owner.metadata.uid ||
        (r.uid === undefined && r.kind === owner.kind && r.name === owner.metadata.name)),
  );
}

function terminating(o: KObject): boolean {
  return json(o).metadata !== undefined && obj(json(o).metadata).deletionTimestamp !== undefined;
}

function ownedPods(c: ClusterKube, owner: KObject): Pod[] {
  return c.store.list<Pod>('pods', owner.metadata.namespace).filter((p) => controlledBy(p, owner) && !terminating(p));
}

function podReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True');
}

/** The template without the pod-template-hash label: what the deployment controller compares. */
function withoutHash(t: unknown): string {
  const copy = structuredClone(obj(t));
  const labels = obj(at(copy, 'metadata', 'labels'));
  delete labels['pod-template-hash'];
  return JSON.stringify(canonical(copy));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'object' && v !== null) {
    const out: JsonObject = {};
    for (const k of Object.keys(v).sort()) {
      const val = (v as JsonObject)[k];
      if (val === undefined) continue;
      if (typeof val === 'object' && val !== null && !Array.isArray(val) && Object.keys(val).length === 0) continue;
      out[k] = canonical(val);
    }
    return out;
  }
  return v;
}

/** Whether the namespace has the service account a pod names (the ServiceAccount admission plugin). */
export function serviceAccountError(c: ClusterKube, namespace: string, spec: Pod['spec']): string | undefined {
  const sa = spec.serviceAccountName ?? spec.serviceAccount ?? 'default';
  if (c.store.get('serviceaccounts', namespace, sa)) return undefined;
  return `error looking up service account ${namespace}/${sa}: serviceaccount "${sa}" not found`;
}

function newPodName(c: ClusterKube, base: string): string {
  return `${base}-${c.prng.chars(5, KUBE_ALPHABET)}`;
}

/** Creates a pod for a controller, recording what the scheduler records; it starts a moment later. */
function spawnPod(
  c: ClusterKube,
  owner: KObject,
  name: string,
  template: PodTemplateSpec,
  nodeName: string | undefined,
  state?: PodState,
): Pod {
  const building = c.podStartTime !== undefined;
  const pod = createPod(
    c,
    owner.metadata.namespace ?? 'default',
    name,
    template,
    ownerRefOf(owner),
    {},
    nodeName,
    building ? (state ?? 'running') : 'pending',
  );
  if (!building) {
    recordEvent(c, owner, {
      type: 'Normal',
      reason: 'SuccessfulCreate',
      message: `Created pod: ${name}`,
      component: `${(owner.kind ?? '').toLowerCase()}-controller`,
    });
    if (pod.spec.nodeName !== undefined) {
      recordEvent(c, pod, {
        type: 'Normal',
        reason: 'Scheduled',
        message: `Successfully assigned ${pod.metadata.namespace ?? ''}/${name} to ${pod.spec.nodeName}`,
        component: 'default-scheduler',
      });
      c.timers.after(POD_START_MS, () => startPod(c, pod.metadata.namespace ?? '', name, state ?? 'running'));
    }
  }
  return pod;
}

/** A pending pod's containers start (the kubelet's events), then its controllers see it Ready. */
export function startPod(c: ClusterKube, namespace: string, name: string, state: PodState = 'running'): void {
  const pod = c.store.get<Pod>('pods', namespace, name);
  if (!pod || terminating(pod) || pod.status?.phase !== 'Pending') return;
  const status = obj(json(pod).status);
  const host = pod.spec.nodeName ?? '';
  for (const ct of pod.spec.containers) {
    const image = ct.image ?? '';
    const pullAlways = (ct as unknown as JsonObject).imagePullPolicy === 'Always';
    // UNVERIFIED: the kubelet's exact wording of these lifecycle events in 1.32.
    recordEvent(c, pod, {
      type: 'Normal',
      reason: pullAlways ? 'Pulling' : 'Pulled',
      message: pullAlways ? `Pulling image "${image}"` : `Container image "${image}" already present on machine`,
      component: 'kubelet',
      host,
      fieldPath: `spec.containers{${ct.name}}`,
    });
    recordEvent(c, pod, {
      type: 'Normal',
      reason: 'Created',
      message: `Created container: ${ct.name}`,
      component: 'kubelet',
      host,
      fieldPath: `spec.containers{${ct.name}}`,
    });
    recordEvent(c, pod, {
      type: 'Normal',
      reason: 'Started',
      message: `Started container ${ct.name}`,
      component: 'kubelet',
      host,
      fieldPath: `spec.containers{${ct.name}}`,
    });
  }
  const podIP = pod.spec.hostNetwork
    ? str(status.hostIP)
    : `10.4.${c.prng.chars(1, '0123456789')}.${Math.floor(c.prng.next() * 250) + 2}`;
  json(pod).status = podStatus(c, json(pod), state, {
    started: str(status.startTime) || kubeTime(c.now()),
    hostIP: str(status.hostIP),
    podIP,
  });
  c.store.put('pods', pod);
  const links = sandboxLinks(c);
  if (links?.runEntrypoint) for (const ct of pod.spec.containers) links.runEntrypoint(pod, ct.name);
  reconcileOwnerOf(c, pod);
}

/** After a pod changes: its ReplicaSet (and that one's Deployment), DaemonSet, StatefulSet or Job. */
export function reconcileOwnerOf(c: ClusterKube, o: KObject): void {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return;
  const resource = {
    ReplicaSet: 'replicasets',
    Deployment: 'deployments',
    DaemonSet: 'daemonsets',
    StatefulSet: 'statefulsets',
    Job: 'jobs',
    CronJob: 'cronjobs',
  }[ref.kind];
  if (resource === undefined) return;
  const owner = c.store.get<Workload>(resource, o.metadata.namespace, ref.name);
  if (owner) reconcileWorkload(c, owner);
}

export function reconcileWorkload(c: ClusterKube, w: Workload, explicit?: PodSpecLite[]): void {
  switch (w.kind) {
    case 'Deployment':
      return reconcileDeployment(c, w, explicit);
    case 'ReplicaSet':
      return reconcileReplicaSet(c, w, explicit);
    case 'StatefulSet':
      return reconcileStatefulSet(c, w, explicit);
    case 'DaemonSet':
      return reconcileDaemonSet(c, w, explicit);
    case 'Job':
      return reconcileJob(c, w, explicit);
    case 'CronJob':
      return reconcileCronJob(c, w, explicit);
    default:
      return;
  }
}

/** The scenario's workloads: the object, then its pods (named as the scenario says, if it does). */
export function createWorkload(c: ClusterKube, namespace: string, w: WorkloadSpec): void {
  reconcileWorkload(c, scenarioWorkload(c, namespace, w), w.pods);
}

function nodeFor(c: ClusterKube, node: string | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (c.store.get('nodes', undefined, node)) return node;
  const nodes = c.store
    .list<Node>('nodes')
    .filter((n) => n.metadata.labels?.['cloud.google.com/gke-nodepool'] === node);
  const picked = nodes[c.scheduleCounter % Math.max(1, nodes.length)];
  c.scheduleCounter += 1;
  return picked?.metadata.name;
}

/** What a controller may change on an object it owns: status, annotations, generation. */
function snapshot(o: KObject): string {
  return JSON.stringify([json(o).status ?? {}, o.metadata.annotations ?? {}, obj(json(o).metadata).generation]);
}

/** Stores an object the controller recomputed, unless nothing changed (no new resourceVersion or event then). */
function putIfChanged(c: ClusterKube, resource: string, o: KObject, before: string): void {
  const stored = c.store.get(resource, o.metadata.namespace, o.metadata.name);
  if (stored !== o || snapshot(o) !== before) c.store.put(resource, o);
}

// ---------- Deployment ----------

function replicaSetsOf(c: ClusterKube, d: Workload): Workload[] {
  return c.store.list<Workload>('replicasets', d.metadata.namespace).filter((rs) => controlledBy(rs, d));
}

function revisionOf(o: KObject): number {
  return Number(o.metadata.annotations?.[REVISION] ?? 0) || 0;
}

function maxUnavailable(d: Workload): number {
  const replicas = d.spec?.replicas ?? 1;
  const raw = at(d, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable');
  if (typeof raw === 'number') return raw;
  const pct = /^(\d+)%$/.exec(str(raw) || '25%');
  return pct ? Math.floor((replicas * Number(pct[1])) / 100) : 0;
}

export function reconcileDeployment(c: ClusterKube, d: Workload, explicit?: PodSpecLite[]): void {
  const template = d.spec?.template;
  if (!template) return;
  const initial = snapshot(d);
  const ns = d.metadata.namespace ?? 'default';
  const replicas = d.spec?.replicas ?? 1;
  const all = replicaSetsOf(c, d);
  let current = all.find((rs) => withoutHash(rs.spec?.template) === withoutHash(template));
  const maxRevision = Math.max(0, ...all.map(revisionOf));
  if (!current) {
    const firstExplicit = explicit?.[0]?.name;
    const fromName = firstExplicit ? firstExplicit.replace(/-[^-]+$/, '') : undefined;
    const hash =
      fromName !== undefined && fromName.startsWith(`${d.metadata.name}-`)
        ? fromName.slice(d.metadata.name.length + 1)
        : templateHash(template);
    const rsName = fromName ?? `${d.metadata.name}-${hash}`;
    const rsTemplate = structuredClone(template);
    rsTemplate.metadata = {
      ...rsTemplate.metadata,
      labels: { ...(rsTemplate.metadata?.labels ?? {}), 'pod-template-hash': hash },
    };
    const created = c.podStartTime !== undefined ? obj(json(d).metadata).creationTimestamp : kubeTime(c.now());
    const rs: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rsName,
        namespace: ns,
        labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash },
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + Math.ceil(replicas * 0.25)),
          [REVISION]: String(maxRevision + 1),
        },
        ownerReferences: [{ ...ownerRefOf(d), controller: true, blockOwnerDeletion: true }],
        creationTimestamp: created,
        generation: 1,
      },
      spec: {
        replicas,
        selector: {
          ...(d.spec?.selector ?? {}),
          matchLabels: { ...(d.spec?.selector?.matchLabels ?? {}), 'pod-template-hash': hash },
        },
        template: rsTemplate,
      },
      status: { replicas: 0, observedGeneration: 1 },
    };
    current = c.store.put<Workload>('replicasets', rs as unknown as Workload);
    if (c.podStartTime === undefined)
      recordEvent(c, d, {
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: `Scaled up replica set ${rsName} from 0 to ${replicas}`,
        component: 'deployment-controller',
      });
  } else {
    if (revisionOf(current) < maxRevision) {
      // A rollback to an earlier template: that ReplicaSet becomes the newest revision.
      current.metadata.annotations = { ...(current.metadata.annotations ?? {}), [REVISION]: String(maxRevision + 1) };
    }
    if ((current.spec?.replicas ?? 0) !== replicas) {
      const from = current.spec?.replicas ?? 0;
      if (current.spec) current.spec.replicas = replicas;
      current.metadata.annotations = {
        ...(current.metadata.annotations ?? {}),
        'deployment.kubernetes.io/desired-replicas': String(replicas),
      };
      bumpGeneration(current);
      recordEvent(c, d, {
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: `Scaled ${replicas > from ? 'up' : 'down'} replica set ${current.metadata.name} from ${from} to ${replicas}`,
        component: 'deployment-controller',
      });
    }
    c.store.put('replicasets', current);
  }
  d.metadata.annotations = {
    ...(d.metadata.annotations ?? {}),
    [REVISION]: current.metadata.annotations?.[REVISION] ?? '1',
  };
  reconcileReplicaSet(c, current, explicit, false);
  // The rolling update: once the new pods are ready, the old ReplicaSets go to zero.
  const fresh = c.store.get<Workload>('replicasets', ns, current.metadata.name) ?? current;
  const readyNew = num(at(fresh, 'status', 'readyReplicas'));
  if (readyNew >= replicas || c.podStartTime !== undefined) {
    for (const old of replicaSetsOf(c, d)) {
      if (old.metadata.name === fresh.metadata.name || (old.spec?.replicas ?? 0) === 0) continue;
      const from = old.spec?.replicas ?? 0;
      if (old.spec) old.spec.replicas = 0;
      bumpGeneration(old);
      c.store.put('replicasets', old);
      if (c.podStartTime === undefined)
        recordEvent(c, d, {
          type: 'Normal',
          reason: 'ScalingReplicaSet',
          message: `Scaled down replica set ${old.metadata.name} from ${from} to 0`,
          component: 'deployment-controller',
        });
      reconcileReplicaSet(c, old, undefined, false);
    }
  }
  updateDeploymentStatus(c, d, initial);
}

function bumpGeneration(o: KObject): void {
  const m = obj(json(o).metadata);
  m.generation = num(m.generation) + 1;
}

function condition(
  prev: JsonObject[],
  type: string,
  status: string,
  reason: string,
  message: string,
  now: string,
  withUpdate: boolean,
): JsonObject {
  const old = prev.find((x) => str(x.type) === type);
  const transition = old && str(old.status) === status ? str(old.lastTransitionTime) : now;
  const same = old && str(old.reason) === reason && str(old.message) === message && str(old.status) === status;
  const out: JsonObject = { type, status };
  if (withUpdate) out.lastUpdateTime = same ? str(old.lastUpdateTime) || now : now;
  out.lastTransitionTime = transition;
  out.reason = reason;
  out.message = message;
  return out;
}

export function updateDeploymentStatus(c: ClusterKube, d: Workload, before = snapshot(d)): void {
  const replicas = d.spec?.replicas ?? 1;
  const sets = replicaSetsOf(c, d);
  const current = sets.find((rs) => withoutHash(rs.spec?.template) === withoutHash(d.spec?.template));
  let total = 0;
  let ready = 0;
  let available = 0;
  let specTotal = 0;
  for (const rs of sets) {
    total += num(at(rs, 'status', 'replicas'));
    ready += num(at(rs, 'status', 'readyReplicas'));
    available += num(at(rs, 'status', 'availableReplicas'));
    specTotal += rs.spec?.replicas ?? 0;
  }
  const updated = current ? num(at(current, 'status', 'replicas')) : 0;
  const prev = arr(at(d, 'status', 'conditions')).map(obj);
  const now = c.podStartTime ?? kubeTime(c.now());
  const conditions: JsonObject[] = [];
  const minAvailable = replicas - maxUnavailable(d);
  conditions.push(
    available >= minAvailable
      ? condition(
          prev,
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
          now,
          true,
        )
      : condition(
          prev,
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
          now,
          true,
        ),
  );
  const failure = arr(at(current, 'status', 'conditions'))
    .map(obj)
    .find((x) => str(x.type) === 'ReplicaFailure' && str(x.status) === 'True');
  const done = current !== undefined && updated === replicas && total === updated && available >= replicas;
  if (current) {
    conditions.push(
      done
        ? condition(
            prev,
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${current.metadata.name}" has successfully progressed.`,
            now,
            true,
          )
        : condition(
            prev,
            'Progressing',
            'True',
            'ReplicaSetUpdated',
            `ReplicaSet "${current.metadata.name}" is progressing.`,
            now,
            true,
          ),
    );
  }
  if (failure)
    conditions.push(condition(prev, 'ReplicaFailure', 'True', str(failure.reason), str(failure.message), now, true));
  const status: JsonObject = {
    observedGeneration: num(obj(json(d).metadata).generation) || 1,
    replicas: total,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    conditions,
  };
  const unavailable = Math.max(0, specTotal - available);
  if (unavailable > 0) status.unavailableReplicas = unavailable;
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'])
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- zero counts are omitted, as Go's omitempty does
    if (status[k] === 0) delete status[k];
  d.status = status;
  putIfChanged(c, 'deployments', d, before);
}

// ---------- ReplicaSet ----------

export function reconcileReplicaSet(c: ClusterKube, rs: Workload, explicit?: PodSpecLite[], upward = true): void {
  const template = rs.spec?.template;
  if (!template) return;
  const want = rs.spec?.replicas ?? 1;
  const pods = ownedPods(c, rs);
  let failure: string | undefined;
  const ns = rs.metadata.namespace ?? 'default';
  if (pods.length < want) {
    const saError = serviceAccountError(c, ns, template.spec);
    if (saError !== undefined) {
      failure = `pods "${rs.metadata.name}-" is forbidden: ${saError}`;
      recordEvent(c, rs, {
        type: 'Warning',
        reason: 'FailedCreate',
        message: `Error creating: ${failure}`,
        component: 'replicaset-controller',
      });
    } else {
      for (let i = pods.length; i < want; i++) {
        const ps = explicit?.[i] ?? {};
        spawnPod(c, rs, ps.name ?? newPodName(c, rs.metadata.name), template, nodeFor(c, ps.node));
      }
    }
  } else if (pods.length > want) {
    const extra = [...pods]
      .sort(
        (a, b) =>
          (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
          a.metadata.name.localeCompare(b.metadata.name),
      )
      .reverse()
      .slice(0, pods.length - want);
    for (const p of extra) {
      killPod(c, p);
      recordEvent(c, rs, {
        type: 'Normal',
        reason: 'SuccessfulDelete',
        message: `Deleted pod: ${p.metadata.name}`,
        component: 'replicaset-controller',
      });
    }
  }
  const now = ownedPods(c, rs);
  const before = snapshot(rs);
  const ready = now.filter(podReady).length;
  const labels = rs.spec?.template?.metadata?.labels ?? {};
  const status: JsonObject = {
    replicas: now.length,
    fullyLabeledReplicas: now.filter((p) => Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v))
      .length,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: num(obj(json(rs).metadata).generation) || 1,
  };
  if (failure !== undefined) {
    const prev = arr(at(rs, 'status', 'conditions')).map(obj);
    status.conditions = [condition(prev, 'ReplicaFailure', 'True', 'FailedCreate', failure, kubeTime(c.now()), false)];
  }
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'])
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- zero counts are omitted, as Go's omitempty does
    if (status[k] === 0) delete status[k];
  rs.status = status;
  putIfChanged(c, 'replicasets', rs, before);
  if (upward) {
    const owner = (rs.metadata.ownerReferences ?? []).find((r) => r.kind === 'Deployment');
    const d = owner ? c.store.get<Workload>('deployments', ns, owner.name) : undefined;
    if (d) reconcileDeployment(c, d);
  }
}

/** A pod a controller removes: the kubelet stops its containers, and it is gone. */
export function killPod(c: ClusterKube, p: Pod): void {
  for (const ct of p.spec.containers)
    recordEvent(c, p, {
      type: 'Normal',
      reason: 'Killing',
      message: `Stopping container ${ct.name}`,
      component: 'kubelet',
      host: p.spec.nodeName ?? '',
      fieldPath: `spec.containers{${ct.name}}`,
    });
  c.store.delete('pods', p.metadata.namespace, p.metadata.name);
}

// ---------- StatefulSet, DaemonSet, Job, CronJob ----------

function reconcileStatefulSet(c: ClusterKube, sts: Workload, explicit?: PodSpecLite[]): void {
  const template = sts.spec?.template;
  if (!template) return;
  const want = sts.spec?.replicas ?? 1;
  const pods = ownedPods(c, sts);
  const revision = `${sts.metadata.name}-${templateHash(template)}`;
  for (const p of pods) {
    const index = Number(/-(\d+)$/.exec(p.metadata.name)?.[1] ?? -1);
    if (index >= want || p.metadata.labels?.['controller-revision-hash'] !== revision) killPod(c, p);
  }
  const ns = sts.metadata.namespace ?? 'default';
  for (let i = 0; i < want; i++) {
    const name = explicit?.[i]?.name ?? `${sts.metadata.name}-${i}`;
    if (c.store.get('pods', ns, name)) continue;
    const saError = serviceAccountError(c, ns, template.spec);
    if (saError !== undefined) {
      recordEvent(c, sts, {
        type: 'Warning',
        reason: 'FailedCreate',
        message: `create Pod ${name} in StatefulSet ${sts.metadata.name} failed error: pods "${name}" is forbidden: ${saError}`,
        component: 'statefulset-controller',
      });
      break;
    }
    const t = structuredClone(template);
    t.metadata = {
      ...t.metadata,
      labels: {
        ...(t.metadata?.labels ?? {}),
        'apps.kubernetes.io/pod-index': String(i),
        'controller-revision-hash': revision,
        'statefulset.kubernetes.io/pod-name': name,
      },
    };
    spawnPod(c, sts, name, t, nodeFor(c, explicit?.[i]?.node));
  }
  const now = ownedPods(c, sts);
  const ready = now.filter(podReady).length;
  const before = snapshot(sts);
  sts.status = {
    observedGeneration: num(obj(json(sts).metadata).generation) || 1,
    replicas: now.length,
    readyReplicas: ready,
    currentReplicas: now.length,
    updatedReplicas: now.length,
    availableReplicas: ready,
    currentRevision: revision,
    updateRevision: revision,
    collisionCount: 0,
  };
  putIfChanged(c, 'statefulsets', sts, before);
}

export function reconcileDaemonSet(c: ClusterKube, ds: Workload, explicit?: PodSpecLite[]): void {
  const template = ds.spec?.template;
  if (!template) return;
  const ns = ds.metadata.namespace ?? 'default';
  const sel = template.spec.nodeSelector ?? {};
  const nodes = c.store
    .list<Node>('nodes')
    .filter((n) => Object.entries(sel).every(([k, v]) => n.metadata.labels?.[k] === v));
  const pods = ownedPods(c, ds);
  const isMds = ns === 'kube-system' && ds.metadata.name === 'gke-metadata-server';
  for (const p of pods) if (!nodes.some((n) => n.metadata.name === p.spec.nodeName)) killPod(c, p);
  nodes.forEach((n, i) => {
    if (pods.some((p) => p.spec.nodeName === n.metadata.name && c.store.get('pods', ns, p.metadata.name))) return;
    const health = isMds ? metadataServerHealth(c, n.metadata.name) : 'healthy';
    const state: PodState = health === 'down' ? 'crashloop' : health === 'unhealthy' ? 'unready' : 'running';
    const name = explicit?.[i]?.name ?? newPodName(c, ds.metadata.name);
    const t = structuredClone(template);
    t.metadata = {
      ...t.metadata,
      labels: {
        ...(t.metadata?.labels ?? {}),
        'controller-revision-hash': templateHash(template).slice(0, 10),
        'pod-template-generation': String(num(obj(json(ds).metadata).generation) || 1),
      },
    };
    if (isMds) {
      // kube-system's own pods exist since the cluster was created; a restarted server has restarted many times.
      const pod = createPod(c, ns, name, t, ownerRefOf(ds), {}, n.metadata.name, state);
      if (state === 'crashloop') {
        const status = obj(json(pod).status);
        for (const cs of arr(status.containerStatuses).map(obj)) cs.restartCount = 7;
        c.store.put('pods', pod);
      }
    } else spawnPod(c, ds, name, t, n.metadata.name, state);
  });
  const now = ownedPods(c, ds);
  const ready = now.filter(podReady).length;
  const before = snapshot(ds);
  const status: JsonObject = {
    currentNumberScheduled: now.length,
    numberMisscheduled: 0,
    desiredNumberScheduled: nodes.length,
    numberReady: ready,
    observedGeneration: num(obj(json(ds).metadata).generation) || 1,
    updatedNumberScheduled: now.length,
    numberAvailable: ready,
  };
  if (nodes.length - ready > 0) status.numberUnavailable = nodes.length - ready;
  if (ready === 0) delete status.numberAvailable;
  ds.status = status;
  putIfChanged(c, 'daemonsets', ds, before);
}

function reconcileJob(c: ClusterKube, job: Workload, explicit?: PodSpecLite[]): void {
  const template = job.spec?.template;
  if (!template) return;
  const ns = job.metadata.namespace ?? 'default';
  const uid = job.metadata.uid ?? '';
  const jobLabels = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': job.metadata.name,
    'controller-uid': uid,
    'job-name': job.metadata.name,
  };
  const spec = obj(json(job).spec);
  if (spec.selector === undefined) {
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    template.metadata = { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), ...jobLabels } };
  }
  const pods = ownedPods(c, job);
  const want = explicit?.length ?? Math.max(1, num(spec.parallelism) || 1);
  if (pods.length < want) {
    const saError = serviceAccountError(c, ns, template.spec);
    if (saError !== undefined)
      recordEvent(c, job, {
        type: 'Warning',
        reason: 'FailedCreate',
        message: `Error creating: pods "${job.metadata.name}-" is forbidden: ${saError}`,
        component: 'job-controller',
      });
    else
      for (let i = pods.length; i < want; i++) {
        const ps = explicit?.[i] ?? {};
        spawnPod(c, job, ps.name ?? newPodName(c, job.metadata.name), template, nodeFor(c, ps.node));
      }
  }
  const now = ownedPods(c, job);
  const before = snapshot(job);
  const status: JsonObject = {
    startTime: str(at(job, 'status', 'startTime')) || obj(json(job).metadata).creationTimestamp,
    active: now.length,
    ready: now.filter(podReady).length,
    terminating: 0,
    uncountedTerminatedPods: {},
  };
  if (now.length === 0) delete status.active;
  job.status = status;
  putIfChanged(c, 'jobs', job, before);
}

function reconcileCronJob(c: ClusterKube, cj: Workload, explicit?: PodSpecLite[]): void {
  if (!explicit || explicit.length === 0) return;
  const template = cj.spec?.jobTemplate?.spec?.template;
  if (!template) return;
  const ns = cj.metadata.namespace ?? 'default';
  const name = `${cj.metadata.name}-${c.prng.digits(8)}`;
  const created = c.podStartTime ?? kubeTime(c.now());
  const job = c.store.put<Workload>('jobs', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: ns,
      ownerReferences: [{ ...ownerRefOf(cj), controller: true }],
      creationTimestamp: created,
    },
    spec: { template: structuredClone(template) },
  });
  reconcileJob(c, job, explicit);
  cj.status = {
    active: [{ apiVersion: 'batch/v1', kind: 'Job', name, namespace: ns, uid: job.metadata.uid }],
    lastScheduleTime: created,
  };
  c.store.put('cronjobs', cj);
}

/** The gke-metadata-server DaemonSet and its pods, Ready only on nodes whose server is healthy. */
export function syncMetadataServerPods(c: ClusterKube): void {
  const ds = metadataServerDaemonSet(c);
  for (const p of ownedPods(c, ds)) c.store.delete('pods', p.metadata.namespace, p.metadata.name);
  const building = c.podStartTime;
  c.podStartTime ??= kubeTime(Date.parse(c.createTime));
  try {
    reconcileDaemonSet(c, ds);
  } finally {
    if (building === undefined) delete c.podStartTime;
  }
}

/** The label selector a workload's pods carry, for `kubectl logs deploy/x` and the like. */
export function podsSelectedBy(c: ClusterKube, w: Workload): Pod[] {
  const reqs = selectorRequirements(w.spec?.selector ?? {});
  return c.store.list<Pod>('pods', w.metadata.namespace).filter((p) => matchesLabels(p.metadata.labels, reqs));
}

/** After a ServiceAccount appears: controllers retry the pods its absence refused. */
export function retryPendingCreates(c: ClusterKube, namespace: string): void {
  for (const rs of c.store.list<Workload>('replicasets', namespace)) {
    if ((rs.spec?.replicas ?? 0) > ownedPods(c, rs).length) reconcileReplicaSet(c, rs);
  }
  for (const kind of ['statefulsets', 'daemonsets', 'jobs'])
    for (const w of c.store.list<Workload>(kind, namespace)) reconcileWorkload(c, w);
}
