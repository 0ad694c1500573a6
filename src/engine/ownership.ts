// Pod → owning workload (through ReplicaSets and Jobs), and workload → its pods.

import type { Fact, K8sFacts, UnavailableFact } from '../model/facts.js';
import { factError, notCollected, present } from '../model/facts.js';
import type { K8sKind, KObject, Pod, PodTemplateSpec, Workload } from '../model/k8s/types.js';
import { KIND_TO_RESOURCE } from '../model/k8s/types.js';

/** Workload kinds a user can name, by their lower-case singular (`shop/deployment/cart`). */
export const WORKLOAD_KINDS: Record<string, K8sKind> = {
  deployment: 'deployments',
  statefulset: 'statefulsets',
  daemonset: 'daemonsets',
  replicaset: 'replicasets',
  job: 'jobs',
  cronjob: 'cronjobs',
};

export function templateOf(workload: Workload): PodTemplateSpec | undefined {
  return workload.spec?.template ?? workload.spec?.jobTemplate?.spec?.template;
}

function controllerOf(object: KObject): { kind: string; name: string } | undefined {
  const refs = object.metadata.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller) ?? refs[0];
  return ref ? { kind: ref.kind, name: ref.name } : undefined;
}

/**
 * The top-level workload that owns a pod: ReplicaSet → Deployment, Job → CronJob, or the direct owner.
 * Stops where an owner was not collected, returning the last one known.
 */
export function ownerWorkloadOf(
  k8s: K8sFacts,
  pod: Pod,
): { kind: string; name: string; object: Workload | undefined; unreadable?: UnavailableFact } | undefined {
  const namespace = pod.metadata.namespace ?? 'default';
  let owner = controllerOf(pod);
  let found: { kind: string; name: string; object: Workload | undefined; unreadable?: UnavailableFact } | undefined;
  for (let depth = 0; owner && depth < 4; depth++) {
    const resource = KIND_TO_RESOURCE[owner.kind];
    if (!resource) return found ?? { kind: owner.kind.toLowerCase(), name: owner.name, object: undefined };
    const fact = k8s.get<Workload>(resource, namespace, owner.name);
    const object = fact.status === 'present' ? fact.value : undefined;
    found = { kind: owner.kind.toLowerCase(), name: owner.name, object };
    // A ReplicaSet or Job that could not be read may have a parent: the top owner is then unknown.
    if (!object && INTERMEDIATE.has(resource) && fact.status !== 'present' && fact.status !== 'absent') {
      found.unreadable = fact;
    }
    if (!object) return found;
    owner = controllerOf(object);
  }
  return found;
}

/** Kinds whose objects are owned by another workload (ReplicaSet → Deployment, Job → CronJob). */
const INTERMEDIATE = new Set<K8sKind>(['replicasets', 'jobs']);

/**
 * Pods of a workload: those whose owner chain reaches it. When the chain of some pod of the namespace stops
 * at a ReplicaSet or Job that could not be read, that pod may be the workload's: its pods are then unknown,
 * never "none" (a subject with no pods would be judged on its template alone).
 */
export function podsOfWorkload(k8s: K8sFacts, namespace: string, kind: string, name: string): Fact<readonly Pod[]> {
  const pods = k8s.inNamespace<Pod>('pods', namespace);
  if (pods.status !== 'present') return pods;
  const owned: Pod[] = [];
  let unreadable: UnavailableFact | undefined;
  for (const pod of pods.value) {
    // A ReplicaSet or Job that was named directly owns its pods even when a Deployment owns it.
    const direct = controllerOf(pod);
    const owner = ownerWorkloadOf(k8s, pod);
    if (
      (direct?.kind.toLowerCase() === kind && direct.name === name) ||
      (owner?.kind === kind && owner.name === name)
    ) {
      owned.push(pod);
    } else if (owner?.unreadable !== undefined) unreadable ??= owner.unreadable;
  }
  if (unreadable !== undefined) {
    const message = `which pods belong to ${kind} ${namespace}/${name} is unknown: ${unreadable.message}`;
    return unreadable.status === 'error'
      ? factError(unreadable.source, message)
      : notCollected(unreadable.source, message);
  }
  return present(owned, pods.source);
}
