// Parts of the identity graph: what one account touches (`graph --gsa`): everything that can reach it and
// everything it reaches.

import type { GraphEdge, IdentityGraph, SubjectPath } from './types.js';

function walk(starts: readonly string[], next: ReadonlyMap<string, GraphEdge[]>, pick: (e: GraphEdge) => string) {
  const nodes = new Set<string>();
  const edges = new Set<string>();
  const queue = [...starts];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    if (nodes.has(id)) continue;
    nodes.add(id);
    for (const edge of next.get(id) ?? []) {
      edges.add(edge.id);
      queue.push(pick(edge));
    }
  }
  return { nodes, edges };
}

function index(edges: readonly GraphEdge[], key: (e: GraphEdge) => string): Map<string, GraphEdge[]> {
  const map = new Map<string, GraphEdge[]>();
  for (const e of edges) {
    const list = map.get(key(e));
    if (list) list.push(e);
    else map.set(key(e), [e]);
  }
  return map;
}

/**
 * The subgraph around one node: upstream (who can become it: pods, KSAs, GSAs that may impersonate it) and
 * downstream (what it may become and what it is granted), with a path named after it. The namespaces of the
 * Kubernetes nodes kept are kept; subjects whose path touches the node are kept.
 */
export function aroundNode(graph: IdentityGraph, nodeId: string, pathName: string): IdentityGraph {
  const up = walk(
    [nodeId],
    index(graph.edges, (e) => e.target),
    (e) => e.source,
  );
  const down = walk(
    [nodeId],
    index(graph.edges, (e) => e.source),
    (e) => e.target,
  );
  const nodes = new Set([...up.nodes, ...down.nodes]);
  const edges = new Set([...up.edges, ...down.edges]);
  for (const node of graph.nodes) {
    if (nodes.has(node.id) && node.namespace !== undefined) nodes.add(`ns:${node.namespace}`);
  }
  const kept = graph.subjects
    .filter((s) => s.nodes.includes(nodeId))
    .map((s) => ({ ...s, nodes: s.nodes.filter((n) => nodes.has(n)), edges: s.edges.filter((e) => edges.has(e)) }));
  const worst = (['fail', 'unknown', 'warn'] as const).find((st) => kept.some((s) => s.status === st)) ?? 'pass';
  const own: SubjectPath = {
    subject: pathName,
    status: worst,
    rootCause: null,
    nodes: [...nodes].filter((n) => !n.startsWith('ns:')).sort(),
    edges: [...edges].sort(),
  };
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => nodes.has(n.id)),
    edges: graph.edges.filter((e) => edges.has(e.id)),
    subjects: [own, ...kept.filter((s) => s.subject !== pathName)],
  };
}
