// The identity graph as the page carries it: nodes as they are but for their checks, edges that name their
// ends by position, paths as lists of positions, and each check result once in a table that nodes and edges
// point into (one result often marks every pod of a workload). A 5,000-KSA graph is a fraction of its JSON
// size this way; the page's script reads it back into the graph's own shapes.

import { EDGE_LABELS } from '../../graph/types.js';
import type {
  EdgeBinding,
  EdgeKind,
  EdgeState,
  ElementCheck,
  GraphNode,
  IdentityGraph,
  SubjectPath,
} from '../../graph/types.js';

export type PageNode = Omit<GraphNode, 'checks'> & {
  /** Positions in `checks`. */
  c?: number[];
};

export interface PageEdge {
  /** Positions of source and target in `nodes`. */
  s: number;
  t: number;
  k: EdgeKind;
  st: EdgeState;
  /** The label, when it is not the kind's own (the graph's EDGE_LABELS). */
  l?: string;
  b?: EdgeBinding[];
  /** Positions in `checks`. */
  c?: number[];
  n?: string[];
}

export interface PagePath {
  subject: string;
  status: SubjectPath['status'];
  rootCause: string | null;
  identity?: SubjectPath['identity'];
  nodes: number[];
  edges: number[];
}

export interface PageGraph {
  nodes: PageNode[];
  edges: PageEdge[];
  checks: ElementCheck[];
  subjects: PagePath[];
  notes: string[];
}

export function pageGraph(graph: IdentityGraph): PageGraph {
  const nodeAt = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const edgeAt = new Map(graph.edges.map((e, i) => [e.id, i]));
  const position = (map: ReadonlyMap<string, number>, id: string): number => map.get(id) ?? -1;
  const checks: ElementCheck[] = [];
  const checkAt = new Map<string, number>();
  const intern = (list: readonly ElementCheck[]): { c?: number[] } => {
    if (list.length === 0) return {};
    return {
      c: list.map((check) => {
        const key = JSON.stringify(check);
        let at = checkAt.get(key);
        if (at === undefined) {
          at = checks.push(check) - 1;
          checkAt.set(key, at);
        }
        return at;
      }),
    };
  };
  return {
    nodes: graph.nodes.map(({ checks: own, ...node }) => ({ ...node, ...intern(own) })),
    edges: graph.edges.map((e) => ({
      s: position(nodeAt, e.source),
      t: position(nodeAt, e.target),
      k: e.kind,
      st: e.state,
      ...(e.label !== EDGE_LABELS[e.kind] ? { l: e.label } : {}),
      ...(e.bindings.length > 0 ? { b: e.bindings } : {}),
      ...intern(e.checks),
      ...(e.notes.length > 0 ? { n: e.notes } : {}),
    })),
    checks,
    subjects: graph.subjects.map((s) => ({
      subject: s.subject,
      status: s.status,
      rootCause: s.rootCause,
      ...(s.identity !== undefined ? { identity: s.identity } : {}),
      nodes: s.nodes.map((id) => position(nodeAt, id)).filter((i) => i >= 0),
      edges: s.edges.map((id) => position(edgeAt, id)).filter((i) => i >= 0),
    })),
    notes: graph.notes,
  };
}
