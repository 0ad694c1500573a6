// The pods' `spec.serviceAccountName` (default `default`) must name a KSA that exists. A missing
// KSA stops new pods at admission ("serviceaccount … not found") and leaves older pods with an identity
// nobody can bind.

import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { need } from '../model/facts.js';
import { annotatedServiceAccounts } from './lib/namespaces.js';
import { withRestarts } from './lib/workloads.js';

export default defineCheck({
  id: 'ksa-exists',
  title: 'The Kubernetes service account the pods run as exists',
  failureTitle: 'The Kubernetes service account the pods run as does not exist',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 50,
  // Pods and ReplicaSets: the workloads still running as the missing KSA, restarted once it exists again.
  requires: ['k8s:serviceaccounts', 'k8s:pods', 'k8s:replicasets'],
  run({ facts, target }): CheckOutcome {
    const { subject } = target;
    const name = `${subject.namespace}/${subject.ksaName}`;
    if (subject.ksa.status !== 'absent') {
      const ksa = need(subject.ksa);
      return { status: 'pass', cause: `KSA \`${name}\` exists (uid ${ksa.metadata.uid ?? 'not reported'})` };
    }
    const hints = annotatedServiceAccounts(facts, subject.namespace);
    const notes =
      hints.length > 0
        ? hints.map((h) => `KSA \`${subject.namespace}/${h.name}\` exists and is annotated with \`${h.gsa}\``)
        : [`no KSA of namespace \`${subject.namespace}\` carries the Workload Identity annotation`];
    const about = subject.kind === 'ksa' ? '' : ` that \`${subject.id}\` runs as`;
    return {
      status: 'fail',
      cause: `KSA \`${name}\`${about} does not exist in namespace \`${subject.namespace}\``,
      evidence: {
        expected: `serviceaccount ${name}`,
        actual: `absent (${subject.ksa.source})`,
        notes,
      },
      fix: withRestarts(facts, [
        {
          action: 'create-kubernetes-service-account',
          target: `namespaces/${subject.namespace}/serviceaccounts/${subject.ksaName}`,
          params: {},
          description: `Create KSA \`${name}\` (and annotate it or grant its principal the roles it needs).`,
        },
      ]),
    };
  },
});
