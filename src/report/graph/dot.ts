// `wi-doctor graph --format dot`: Graphviz DOT. Every id and label is a quoted string with `\` and `"`
// escaped and line breaks as `\n`, so a value from the cluster cannot add statements or HTML labels.
// Namespaces are clusters; broken links are dashed, red and name their checks; the highlighted path is bold.

import type { EdgeState, ElementStatus, GraphEdge, GraphNode, IdentityGraph, NodeKind } from '../../graph/types.js';
import { redactSecrets } from '../common.js';

export function dotString(text: string): string {
  return `"${redactSecrets(text)
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r?\n|\r/g, '\\n')}"`;
}

const SHAPE: Record<NodeKind, string> = {
  namespace: 'box',
  workload: 'box',
  pod: 'ellipse',
  ksa: 'box',
  gsa: 'octagon',
  role: 'cds',
  resource: 'cylinder',
  project: 'hexagon',
  principal: 'house',
};

const STATUS_COLOR: Record<ElementStatus, string> = {
  ok: '#57606a',
  warn: '#9a6700',
  fail: '#cf222e',
  unknown: '#8250df',
};

const STATE_STYLE: Record<EdgeState, string> = {
  ok: 'solid',
  conditional: 'dashed',
  unknown: 'dotted',
  broken: 'dashed',
};

const STATE_COLOR: Record<EdgeState, string> = {
  ok: '#57606a',
  conditional: '#9a6700',
  unknown: '#8250df',
  broken: '#cf222e',
};

function edgeLabel(e: GraphEdge): string {
  const checks = e.checks.filter((c) => c.status !== 'warn').map((c) => c.check);
  const suffix = checks.length > 0 ? `\n(${checks.join(', ')})` : '';
  if (e.state === 'broken' || e.kind === 'falls-back-to-node-identity') return `✗ ${e.label}${suffix}`;
  if (e.state === 'unknown') return `? ${e.label}${suffix}`;
  if (e.state === 'conditional') return `${e.label} (conditional)`;
  if (e.kind === 'on') return '';
  const roles = [...new Set(e.bindings.map((b) => b.role.replace(/^roles\//, '')))];
  return roles.length > 0 ? `${e.label}\n${roles.join(', ')}` : e.label;
}

function nodeLine(n: GraphNode, onPath: boolean, indent: string): string {
  const attrs = [
    `label=${dotString(`${n.label}${n.missing ? '\n(missing)' : ''}${n.kind === 'ksa' && n.details['principal'] !== undefined ? '\n(own principal)' : ''}`)}`,
    `shape=${SHAPE[n.kind]}`,
    `color=${dotString(STATUS_COLOR[n.status])}`,
    `style=${dotString([n.kind === 'workload' ? 'rounded' : '', n.missing ? 'dashed' : '', onPath ? 'bold' : ''].filter(Boolean).join(',') || 'solid')}`,
    ...(onPath ? ['penwidth=3'] : []),
  ];
  return `${indent}${dotString(n.id)} [${attrs.join(', ')}];`;
}

export function renderGraphDot(graph: IdentityGraph, options: { highlight?: string } = {}): string {
  const path =
    options.highlight !== undefined ? graph.subjects.find((s) => s.subject === options.highlight) : undefined;
  const pathNodes = new Set(path?.nodes ?? []);
  const pathEdges = new Set(path?.edges ?? []);
  const lines = [
    'digraph "identity" {',
    '  rankdir=LR;',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const byNamespace = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) {
    if (n.kind === 'namespace') continue;
    if (n.namespace === undefined) {
      lines.push(nodeLine(n, pathNodes.has(n.id), '  '));
      continue;
    }
    const list = byNamespace.get(n.namespace);
    if (list) list.push(n);
    else byNamespace.set(n.namespace, [n]);
  }
  let cluster = 0;
  for (const [ns, members] of byNamespace) {
    lines.push(`  subgraph "cluster_${cluster++}" {`, `    label=${dotString(`namespace ${ns}`)};`);
    for (const n of members) lines.push(nodeLine(n, pathNodes.has(n.id), '    '));
    lines.push('  }');
  }
  for (const e of graph.edges) {
    const fallback = e.kind === 'falls-back-to-node-identity';
    const attrs = [
      `label=${dotString(edgeLabel(e))}`,
      `style=${fallback ? 'bold' : STATE_STYLE[e.state]}`,
      `color=${dotString(fallback ? STATE_COLOR.broken : pathEdges.has(e.id) && e.state !== 'broken' ? '#0969da' : STATE_COLOR[e.state])}`,
      ...(pathEdges.has(e.id) ? ['penwidth=3'] : []),
    ];
    lines.push(`  ${dotString(e.source)} -> ${dotString(e.target)} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
