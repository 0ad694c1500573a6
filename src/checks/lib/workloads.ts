// Which workload owns a pod, and how fixes name workloads (`namespaces/NS/KIND/NAME` with the plural
// resource name, as src/fix/actions.ts documents).

import type { Facts } from '../../model/facts.js';
import { K8S_KINDS, KIND_TO_RESOURCE, WI_ANNOTATION } from '../../model/k8s/types.js';
import type { FixPlan } from '../../model/results.js';
import type { K8sKind, Pod, Workload } from '../../model/k8s/types.js';
import type { Subject } from '../../engine/subject.js';

export interface WorkloadRef {
  /** Plural resource name: `deployments`, `statefulsets`, …, or `pods` for a bare pod. */
  resource: string;
  name: string;
}

/** `Deployment`, `deployment` or `deployments` → `deployments`. */
export function resourceOfKind(kind: string): string {
  const mapped = KIND_TO_RESOURCE[kind];
  if (mapped !== undefined) return mapped;
  const lower = kind.toLowerCase();
  if ((K8S_KINDS as readonly string[]).includes(lower)) return lower;
  return `${lower}s`;
}

/** The fix target of a workload: `namespaces/NS/deployments/NAME`. */
export function workloadTarget(namespace: string, ref: WorkloadRef): string {
  return `namespaces/${namespace}/${ref.resource}/${ref.name}`;
}

/** As subjects are written: `ns/deployment/name`, `ns/pod/name`. */
export function workloadLabel(namespace: string, ref: WorkloadRef): string {
  const singular = ref.resource.endsWith('s') ? ref.resource.slice(0, -1) : ref.resource;
  return `${namespace}/${singular}/${ref.name}`;
}

function controllerOf(metadata: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] }) {
  const owners = metadata.ownerReferences ?? [];
  return owners.find((o) => o.controller === true) ?? owners[0];
}

/** One step up from a ReplicaSet or Job to its Deployment or CronJob, when the object says so. */
function parentOf(facts: Facts, kind: K8sKind, namespace: string, name: string): WorkloadRef | undefined {
  const fact = facts.k8s.get<Workload>(kind, namespace, name);
  if (fact.status !== 'present') return undefined;
  const owner = controllerOf(fact.value.metadata);
  return owner === undefined ? undefined : { resource: resourceOfKind(owner.kind), name: owner.name };
}

/**
 * The top-level workload of a pod: Deployment (through its ReplicaSet), StatefulSet, DaemonSet, CronJob
 * (through its Job), Job, or the pod itself when nothing owns it. When the ReplicaSet was not collected,
 * its Deployment is read off the name (`DEPLOYMENT-<pod-template-hash>`), which is how Deployments name them.
 */
export function workloadOfPod(facts: Facts, pod: Pod): WorkloadRef {
  const namespace = pod.metadata.namespace ?? 'default';
  const owner = controllerOf(pod.metadata);
  if (owner === undefined) return { resource: 'pods', name: pod.metadata.name };
  const resource = resourceOfKind(owner.kind);
  if (resource === 'replicasets') {
    const parent = parentOf(facts, 'replicasets', namespace, owner.name);
    if (parent !== undefined) return parent;
    const hash = pod.metadata.labels?.['pod-template-hash'];
    if (hash !== undefined && owner.name.endsWith(`-${hash}`)) {
      return { resource: 'deployments', name: owner.name.slice(0, -(hash.length + 1)) };
    }
    return { resource, name: owner.name };
  }
  if (resource === 'jobs') return parentOf(facts, 'jobs', namespace, owner.name) ?? { resource, name: owner.name };
  return { resource, name: owner.name };
}

/** The workload a subject's fixes should change: the named/owning workload, else the owner of its first pod. */
export function subjectWorkloads(facts: Facts, subject: Subject, pods: readonly Pod[]): WorkloadRef[] {
  if (subject.workload !== undefined) {
    return [{ resource: resourceOfKind(subject.workload.kind), name: subject.workload.name }];
  }
  const refs = new Map<string, WorkloadRef>();
  for (const pod of pods) {
    const ref = workloadOfPod(facts, pod);
    refs.set(`${ref.resource}/${ref.name}`, ref);
  }
  return [...refs.values()];
}

/** The KSA (`NS/NAME`) whose Google identity a fix changes (annotation written or removed), if any. */
export function identityChangeOf(plan: FixPlan): string | undefined {
  const changesIdentity =
    (plan.action === 'annotate-service-account' && plan.params.key === WI_ANNOTATION) ||
    (plan.action === 'remove-annotation' && plan.params.key === WI_ANNOTATION) ||
    // Created for pods that already run as its name (it was deleted under them), a KSA gives them an identity only
    // once they restart: their tokens were issued for the old one.
    plan.action === 'create-kubernetes-service-account';
  if (!changesIdentity) return undefined;
  const m = /^namespaces\/([^/]+)\/serviceaccounts\/([^/]+)$/.exec(plan.target);
  return m ? `${m[1] ?? ''}/${m[2] ?? ''}` : undefined;
}

/** Workloads whose running pods use this KSA: their pods keep the old identity until restarted. */
export function workloadsRunningAs(facts: Facts, ksa: string): string[] {
  const [namespace = '', name = ''] = ksa.split('/');
  const pods = facts.k8s.podsOfServiceAccount(namespace, name);
  if (pods.status !== 'present') return [];
  const targets = new Set<string>();
  for (const pod of pods.value) {
    const ref = workloadOfPod(facts, pod);
    if (ref.resource === 'jobs' || ref.resource === 'cronjobs') continue;
    targets.add(`namespaces/${namespace}/${ref.resource}/${ref.name}`);
  }
  return [...targets].sort();
}

/** The restart that makes a workload's pods start with the KSA's new identity. */
export function restartFix(target: string, ksa: string): FixPlan {
  return {
    action: 'restart-workload',
    target,
    params: {},
    description: `Restart \`${target.replace(/^namespaces\//, '')}\` so that its pods start with the identity of KSA \`${ksa}\`.`,
  };
}

/**
 * The fixes, each one that changes a KSA's identity followed by the restart of the workloads running as it:
 * pods read the annotation only when they start, so a fix printed without the restart leaves them on the old
 * identity. `fix` plans the same restarts (and skips one when the change turns out to be done already).
 */
export function withRestarts(facts: Facts, fixes: readonly FixPlan[]): FixPlan[] {
  const out: FixPlan[] = [...fixes];
  const seen = new Set(fixes.filter((f) => f.action === 'restart-workload').map((f) => f.target));
  for (const fix of fixes) {
    const ksa = identityChangeOf(fix);
    if (ksa === undefined) continue;
    for (const target of workloadsRunningAs(facts, ksa)) {
      if (seen.has(target)) continue;
      seen.add(target);
      out.push(restartFix(target, ksa));
    }
  }
  return out;
}
