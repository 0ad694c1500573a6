// After a change to a pod template (hostNetwork, serviceAccountName, an env var, a restart stamp) the
// controller replaces the pods, and that takes time: new pods start and become ready, then the old ones are
// scaled down and terminate (30 s of grace by default, while they are still listed). Verifying before that
// sees the old pods and their old problem, which no wait inside the verification cures (it is not IAM
// propagation), so the fix waits for the rollout first, as `kubectl rollout status` does, and then for the
// old pods to be gone from the pod list.
//
// `kubectl rollout status` (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go) judges:
//   Deployment:  metadata.generation <= status.observedGeneration, then status.updatedReplicas >= spec.replicas
//                ("N out of M new replicas have been updated"), status.replicas <= status.updatedReplicas
//                ("N old replicas are pending termination"), status.availableReplicas >= status.updatedReplicas
//                ("N of M updated replicas are available"); a Progressing condition with reason
//                ProgressDeadlineExceeded ends the wait with an error.
//   DaemonSet:   generation observed, then updatedNumberScheduled and numberAvailable reach
//                desiredNumberScheduled.
//   StatefulSet: generation observed, readyReplicas reach spec.replicas, updateRevision equals currentRevision.

import type { Pod, Workload } from '../model/k8s/types.js';
import { selectorMatches } from '../model/k8s/network-policy.js';
import type { ChangeRecord } from './apply/apply.js';
import type { KubeWriter } from './apply/kube.js';
import type { PollOptions } from './verify.js';
import { pollWithBackoff } from './verify.js';

/** Actions that change a workload's pod template, so its controller replaces the pods. */
const TEMPLATE_ACTIONS = new Set([
  'unset-host-network',
  'set-service-account-name',
  'remove-credential-override',
  'restart-workload',
]);

export type RolloutKind = 'deployments' | 'daemonsets' | 'statefulsets';
const ROLLOUT_KINDS = new Set<string>(['deployments', 'daemonsets', 'statefulsets']);

export interface RolloutTarget {
  kind: RolloutKind;
  namespace: string;
  name: string;
}

/** The workloads whose pods an applied change replaces (Jobs, CronJobs and bare pods do not roll out). */
export function rolloutTargets(records: readonly ChangeRecord[]): RolloutTarget[] {
  const seen = new Map<string, RolloutTarget>();
  for (const r of records) {
    if (r.status !== 'applied' || !TEMPLATE_ACTIONS.has(r.action)) continue;
    const t = rolloutTargetOf(r.target);
    if (t) seen.set(r.target, t);
  }
  return [...seen.values()];
}

export type RolloutState = { done: true } | { done: false; reason: string; failed?: boolean };

/** A metadata field the model does not type (client-node gives deletionTimestamp as a Date). */
const metaField = (o: Pod | Workload, field: 'generation' | 'deletionTimestamp'): unknown =>
  (o.metadata as unknown as Record<string, unknown>)[field];

const count = (status: Record<string, unknown> | undefined, field: string): number => {
  const v = status?.[field];
  return typeof v === 'number' ? v : 0;
};

/** Whether the controller has finished replacing the workload's pods, judged as `kubectl rollout status` does. */
export function rolloutState(kind: RolloutKind, w: Workload): RolloutState {
  const status = w.status;
  const generation = metaField(w, 'generation');
  if (typeof generation === 'number' && generation > count(status, 'observedGeneration'))
    return { done: false, reason: 'waiting for the spec update to be observed' };
  if (kind === 'deployments') {
    const conditions = Array.isArray(status?.conditions) ? (status.conditions as Record<string, unknown>[]) : [];
    const progressing = conditions.find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded')
      return { done: false, failed: true, reason: 'the rollout exceeded its progress deadline' };
    const desired = w.spec?.replicas ?? 1;
    const updated = count(status, 'updatedReplicas');
    if (updated < desired)
      return { done: false, reason: `${updated} out of ${desired} new replicas have been updated` };
    const total = count(status, 'replicas');
    if (total > updated) return { done: false, reason: `${total - updated} old replicas are pending termination` };
    const available = count(status, 'availableReplicas');
    if (available < updated)
      return { done: false, reason: `${available} of ${updated} updated replicas are available` };
    return { done: true };
  }
  if (kind === 'daemonsets') {
    const desired = count(status, 'desiredNumberScheduled');
    const updated = count(status, 'updatedNumberScheduled');
    if (updated < desired) return { done: false, reason: `${updated} out of ${desired} new pods have been updated` };
    const available = count(status, 'numberAvailable');
    if (available < desired) return { done: false, reason: `${available} of ${desired} updated pods are available` };
    return { done: true };
  }
  const desired = w.spec?.replicas ?? 1;
  const ready = count(status, 'readyReplicas');
  if (ready < desired) return { done: false, reason: `${desired - ready} pods are not ready yet` };
  const current = status?.currentRevision;
  const update = status?.updateRevision;
  if (update !== undefined && update !== current)
    return { done: false, reason: 'the update has not reached every pod yet' };
  return { done: true };
}

/** Pods of the workload still terminating: listed, with a deletionTimestamp, until their grace period ends. */
export function terminatingPods(w: Workload, pods: readonly Pod[]): string[] {
  const selector = w.spec?.selector;
  // apps/v1 requires the selector; without one, no pod is known to be this workload's.
  if (selector === undefined) return [];
  return pods
    .filter((p) => selectorMatches(selector, p.metadata.labels))
    .filter((p) => metaField(p, 'deletionTimestamp') != null)
    .map((p) => p.metadata.name);
}

/** What waiting needs to read: a workload, and the pods of a namespace. */
export interface RolloutReader {
  workload(kind: RolloutKind, namespace: string, name: string): Promise<Workload | undefined>;
  pods(namespace: string): Promise<Pod[] | undefined>;
}

/** The reads a rollout wait needs, through the same client the writes went through. */
export function kubeRolloutReader(kube: KubeWriter): RolloutReader {
  return {
    workload: async (kind, namespace, name) => {
      const r = await kube.workload(kind, namespace, name);
      return r.ok ? r.value : undefined;
    },
    pods: async (namespace) => {
      const r = await kube.pods(namespace);
      return r.ok ? r.value.items : undefined;
    },
  };
}

/** The rollout a `namespaces/NS/KIND/NAME` target starts, when its kind rolls out at all. */
export function rolloutTargetOf(target: string): RolloutTarget | undefined {
  const [ns, namespace, kind, name, ...rest] = target.split('/');
  if (ns !== 'namespaces' || namespace === undefined || kind === undefined || name === undefined) return undefined;
  if (rest.length > 0 || !ROLLOUT_KINDS.has(kind)) return undefined;
  return { kind: kind as RolloutKind, namespace, name };
}

export interface RolloutWait {
  ok: boolean;
  elapsedMs: number;
  /** Why it stopped waiting without every rollout done. */
  reason?: string;
}

const label = (t: RolloutTarget): string => `${t.namespace}/${t.kind.replace(/s$/, '')}/${t.name}`;

/** Waits, with backoff and within the bound, until every target has rolled out and its old pods are gone. */
export async function waitForRollouts(
  reader: RolloutReader,
  targets: readonly RolloutTarget[],
  options: PollOptions,
): Promise<RolloutWait> {
  const polled = await pollWithBackoff<undefined>(async () => {
    const pending: string[] = [];
    for (const t of targets) {
      const w = await reader.workload(t.kind, t.namespace, t.name);
      // Unreadable now: the verification that follows reads it again and says what it finds.
      if (w === undefined) return { state: 'stop', value: undefined, reason: `${label(t)} could not be read` };
      const state = rolloutState(t.kind, w);
      if (!state.done) {
        if (state.failed === true) return { state: 'stop', value: undefined, reason: `${label(t)}: ${state.reason}` };
        pending.push(`${label(t)}: ${state.reason}`);
        continue;
      }
      const pods = await reader.pods(t.namespace);
      const old = pods === undefined ? [] : terminatingPods(w, pods);
      if (old.length > 0) pending.push(`${label(t)}: ${old.length} old pods are terminating`);
    }
    return pending.length === 0
      ? { state: 'ok', value: undefined }
      : { state: 'retry', value: undefined, reason: pending.join('; ') };
  }, options);
  return {
    ok: polled.ok,
    elapsedMs: polled.elapsedMs,
    ...(polled.reason !== undefined ? { reason: polled.reason } : {}),
  };
}
