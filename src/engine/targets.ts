// The shared targets (project, cluster, node pools) that the subjects depend on, and how each is named.

import type { ClusterRef, Facts } from '../model/facts.js';
import { clusterResourceName } from '../model/facts.js';
import type { Node } from '../model/k8s/types.js';
import { NODE_POOL_LABEL } from '../model/k8s/types.js';
import type { Subject, Target } from './subject.js';

/** The node pool of a node, by node name (undefined: not known), as nodePoolsOf reads it. */
type PoolOfNode = (nodeName: string) => string | undefined;

function poolOfNodeIn(facts: Facts): PoolOfNode {
  return (nodeName) => {
    const node = facts.k8s.get<Node>('nodes', undefined, nodeName);
    return node.status === 'present' ? node.value.metadata.labels?.[NODE_POOL_LABEL] : undefined;
  };
}

/** poolOfNode, each node looked up once: many pods share a node (one run's worth; nothing kept across runs). */
function memoized(poolOfNode: PoolOfNode): PoolOfNode {
  const known = new Map<string, string | undefined>();
  return (nodeName) => {
    if (known.has(nodeName)) return known.get(nodeName);
    const pool = poolOfNode(nodeName);
    known.set(nodeName, pool);
    return pool;
  };
}

/** Node pools running the subject's pods; every pool of the cluster when no pod (or node) is known. */
export function nodePoolsOf(facts: Facts, subject: Subject, poolOfNode: PoolOfNode = poolOfNodeIn(facts)): string[] {
  const pools = new Set<string>();
  if (subject.pods.status === 'present') {
    for (const pod of subject.pods.value) {
      const nodeName = pod.spec.nodeName;
      if (!nodeName) continue;
      const pool = poolOfNode(nodeName);
      if (pool) pools.add(pool);
    }
  }
  if (pools.size > 0) return [...pools].sort();
  return allNodePools(facts);
}

export function allNodePools(facts: Facts): string[] {
  if (facts.cluster.status !== 'present') return ['*'];
  return (facts.cluster.value.nodePools ?? []).map((p) => p.name).sort();
}

/** Names of shared targets, made once per target object: every subject's verdict looks its shared results up. */
const sharedNames = new WeakMap<Target, string>();

export function targetSubject(target: Target): string {
  if (target.scope === 'subject') return target.subject.id;
  let name = sharedNames.get(target);
  if (name === undefined) {
    name = sharedTargetName(target);
    sharedNames.set(target, name);
  }
  return name;
}

function sharedTargetName(target: Exclude<Target, { scope: 'subject' }>): string {
  switch (target.scope) {
    case 'cluster':
      return clusterResourceName(target.cluster);
    case 'nodePool':
      return `${clusterResourceName(target.cluster)}/nodePools/${target.nodePool}`;
    case 'project':
      return `projects/${target.project}`;
    case 'gsa':
      return target.email;
  }
}

function kubernetesUri(namespace: string, resource: string, name: string): string {
  return `kubernetes:///namespaces/${namespace}/${resource}/${name}`;
}

/** A URI for the thing a result is about: SARIF needs a location on every result. */
export function targetLocation(target: Target): string {
  switch (target.scope) {
    case 'subject': {
      const s = target.subject;
      if (s.kind === 'pod') return kubernetesUri(s.namespace, 'pods', s.id.split('/')[2] ?? '');
      if (s.kind === 'workload' && s.workload)
        return kubernetesUri(s.namespace, `${s.workload.kind}s`, s.workload.name);
      return kubernetesUri(s.namespace, 'serviceaccounts', s.ksaName);
    }
    case 'cluster':
      return `//container.googleapis.com/${clusterResourceName(target.cluster)}`;
    case 'nodePool':
      return `//container.googleapis.com/${clusterResourceName(target.cluster)}/nodePools/${target.nodePool}`;
    case 'project':
      return `//cloudresourcemanager.googleapis.com/projects/${target.project}`;
    case 'gsa': {
      const project = /@([a-z][-a-z0-9]*)\.iam\.gserviceaccount\.com$/i.exec(target.email)?.[1] ?? '-';
      return `//iam.googleapis.com/projects/${project}/serviceAccounts/${target.email}`;
    }
  }
}

/** The shared targets of a run: the cluster's project, the cluster, and the node pools the subjects use. */
export function sharedTargets(
  facts: Facts,
  subjects: readonly Subject[],
  cluster: ClusterRef,
): { project: Target; cluster: Target; nodePools: Map<string, Target>; poolsBySubject: Map<string, string[]> } {
  const nodePools = new Map<string, Target>();
  const poolsBySubject = new Map<string, string[]>();
  // In the order first used.
  const addPools = (pools: readonly string[]): void => {
    for (const pool of pools) {
      if (!nodePools.has(pool)) nodePools.set(pool, { scope: 'nodePool', cluster, nodePool: pool });
    }
  };
  if (subjects.length === 0) addPools(allNodePools(facts));
  const poolOfNode = memoized(poolOfNodeIn(facts));
  for (const subject of subjects) {
    const used = nodePoolsOf(facts, subject, poolOfNode);
    poolsBySubject.set(subject.id, used);
    addPools(used);
  }
  return {
    project: { scope: 'project', project: cluster.project },
    cluster: { scope: 'cluster', cluster },
    nodePools,
    poolsBySubject,
  };
}
