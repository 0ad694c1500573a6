// Pods reach their Workload Identity through the `gke-metadata-server` pod on their own
// node. Not scheduled there, not Ready, crash-looping or OOM-killed means timeouts and 500s for exactly the
// pods on that node. Many KSAs (> ~3,000) make it run out of memory (gcpdiag gke/WARN/2024_002).

import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { clusterResourceName, need } from '../model/facts.js';
import type { Facts } from '../model/facts.js';
import type { FixPlan } from '../model/results.js';
import { METADATA_SERVER_NODE_LABEL, NODE_POOL_LABEL } from '../model/k8s/types.js';
import type { Pod, Workload } from '../model/k8s/types.js';
import { dedupeFixes } from './lib/fixes.js';
import { nodeFact, nodesOfPods } from './lib/pods.js';

const NAMESPACE = 'kube-system';
const DAEMONSET = 'gke-metadata-server';
const KSA_OOM_THRESHOLD = 3000;

function isMetadataServerPod(pod: Pod): boolean {
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.length > 0) return owners.some((o) => o.kind === 'DaemonSet' && o.name === DAEMONSET);
  return pod.metadata.name.startsWith(`${DAEMONSET}-`);
}

/** What is wrong with one metadata server pod, if anything; `warn` for a pod that recovered from an OOM kill. */
function podProblem(pod: Pod): { status: 'fail' | 'warn'; why: string } | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  for (const c of statuses) {
    const waiting = c.state?.waiting?.reason;
    if (waiting === 'CrashLoopBackOff') {
      const last = c.lastState?.terminated?.reason;
      return {
        status: 'fail',
        why: `container \`${c.name}\` is in CrashLoopBackOff (${c.restartCount ?? 0} restarts${last !== undefined ? `, last terminated: ${last}` : ''})`,
      };
    }
    if (c.state?.terminated?.reason === 'OOMKilled') {
      return { status: 'fail', why: `container \`${c.name}\` was OOMKilled` };
    }
  }
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') {
    const waiting = statuses.map((c) => c.state?.waiting?.reason).find((r) => r !== undefined);
    return {
      status: 'fail',
      why: `it is not Ready (phase ${pod.status?.phase ?? 'unknown'}, Ready ${ready?.status ?? 'not reported'}${waiting !== undefined ? `, waiting: ${waiting}` : ''})`,
    };
  }
  const oomBefore = statuses.find((c) => c.lastState?.terminated?.reason === 'OOMKilled');
  if (oomBefore !== undefined) {
    return {
      status: 'warn',
      why: `it is Ready, but container \`${oomBefore.name}\` was OOMKilled before (${oomBefore.restartCount ?? 0} restarts)`,
    };
  }
  return undefined;
}

// With thousands of subjects on a few hundred nodes, the metadata server pods and each node's finding are
// worked out once per run, keyed by the collected pod list.
const serversOf = new WeakMap<readonly Pod[], readonly Pod[]>();
const findingsOf = new WeakMap<readonly Pod[], Map<string, NodeFinding | { ok: string }>>();

function metadataServers(kubeSystemPods: readonly Pod[]): readonly Pod[] {
  let servers = serversOf.get(kubeSystemPods);
  if (servers === undefined) {
    servers = kubeSystemPods.filter(isMetadataServerPod);
    serversOf.set(kubeSystemPods, servers);
  }
  return servers;
}

function cachedFinding(
  servers: readonly Pod[],
  node: string,
  find: () => NodeFinding | { ok: string },
): NodeFinding | { ok: string } {
  let byNode = findingsOf.get(servers);
  if (byNode === undefined) {
    byNode = new Map();
    findingsOf.set(servers, byNode);
  }
  let finding = byNode.get(node);
  if (finding === undefined) {
    finding = find();
    byNode.set(node, finding);
  }
  return finding;
}

function ksaCount(facts: Facts): number | undefined {
  const list = facts.k8s.list('serviceaccounts');
  return list.status === 'present' ? list.value.length : undefined;
}

/** The pool's workloadMetadataConfig.mode, when the cluster and the pool were read. */
function poolMode(facts: Facts, pool: string): string | undefined {
  if (facts.cluster.status !== 'present') return undefined;
  return facts.cluster.value.nodePools?.find((p) => p.name === pool)?.config?.workloadMetadataConfig?.mode;
}

interface NodeFinding {
  status: 'fail' | 'warn';
  text: string;
  fix: FixPlan;
}

function findingForNode(
  facts: Facts,
  clusterName: string,
  cluster: string,
  node: string,
  servers: readonly Pod[],
): NodeFinding | { ok: string } {
  const onNode = servers.filter((p) => p.spec.nodeName === node);
  if (onNode.length === 0) {
    const n = nodeFact(facts, node);
    const labels = n.status === 'present' ? n.value.metadata.labels : undefined;
    const pool = labels?.[NODE_POOL_LABEL];
    const labelled = labels?.[METADATA_SERVER_NODE_LABEL] === 'true';
    if (labels !== undefined && !labelled && pool !== undefined) {
      // A pool already on GKE_METADATA whose node lacks the label: that node was not recreated since the mode
      // changed, and switching the mode again changes nothing; the node itself must be recreated.
      if (poolMode(facts, pool) === 'GKE_METADATA') {
        return {
          status: 'fail',
          text: `no \`${DAEMONSET}\` pod is scheduled on node \`${node}\`, which lacks the \`${METADATA_SERVER_NODE_LABEL}: "true"\` label although node pool \`${pool}\` is GKE_METADATA (the node was not recreated since the mode changed)`,
          fix: {
            action: 'manual',
            target: `${cluster}/nodePools/${pool}`,
            params: {},
            description: `Recreate node \`${node}\` of node pool \`${pool}\` (let the node pool update finish, or drain and delete the node): nodes get the GKE metadata server when they are created.`,
          },
        };
      }
      return {
        status: 'fail',
        text: `no \`${DAEMONSET}\` pod is scheduled on node \`${node}\`, which lacks the \`${METADATA_SERVER_NODE_LABEL}: "true"\` label (node pool \`${pool}\` is not, or not yet, in GKE_METADATA mode)`,
        fix: {
          action: 'set-node-pool-metadata',
          target: `${cluster}/nodePools/${pool}`,
          params: { mode: 'GKE_METADATA' },
          description: `Switch node pool \`${pool}\` to the GKE metadata server so that node \`${node}\` is recreated with it.`,
        },
      };
    }
    const about =
      labels === undefined ? ' (the node object was not read)' : labelled ? ' although the node carries the label' : '';
    return {
      status: 'fail',
      text: `no \`${DAEMONSET}\` pod is scheduled on node \`${node}\`${about}`,
      fix: {
        action: 'manual',
        target: `namespaces/${NAMESPACE}/daemonsets/${DAEMONSET}`,
        params: {},
        description: `Find why DaemonSet \`${NAMESPACE}/${DAEMONSET}\` has no pod on node \`${node}\` of cluster \`${clusterName}\` (kubectl -n ${NAMESPACE} describe daemonset ${DAEMONSET}); GKE manages it, so check node taints and resources, or contact Google Cloud support.`,
      },
    };
  }
  for (const server of onNode) {
    const problem = podProblem(server);
    if (problem === undefined) continue;
    return {
      status: problem.status,
      text: `\`${NAMESPACE}/${server.metadata.name}\` on node \`${node}\`: ${problem.why}`,
      fix: {
        action: 'manual',
        target: `namespaces/${NAMESPACE}/pods/${server.metadata.name}`,
        params: {},
        description: `Inspect \`kubectl -n ${NAMESPACE} describe pod ${server.metadata.name}\` and its logs; if it is OOMKilled, reduce the number of Kubernetes service accounts or contact Google Cloud support (GKE manages this DaemonSet).`,
      },
    };
  }
  return { ok: `\`${NAMESPACE}/${onNode[0]?.metadata.name ?? DAEMONSET}\` is Ready on node \`${node}\`` };
}

export default defineCheck({
  id: 'metadata-server-healthy',
  title: 'The GKE metadata server runs and is Ready on the nodes of the subject’s pods',
  failureTitle: 'The GKE metadata server is missing, not Ready or crash-looping on a node of the subject’s pods',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 40,
  requires: ['k8s:pods', 'k8s:daemonsets', 'k8s:nodes', 'k8s:serviceaccounts'],
  run({ facts, target }): CheckOutcome {
    const { subject } = target;
    const clusterName = subject.cluster.name;
    const cluster = clusterResourceName(subject.cluster);
    const ds = facts.k8s.get<Workload>('daemonsets', NAMESPACE, DAEMONSET);
    if (ds.status === 'absent') {
      return {
        status: 'fail',
        cause: `DaemonSet \`${NAMESPACE}/${DAEMONSET}\` does not exist: no node runs the GKE metadata server (Workload Identity is off on the cluster or on every node pool)`,
        evidence: { expected: `daemonset ${NAMESPACE}/${DAEMONSET}`, actual: 'absent' },
        fix: [
          {
            action: 'manual',
            target: cluster,
            params: {},
            description: `Enable Workload Identity on cluster \`${clusterName}\` and set its node pools to GKE_METADATA (see cluster-workload-pool and nodepool-gke-metadata).`,
          },
        ],
      };
    }
    const daemonSet = need(ds);
    const pods = need(subject.pods).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const servers = metadataServers(need(facts.k8s.inNamespace<Pod>('pods', NAMESPACE)));
    const { nodes, unscheduled } = nodesOfPods(pods);

    const notes: string[] = [];
    const fails: NodeFinding[] = [];
    const warns: NodeFinding[] = [];
    const oks: string[] = [];
    const nodeNames = [...nodes.keys()].sort();
    for (const node of nodeNames) {
      const finding = cachedFinding(servers, node, () => findingForNode(facts, clusterName, cluster, node, servers));
      if ('ok' in finding) oks.push(finding.ok);
      else (finding.status === 'fail' ? fails : warns).push(finding);
    }
    if (unscheduled.length > 0) {
      notes.push(`not scheduled yet, so not checked: ${unscheduled.map((p) => `\`${p.metadata.name}\``).join(', ')}`);
    }
    // The KSA count is a risk for the whole cluster: `clusterWide` reports it once, not for every subject.
    const count = ksaCount(facts);
    if (count === undefined)
      notes.push('service accounts were not read: the KSA count (OOM risk above 3,000) was not checked');
    else notes.push(`${count} Kubernetes service accounts in the cluster`);

    if (fails.length > 0) {
      return {
        status: 'fail',
        cause: `the GKE metadata server is not serving the subject's pods: ${fails.map((f) => f.text).join('; ')}`,
        evidence: {
          expected: `a Ready \`${DAEMONSET}\` pod on every node of \`${subject.id}\`'s pods`,
          actual: [...fails, ...warns].map((f) => f.text),
          notes: [...oks, ...notes],
        },
        fix: dedupeFixes([...fails, ...warns].map((f) => f.fix)),
      };
    }
    if (nodes.size === 0) {
      return dsLevel(daemonSet, subject.id, notes);
    }
    if (warns.length > 0) {
      return {
        status: 'warn',
        cause: warns.map((w) => w.text).join('; '),
        evidence: {
          expected: 'a stable GKE metadata server',
          actual: warns.map((w) => w.text),
          notes: [...oks, ...notes],
        },
        fix: dedupeFixes(warns.map((w) => w.fix)),
      };
    }
    return {
      status: 'pass',
      cause: `the GKE metadata server is Ready on ${nodes.size === 1 ? 'the node' : `all ${nodes.size} nodes`} of \`${subject.id}\`'s pods (${nodeNames
        .map((n) => `\`${n}\``)
        .join(', ')})`,
      evidence: { notes: [...oks, ...notes] },
    };
  },
  clusterWide({ facts, target }): CheckOutcome | undefined {
    const count = ksaCount(facts);
    if (count === undefined || count <= KSA_OOM_THRESHOLD) return undefined;
    const limit = KSA_OOM_THRESHOLD.toLocaleString('en-US');
    return {
      status: 'warn',
      cause: `the cluster has ${count.toLocaleString('en-US')} Kubernetes service accounts (more than ${limit}): \`${DAEMONSET}\` pods risk being OOMKilled on every node`,
      evidence: {
        expected: `at most ${limit} Kubernetes service accounts`,
        actual: count,
        notes: ['every pod that uses Workload Identity depends on the metadata server of its node'],
      },
      fix: [
        {
          action: 'manual',
          target: clusterResourceName(target.cluster),
          params: {},
          description: `Delete unused Kubernetes service accounts (kubectl get serviceaccounts -A) to keep the count under ${limit}.`,
        },
      ],
    };
  },
});

/** No pod of the subject is on a node: judge the DaemonSet as a whole from its status counters. */
function dsLevel(ds: Workload, subjectId: string, notes: string[]): CheckOutcome {
  const status = ds.status ?? {};
  const desired = typeof status.desiredNumberScheduled === 'number' ? status.desiredNumberScheduled : undefined;
  const ready = typeof status.numberReady === 'number' ? status.numberReady : undefined;
  const degraded = desired !== undefined && ready !== undefined && ready < desired;
  const facts = `DaemonSet \`${NAMESPACE}/${DAEMONSET}\`: ${ready ?? '?'} of ${desired ?? '?'} pods Ready`;
  if (degraded) {
    return {
      status: 'warn',
      cause: `no pod of \`${subjectId}\` is scheduled on a node, and ${facts}; pods on the other nodes cannot get tokens`,
      evidence: { expected: { numberReady: desired }, actual: { numberReady: ready }, notes },
    };
  }
  if (desired === undefined || ready === undefined) {
    return {
      status: 'skip',
      cause: `no pod of \`${subjectId}\` runs on a node and the DaemonSet reports no status: there is no node to check`,
      evidence: { notes },
    };
  }
  return {
    status: 'pass',
    cause: `no pod of \`${subjectId}\` runs on a node yet; ${facts}`,
    evidence: { notes },
  };
}
