// A namespace's `default` KSA is what every pod without its own `serviceAccountName` runs as. Annotated with a GSA,
// it hands that GSA to every such pod, present and future: least privilege wants one KSA per workload. The fix
// order matters: give the workloads that need the GSA their own KSA first, then remove the annotation.

import { need } from '../model/facts.js';
import type { Pod, ServiceAccountObject } from '../model/k8s/types.js';
import { WI_ANNOTATION } from '../model/k8s/types.js';
import type { FixPlan } from '../model/results.js';
import { defineCheck } from './define.js';
import { ksaResource } from './lib/gsa.js';
import { withRestarts } from './lib/workloads.js';

interface Finding {
  namespace: string;
  gsa: string;
  /** Pods running as the default KSA (undefined when pods were not readable). */
  pods: string[] | undefined;
}

export default defineCheck({
  id: 'default-ksa-annotated',
  title: "No namespace's default KSA carries a Google service account",
  failureTitle: "A namespace's default KSA carries a Google service account: every pod without its own KSA gets it",
  group: 'audit',
  scope: 'cluster',
  chainOrder: 904,
  // ReplicaSets: the workloads of the pods running as `default`, restarted once the annotation is gone.
  requires: ['k8s:serviceaccounts', 'k8s:pods', 'k8s:replicasets'],
  run({ facts }) {
    const accounts = need(facts.k8s.list<ServiceAccountObject>('serviceaccounts'));
    const findings: Finding[] = [];
    for (const ksa of accounts) {
      if (ksa.metadata.name !== 'default') continue;
      const gsa = ksa.metadata.annotations?.[WI_ANNOTATION];
      if (gsa === undefined) continue;
      const namespace = ksa.metadata.namespace ?? 'default';
      const pods = facts.k8s.podsOfServiceAccount(namespace, 'default');
      findings.push({
        namespace,
        gsa,
        pods: pods.status === 'present' ? pods.value.map((p: Pod) => p.metadata.name) : undefined,
      });
    }
    if (findings.length === 0) {
      return {
        status: 'pass',
        cause: `no namespace's \`default\` KSA carries \`${WI_ANNOTATION}\` (${accounts.filter((a) => a.metadata.name === 'default').length} default KSAs seen)`,
      };
    }
    findings.sort((a, b) => a.namespace.localeCompare(b.namespace));
    const fix: FixPlan[] = [];
    for (const f of findings) {
      fix.push({
        action: 'manual',
        target: `namespaces/${f.namespace}`,
        params: {},
        description: `First give each workload of namespace \`${f.namespace}\` that needs \`${f.gsa}\` its own KSA (kubectl create serviceaccount, annotated, bound with roles/iam.workloadIdentityUser) and set its serviceAccountName.`,
      });
      fix.push({
        action: 'remove-annotation',
        target: ksaResource(f.namespace, 'default'),
        params: { key: WI_ANNOTATION },
        description: `Then remove \`${WI_ANNOTATION}\` from KSA \`${f.namespace}/default\`.`,
      });
    }
    const [first] = findings;
    if (first === undefined) throw new Error('findings without a first one');
    return {
      status: 'fail',
      cause:
        `KSA \`${first.namespace}/default\` is annotated with \`${first.gsa}\`: every pod of namespace \`${first.namespace}\` without its own KSA gets that GSA` +
        (findings.length > 1 ? ` (and ${findings.length - 1} more namespace${findings.length === 2 ? '' : 's'})` : ''),
      evidence: {
        expected: `no \`${WI_ANNOTATION}\` on any \`default\` KSA`,
        actual: findings.map((f) => ({ ksa: `${f.namespace}/default`, gsa: f.gsa })),
        notes: findings.map((f) =>
          f.pods === undefined
            ? `pods of \`${f.namespace}\` were not readable: which ones run as \`default\` is unknown`
            : `${f.pods.length} pod${f.pods.length === 1 ? '' : 's'} of \`${f.namespace}\` run as \`default\`${f.pods.length > 0 ? `: ${f.pods.slice(0, 5).join(', ')}${f.pods.length > 5 ? ', …' : ''}` : ''}`,
        ),
      },
      // Pods running as `default` keep its GSA until they restart.
      fix: withRestarts(facts, fix),
      location: `kubernetes:///namespaces/${first.namespace}/serviceaccounts/default`,
    };
  },
});
