// Where NetworkPolicy is enforced, an egress policy that selects the pod
// must allow the metadata path of the cluster's datapath, or token requests time out. Dataplane V2 evaluates
// policy before GKE rewrites the destination (169.254.169.254:80); the legacy datapath after it
// (169.254.169.252:988).

import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { need } from '../model/facts.js';
import type { Facts } from '../model/facts.js';
import type { GkeCluster } from '../model/gcp.js';
import type { FixPlan } from '../model/results.js';
import { evaluateEgress } from '../model/k8s/network-policy.js';
import type { NetworkPolicy, Pod } from '../model/k8s/types.js';
import { METADATA_SERVER_NODE_LABEL } from '../model/k8s/types.js';
import { dedupeFixes } from './lib/fixes.js';
import { inspectedSpecs, nodeFact } from './lib/pods.js';

interface MetadataPath {
  ip: string;
  cidr: string;
  port: number;
  datapath: string;
}

function metadataPath(cluster: GkeCluster): MetadataPath {
  return cluster.networkConfig?.datapathProvider === 'ADVANCED_DATAPATH'
    ? { ip: '169.254.169.254', cidr: '169.254.169.254/32', port: 80, datapath: 'Dataplane V2' }
    : { ip: '169.254.169.252', cidr: '169.254.169.252/32', port: 988, datapath: 'the legacy datapath' };
}

function enforcement(cluster: GkeCluster): string | undefined {
  if (cluster.networkConfig?.datapathProvider === 'ADVANCED_DATAPATH') return 'Dataplane V2 (ADVANCED_DATAPATH)';
  if (cluster.networkPolicy?.enabled === true) {
    return `networkPolicy.enabled (${cluster.networkPolicy.provider ?? 'provider not reported'})`;
  }
  return undefined;
}

/** Labels that differ pod by pod: a policy selecting them would select one pod only. */
const VOLATILE_LABELS = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'statefulset.kubernetes.io/pod-name',
  'pod-template-generation',
  'batch.kubernetes.io/controller-uid',
  'controller-uid',
  'batch.kubernetes.io/job-name',
  'job-name',
]);

/**
 * Whether the pod's node runs the GKE metadata server (it carries the `iam.gke.io/gke-metadata-server-enabled`
 * label): undefined for a template, a pod not yet scheduled, or a node that was not read.
 */
function servedByGkeMetadataServer(facts: Facts, pod: Pod | undefined): boolean | undefined {
  const name = pod?.spec.nodeName;
  if (name === undefined || name === '') return undefined;
  const node = nodeFact(facts, name);
  if (node.status !== 'present') return undefined;
  return node.value.metadata.labels?.[METADATA_SERVER_NODE_LABEL] === 'true';
}

function stableSelector(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !VOLATILE_LABELS.has(k)));
}

/**
 * The stable labels as one string, equal for two pods exactly when `stableSelector` gives them equal selectors
 * (the same labels in the same order): made for every pod, so without the selector object.
 */
function stableSelectorKey(labels: Record<string, string> | undefined): string {
  let key = '';
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (!VOLATILE_LABELS.has(k)) key += `${JSON.stringify(k)}:${JSON.stringify(v)},`;
  }
  return key;
}

/**
 * The name of the NetworkPolicy that lets pods with these labels reach the metadata server:
 * `allow-gke-metadata-server-VALUES` (the selector's values in key order, as a DNS label), so two subjects of one
 * namespace get two policies. `check` prints it and `fix` applies it: one name, built here.
 */
export function metadataEgressPolicyName(labels: Readonly<Record<string, string>> | undefined): string {
  const base = 'allow-gke-metadata-server';
  const words = Object.keys(labels ?? {})
    .sort()
    .map((k) => labels?.[k] ?? '');
  const suffix = words
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63 - base.length - 1)
    .replace(/-+$/, '');
  return suffix === '' ? base : `${base}-${suffix}`;
}

export default defineCheck({
  id: 'network-policy-metadata',
  title: 'Network policies let the subject’s pods reach the GKE metadata server',
  failureTitle: 'A network policy blocks the subject’s pods from the GKE metadata server',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 14,
  requires: ['cluster', 'k8s:networkpolicies', 'k8s:pods', 'k8s:nodes'],
  run({ facts, target }): CheckOutcome {
    const { subject } = target;
    const cluster = need(facts.cluster);
    const enforced = enforcement(cluster);
    const policiesFact = facts.k8s.inNamespace<NetworkPolicy>('networkpolicies', subject.namespace);
    if (enforced === undefined) {
      const count = policiesFact.status === 'present' ? policiesFact.value.length : undefined;
      return {
        status: 'pass',
        cause: `cluster \`${subject.cluster.name}\` does not enforce NetworkPolicy (legacy datapath, networkPolicy not enabled), so no policy can block the metadata server`,
        ...(count !== undefined && count > 0
          ? {
              evidence: {
                notes: [
                  `${count} NetworkPolicies exist in namespace \`${subject.namespace}\` but are not enforced; they take effect (and may block 169.254.169.252:988) once enforcement is turned on`,
                ],
              },
            }
          : {}),
      };
    }
    const policies = need(policiesFact);
    const inspected = inspectedSpecs(subject);
    if (inspected.length === 0) {
      return { status: 'skip', cause: `no pod or pod template of \`${subject.id}\` is known: nothing to evaluate` };
    }
    // A hostNetwork pod never reaches the GKE metadata server (host-network reports it), and whether network
    // policies apply to host-network traffic at all is up to the network plugin: only pod-network specs count.
    const podNetwork = inspected.filter((s) => s.spec.hostNetwork !== true);
    if (podNetwork.length === 0) {
      return {
        status: 'skip',
        cause: `every pod of \`${subject.id}\` uses hostNetwork, so its requests never reach the GKE metadata server (see host-network)`,
      };
    }
    // A pod on a node without the GKE metadata server asks the node's Compute Engine metadata server instead:
    // its problem is that node (nodepool-gke-metadata, metadata-server-healthy), not the path evaluated here.
    const offPath = podNetwork.filter((s) => servedByGkeMetadataServer(facts, s.pod) === false);
    const specs = podNetwork.filter((s) => !offPath.includes(s));
    const offPathNotes = offPath.map(
      (s) =>
        `${s.label} runs on node \`${s.pod?.spec.nodeName ?? '?'}\`, which does not run the GKE metadata server (see nodepool-gke-metadata, metadata-server-healthy): not evaluated`,
    );
    if (specs.length === 0) {
      return {
        status: 'skip',
        cause: `every pod of \`${subject.id}\` runs on a node without the GKE metadata server (no \`${METADATA_SERVER_NODE_LABEL}\` label): see nodepool-gke-metadata and metadata-server-healthy`,
        evidence: { notes: offPathNotes },
      };
    }
    const path = metadataPath(cluster);
    const blocked: { label: string; labels: Record<string, string> | undefined; explanation: string[] }[] = [];
    const allowed: string[] = [];
    const seen = new Set<string>();
    for (const spec of specs) {
      const key = stableSelectorKey(spec.labels);
      if (seen.has(key)) continue;
      seen.add(key);
      const decision = evaluateEgress({
        pod: { namespace: subject.namespace, labels: spec.labels },
        policies,
        destination: { ip: path.ip, port: path.port, protocol: 'TCP' },
      });
      if (decision.allowed) {
        allowed.push(
          decision.restricted && decision.allowedBy !== undefined
            ? `${spec.label}: allowed by \`${decision.allowedBy.policy}\` egress[${decision.allowedBy.rule}]`
            : `${spec.label}: no egress policy selects it`,
        );
      } else {
        blocked.push({ label: spec.label, labels: spec.labels, explanation: decision.explanation });
      }
    }
    const destination = `${path.ip}:${path.port}`;
    const first = blocked[0];
    if (first === undefined) {
      return {
        status: 'pass',
        cause: `NetworkPolicy is enforced (${enforced}) and the subject's pods may reach the metadata server at ${destination}`,
        evidence: { notes: [...allowed, ...offPathNotes] },
      };
    }
    // One NetworkPolicy per blocked label set (a podSelector cannot say "these labels or those"), each under
    // its own name, made from its selector: applying two policies of one name would leave only the last, whether
    // both are this subject's or one is another subject's of the same namespace (`check --all` prints both).
    const names = new Set<string>();
    const fix: FixPlan[] = dedupeFixes(
      blocked.map((b, i) => {
        let name = metadataEgressPolicyName(stableSelector(b.labels));
        if (names.has(name)) name = `${name}-${i + 1}`;
        names.add(name);
        return {
          action: 'allow-metadata-egress',
          target: `namespaces/${subject.namespace}/networkpolicies/${name}`,
          params: {
            podSelector: JSON.stringify({ matchLabels: stableSelector(b.labels) }),
            cidr: path.cidr,
            port: String(path.port),
          },
          description: `Add a NetworkPolicy in \`${subject.namespace}\` that allows egress to ${path.cidr} TCP port ${path.port} for the subject's pods.`,
        };
      }),
    );
    return {
      status: 'fail',
      cause: `egress NetworkPolicies block ${first.label} from the GKE metadata server at ${destination} (${path.datapath}), so token requests time out`,
      evidence: {
        expected: `egress to ${path.cidr} TCP ${path.port} allowed (${path.datapath})`,
        actual: blocked.flatMap((b) => b.explanation.map((e) => `${b.label}: ${e}`)),
        notes: [
          `enforcement: ${enforced}`,
          ...allowed,
          ...offPathNotes,
          'clients that resolve metadata.google.internal also need DNS egress to kube-dns (not evaluated here)',
        ],
      },
      fix,
    };
  },
});
