// FACTS §2 / §5.11: the GKE metadata server intercepts pod traffic to 169.254.169.254; a hostNetwork pod
// uses the node's network namespace, is not intercepted, and so talks to the Compute Engine metadata server
// as the node: it gets the node pool's service account, not its own identity.

import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import type { Facts } from '../model/facts.js';
import type { GkeCluster } from '../model/gcp.js';
import type { FixPlan } from '../model/results.js';
import { NODE_POOL_LABEL } from '../model/k8s/types.js';
import { dedupeFixes } from './lib/fixes.js';
import { inspectedSpecs, nodeFact } from './lib/pods.js';
import { subjectWorkloads, workloadLabel, workloadTarget } from './lib/workloads.js';

/** The node pool's service account as an email: `default` is the Compute Engine default account. */
function nodeServiceAccount(facts: Facts, cluster: GkeCluster, pool: string | undefined): string | undefined {
  const pools = cluster.nodePools ?? [];
  const candidates = pool !== undefined ? pools.filter((p) => p.name === pool) : pools;
  const accounts = [...new Set(candidates.map((p) => p.config?.serviceAccount ?? 'default'))];
  // Without a known pool the identity is only certain when every pool runs as the same account.
  if (accounts.length !== 1) return undefined;
  const account = accounts[0];
  if (account !== 'default') return account;
  const project = facts.project(facts.clusterRef.project);
  return project.status === 'present'
    ? `${project.value.projectNumber}-compute@developer.gserviceaccount.com`
    : 'the Compute Engine default service account';
}

function poolOfNode(facts: Facts, node: string | undefined): string | undefined {
  if (node === undefined) return undefined;
  const fact = nodeFact(facts, node);
  return fact.status === 'present' ? fact.value.metadata.labels?.[NODE_POOL_LABEL] : undefined;
}

export default defineCheck({
  id: 'host-network',
  title: 'The subject’s pods do not use the host network',
  failureTitle: 'A pod uses the host network and gets the node’s identity',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 12,
  requires: ['k8s:pods', 'k8s:replicasets', 'k8s:nodes', 'cluster', 'project'],
  run({ facts, target }): CheckOutcome {
    const { subject } = target;
    const specs = inspectedSpecs(subject);
    if (specs.length === 0) {
      return { status: 'skip', cause: `no pod or pod template of \`${subject.id}\` is known: nothing to inspect` };
    }
    const offending = specs.filter((s) => s.spec.hostNetwork === true);
    if (offending.length === 0) {
      const cause =
        specs.length === 1
          ? `${specs[0]?.label ?? subject.id} does not use hostNetwork`
          : `none of the ${specs.length} pods of \`${subject.id}\` uses hostNetwork`;
      return { status: 'pass', cause };
    }
    const cluster = facts.cluster.status === 'present' ? facts.cluster.value : undefined;
    const pools = [...new Set(offending.map((s) => poolOfNode(facts, s.pod?.spec.nodeName)))];
    const account =
      cluster !== undefined && pools.length === 1 ? nodeServiceAccount(facts, cluster, pools[0]) : undefined;
    const identity = account !== undefined ? `\`${account}\`` : "the node pool's service account";
    const own =
      subject.gsaEmail !== undefined
        ? `\`${subject.gsaEmail}\``
        : `the identity of KSA \`${subject.namespace}/${subject.ksaName}\``;
    const pods = offending.flatMap((s) => (s.pod !== undefined ? [s.pod] : []));
    const fix: FixPlan[] = dedupeFixes(
      subjectWorkloads(facts, subject, pods).map((w) => ({
        action: 'unset-host-network',
        target: workloadTarget(subject.namespace, w),
        params: {},
        description: `Remove \`hostNetwork: true\` from \`${workloadLabel(subject.namespace, w)}\` so that the GKE metadata server serves its pods.`,
      })),
    );
    return {
      status: 'fail',
      cause: `${offending[0]?.label ?? subject.id} runs with hostNetwork: true, so the GKE metadata server does not intercept its requests and it gets the node's identity ${identity} instead of ${own}`,
      evidence: {
        expected: { hostNetwork: false },
        actual: { hostNetwork: true },
        notes: [
          `hostNetwork: true in ${offending.map((s) => s.label).join(', ')}`,
          ...(pools.length === 1 && pools[0] !== undefined ? [`node pool \`${pools[0]}\``] : []),
        ],
      },
      fix,
    };
  },
});
