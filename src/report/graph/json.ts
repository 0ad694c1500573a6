// `wi-doctor graph --format json`: the identity graph (src/graph/types.ts) with a stable key order, so that
// graphs diff cleanly and tools can read them.

import type { EdgeBinding, ElementCheck, GraphEdge, GraphNode, IdentityGraph, SubjectPath } from '../../graph/types.js';
import { redactSecrets } from '../common.js';

const sorted = (record: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const check = (c: ElementCheck): ElementCheck => ({
  check: c.check,
  status: c.status,
  subject: c.subject,
  ...(c.cause !== undefined ? { cause: c.cause } : {}),
});

const binding = (b: EdgeBinding): EdgeBinding => ({
  policy: b.policy,
  role: b.role,
  member: b.member,
  ...(b.condition !== undefined ? { condition: b.condition } : {}),
});

const node = (n: GraphNode): GraphNode => ({
  id: n.id,
  kind: n.kind,
  label: n.label,
  ...(n.namespace !== undefined ? { namespace: n.namespace } : {}),
  ...(n.project !== undefined ? { project: n.project } : {}),
  status: n.status,
  ...(n.missing === true ? { missing: true } : {}),
  checks: n.checks.map(check),
  details: sorted(n.details),
});

const edge = (e: GraphEdge): GraphEdge => ({
  id: e.id,
  kind: e.kind,
  source: e.source,
  target: e.target,
  state: e.state,
  label: e.label,
  bindings: e.bindings.map(binding),
  checks: e.checks.map(check),
  notes: [...e.notes],
});

const path = (s: SubjectPath): SubjectPath => ({
  subject: s.subject,
  status: s.status,
  rootCause: s.rootCause,
  ...(s.identity !== undefined ? { identity: { ...s.identity } } : {}),
  nodes: [...s.nodes],
  edges: [...s.edges],
});

export function renderGraphJson(graph: IdentityGraph): string {
  const ordered: IdentityGraph = {
    format: graph.format,
    tool: { name: graph.tool.name, version: graph.tool.version },
    generatedAt: graph.generatedAt,
    source: graph.source,
    cluster: graph.cluster,
    nodes: graph.nodes.map(node),
    edges: graph.edges.map(edge),
    subjects: graph.subjects.map(path),
    notes: [...graph.notes],
  };
  return redactSecrets(JSON.stringify(ordered, null, 2) + '\n');
}
