// A workload named as a subject is expected to have a Google identity. Pods that run as `default` (a
// serviceAccountName lost in a refactor) while an annotated KSA of the namespace was meant have none: the fix is
// to run them as that KSA. Any other KSA without an annotation uses direct binding, and its grants can sit on
// policies that were not read: without a grant in sight that is unknown, never a failure.

import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { need } from '../model/facts.js';
import { principalHasGrants } from './lib/grants.js';
import { annotatedServiceAccounts, probableKsa } from './lib/namespaces.js';
import { subjectWorkloads, workloadLabel, workloadTarget } from './lib/workloads.js';
import { listNames } from './lib/fixes.js';
import { noGrantSeenOutcome } from './lib/direct-binding.js';
import { noPoolOutcome } from './lib/subject-principal.js';

export default defineCheck({
  id: 'pod-service-account',
  title: 'The named workload runs as a Kubernetes service account that has a Google identity',
  failureTitle: 'The named workload runs as a Kubernetes service account without a Google identity',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 55,
  requires: [
    'k8s:serviceaccounts',
    'k8s:pods',
    'k8s:replicasets',
    'serviceAccountPolicy',
    'projectPolicy',
    'resourcePolicies',
    'ancestorPolicies',
  ],
  run({ facts, target }): CheckOutcome {
    const { subject } = target;
    if (subject.kind === 'ksa') {
      return {
        status: 'skip',
        cause: `the subject is KSA \`${subject.id}\` itself: which KSA pods run as matters only for a named workload or pod`,
      };
    }
    if (!subject.named) {
      return {
        status: 'skip',
        cause: `\`${subject.id}\` was found by --all through its KSA's identity, not named: nothing was expected of it`,
      };
    }
    const ksaName = `${subject.namespace}/${subject.ksaName}`;
    // An absent KSA has no annotation (ksa-exists reports it); an unreadable one might have one.
    if (subject.ksa.status !== 'absent') need(subject.ksa);
    if (subject.annotation !== undefined) {
      return {
        status: 'pass',
        cause: `\`${subject.id}\` runs as KSA \`${ksaName}\`, annotated with \`${subject.annotation.value}\``,
      };
    }
    const nearMiss = subject.nearMissAnnotations[0];
    if (nearMiss !== undefined) {
      return {
        status: 'pass',
        cause: `\`${subject.id}\` runs as KSA \`${ksaName}\`, which carries the look-alike annotation \`${nearMiss.key}\` (ksa-annotation reports the key)`,
      };
    }
    const grants = principalHasGrants(facts, { type: 'ksa', ksa: subject.principal });
    if (grants.found) {
      return {
        status: 'pass',
        cause: `\`${subject.id}\` runs as KSA \`${ksaName}\`, whose own principal is granted roles (direct binding): ${grants.where[0] ?? ''}`,
        evidence: { notes: grants.where },
      };
    }

    const candidates = annotatedServiceAccounts(facts, subject.namespace).filter((c) => c.name !== subject.ksaName);
    const pods = subject.pods.status === 'present' ? subject.pods.value : [];
    const workloads = subjectWorkloads(facts, subject, pods);
    const meant = probableKsa(candidates, workloads[0]?.name ?? subject.workload?.name);
    const notes = [
      subject.ksaName === 'default'
        ? `the pods set no serviceAccountName (or set \`default\`), so they run as \`${ksaName}\``
        : `the pods run as \`${ksaName}\` (spec.serviceAccountName)`,
      candidates.length > 0
        ? `annotated KSAs in namespace \`${subject.namespace}\`: ${candidates.map((c) => `\`${c.name}\` → \`${c.gsa}\``).join(', ')}`
        : `no KSA of namespace \`${subject.namespace}\` carries the Workload Identity annotation`,
    ];
    const suggestion = meant !== undefined ? `; it probably should run as \`${subject.namespace}/${meant.name}\`` : '';
    if (grants.unreadable.length > 0) {
      return {
        status: 'unknown',
        cause:
          `KSA \`${ksaName}\` has no annotation and no grant to its principal in the policies read, but ` +
          `${grants.unreadable.length} ${grants.unreadable.length === 1 ? 'policy' : 'policies'} could not be read and may hold one${suggestion}`,
        evidence: { expected: 'an annotation or a grant to the KSA principal', actual: 'none found', notes },
        missing: grants.unreadable,
      };
    }
    // Evidence of a mistake: pods that run as `default` (serviceAccountName unset) while an annotated KSA of the
    // namespace was meant. Any other KSA without an annotation is direct binding, whose grants can sit on
    // policies that were not read: that is unknown, never a failure.
    if (subject.ksaName !== 'default' || meant === undefined) {
      if (subject.principal.pool === undefined) return noPoolOutcome(facts);
      const location = `namespaces/${subject.namespace}/serviceaccounts/${subject.ksaName}`;
      const hint =
        meant !== undefined
          ? [`if the pods should act as \`${meant.gsa}\`, run them as KSA \`${subject.namespace}/${meant.name}\``]
          : candidates.length > 1
            ? [`if the pods should act as a GSA, run them as one of ${listNames(candidates.map((c) => c.name))}`]
            : [];
      return noGrantSeenOutcome(facts, subject, grants, location, [...notes, ...hint]);
    }
    return {
      status: 'fail',
      cause: `\`${subject.id}\` runs as KSA \`${ksaName}\`, which has neither the \`iam.gke.io/gcp-service-account\` annotation nor any grant to its own principal${suggestion}`,
      evidence: {
        expected: { serviceAccountName: meant.name },
        actual: { serviceAccountName: subject.ksaName },
        notes,
      },
      fix: workloads.map((w) => ({
        action: 'set-service-account-name',
        target: workloadTarget(subject.namespace, w),
        params: { serviceAccountName: meant.name },
        description: `Run \`${workloadLabel(subject.namespace, w)}\` as KSA \`${meant.name}\` (annotated with \`${meant.gsa}\`).`,
      })),
    };
  },
});
