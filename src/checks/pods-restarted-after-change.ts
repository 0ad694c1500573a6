// Client libraries cache the token of the identity they started with. A pod that started before
// the KSA's annotation last changed may still act as the old GSA. The change time is read from
// metadata.managedFields: the latest entry that owns the annotation. That time is when its manager last
// wrote the object, so it is an upper bound of the annotation change: the result says "may".

import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { need } from '../model/facts.js';
import type { FixPlan } from '../model/results.js';
import { WI_ANNOTATION } from '../model/k8s/types.js';
import type { ManagedFieldsEntry, Pod } from '../model/k8s/types.js';
import { dedupeFixes } from './lib/fixes.js';
import { isLive } from './lib/pods.js';
import { workloadLabel, workloadOfPod, workloadTarget } from './lib/workloads.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function ownsAnnotation(entry: ManagedFieldsEntry): boolean {
  const metadata = entry.fieldsV1?.['f:metadata'];
  if (!isRecord(metadata)) return false;
  const annotations = metadata['f:annotations'];
  return isRecord(annotations) && Object.hasOwn(annotations, `f:${WI_ANNOTATION}`);
}

/** The latest managedFields entry that owns the annotation, with a parseable time. */
function lastAnnotationChange(
  entries: readonly ManagedFieldsEntry[],
): { time: Date; entry: ManagedFieldsEntry } | undefined {
  let latest: { time: Date; entry: ManagedFieldsEntry } | undefined;
  for (const entry of entries) {
    if (!ownsAnnotation(entry) || entry.time === undefined) continue;
    const time = new Date(entry.time);
    if (Number.isNaN(time.getTime())) continue;
    if (latest === undefined || time > latest.time) latest = { time, entry };
  }
  return latest;
}

export default defineCheck({
  id: 'pods-restarted-after-change',
  title: 'The subject’s pods started after the KSA annotation last changed',
  failureTitle: 'Pods started before the KSA annotation last changed and may cache the old identity',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 130,
  requires: ['k8s:serviceaccounts', 'k8s:pods', 'k8s:replicasets'],
  run({ facts, target }): CheckOutcome {
    const { subject } = target;
    const ksaName = `${subject.namespace}/${subject.ksaName}`;
    if (subject.ksa.status === 'absent') {
      return { status: 'skip', cause: `KSA \`${ksaName}\` does not exist (ksa-exists reports it)` };
    }
    const ksa = need(subject.ksa);
    if (subject.annotation === undefined) {
      return {
        status: 'skip',
        cause: `KSA \`${ksaName}\` has no \`${WI_ANNOTATION}\` annotation (direct binding): there is no annotation change to restart for`,
      };
    }
    const managed = ksa.metadata.managedFields ?? [];
    if (managed.length === 0) {
      return {
        status: 'unknown',
        cause: `KSA \`${ksaName}\` was read without metadata.managedFields, so when its annotation last changed is not known`,
        missing: [
          `collect with kubectl get serviceaccounts -A -o json --show-managed-fields (or kubectl get serviceaccount ${subject.ksaName} -n ${subject.namespace} -o json --show-managed-fields)`,
        ],
      };
    }
    const change = lastAnnotationChange(managed);
    if (change === undefined) {
      return {
        status: 'unknown',
        cause: `no managedFields entry of KSA \`${ksaName}\` owns \`${WI_ANNOTATION}\` with a time, so when it last changed is not known`,
        evidence: { actual: managed.map((m) => `${m.manager ?? '?'} ${m.operation ?? ''} ${m.time ?? '(no time)'}`) },
        missing: [
          `kubectl get serviceaccount ${subject.ksaName} -n ${subject.namespace} -o json --show-managed-fields`,
        ],
      };
    }
    const changedAt = change.time.toISOString();
    const manager = change.entry.manager ?? 'an unnamed manager';
    const pods = need(subject.pods).filter(isLive);
    const stale: Pod[] = [];
    const noStart: string[] = [];
    for (const pod of pods) {
      const start = pod.status?.startTime;
      if (start === undefined) {
        noStart.push(pod.metadata.name);
        continue;
      }
      if (new Date(start) < change.time) stale.push(pod);
    }
    const notes = [
      `annotation last written by \`${manager}\` (${change.entry.operation ?? 'operation not reported'}) at ${changedAt}; this is the last time that manager wrote the KSA, so the annotation may have changed earlier`,
      ...(noStart.length > 0
        ? [`no status.startTime, not compared: ${noStart.map((n) => `\`${n}\``).join(', ')}`]
        : []),
    ];
    if (pods.length - noStart.length === 0) {
      return {
        status: 'skip',
        cause: `no running pod of \`${subject.id}\` with a start time to compare with the annotation change (${changedAt})`,
        evidence: { notes },
      };
    }
    if (stale.length === 0) {
      return {
        status: 'pass',
        cause: `every running pod of \`${subject.id}\` (${pods.length}) started after KSA \`${ksaName}\`'s annotation was last written (${changedAt})`,
        evidence: { notes },
      };
    }
    const fix: FixPlan[] = dedupeFixes(
      stale.map((pod) => {
        const workload = workloadOfPod(facts, pod);
        const bare = workload.resource === 'pods';
        return {
          action: 'restart-workload',
          target: workloadTarget(subject.namespace, workload),
          params: {},
          description: bare
            ? `Delete pod \`${subject.namespace}/${pod.metadata.name}\` (no controller owns it: recreate it from its manifest) so that it starts with the current identity.`
            : `Restart \`${workloadLabel(subject.namespace, workload)}\` so that its pods start with the current identity.`,
        };
      }),
    );
    return {
      status: 'warn',
      cause: `${stale.length} pod(s) of \`${subject.id}\` started before KSA \`${ksaName}\`'s annotation was last written at ${changedAt} and may still use the previous identity: ${stale.map((p) => `\`${p.metadata.name}\``).join(', ')}`,
      evidence: {
        expected: `pods started after ${changedAt}`,
        actual: stale.map((p) => `${p.metadata.name} started ${p.status?.startTime ?? '?'}`),
        notes,
      },
      fix,
    };
  },
});
