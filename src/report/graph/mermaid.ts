// `wi-doctor graph --format mermaid`: a Mermaid flowchart for docs and pull requests. Labels are quoted and
// every character Mermaid could read as syntax or markup is written as an entity code (`#34;`), so a value
// from the cluster cannot change the diagram. Broken links are dotted, red and name their checks; the
// highlighted path is thick and blue.

import type { EdgeState, GraphEdge, GraphNode, IdentityGraph, NodeKind } from '../../graph/types.js';
import { redactSecrets } from '../common.js';

/** Quoted label text: `"#<>&` and friends as Mermaid entity codes, line breaks as spaces. */
export function mermaidText(text: string): string {
  return redactSecrets(text)
    .replace(/\s+/g, ' ')
    .replace(/["#<>&`|\\]/g, (c) => `#${c.charCodeAt(0)};`);
}

const SHAPES: Record<NodeKind, [string, string]> = {
  namespace: ['["', '"]'],
  workload: ['("', '")'],
  pod: ['(["', '"])'],
  ksa: ['["', '"]'],
  gsa: ['{{"', '"}}'],
  role: ['[/"', '"/]'],
  resource: ['[("', '")]'],
  project: ['[["', '"]]'],
  principal: ['>"', '"]'],
};

const STATE_COLOR: Record<EdgeState, string> = {
  ok: '#8c959f',
  conditional: '#9a6700',
  unknown: '#8250df',
  broken: '#cf222e',
};

function edgeText(e: GraphEdge): string {
  const checks = e.checks.filter((c) => c.status !== 'warn').map((c) => c.check);
  const suffix = checks.length > 0 ? ` (${checks.join(', ')})` : '';
  if (e.state === 'broken') return `✗ ${e.label}${suffix}`;
  if (e.state === 'unknown') return `? ${e.label}${suffix}`;
  if (e.kind === 'falls-back-to-node-identity') return `✗ ${e.label}${suffix}`;
  if (e.state === 'conditional') return `${e.label} (conditional)`;
  if (e.kind === 'may-impersonate' || e.kind === 'granted') {
    const roles = [...new Set(e.bindings.map((b) => b.role.replace(/^roles\//, '')))];
    if (roles.length > 0) return `${e.label}: ${roles.join(', ')}`;
  }
  return e.label;
}

function nodeText(n: GraphNode): string {
  // A KSA under direct binding is itself the Google identity (its own principal).
  const marks = `${n.missing ? ' (missing)' : ''}${n.kind === 'ksa' && n.details['principal'] !== undefined ? ' (own principal)' : ''}`;
  return `${n.label}${marks}`;
}

export function renderGraphMermaid(graph: IdentityGraph, options: { highlight?: string } = {}): string {
  const ids = new Map<string, string>();
  graph.nodes.forEach((n, i) => ids.set(n.id, `n${i}`));
  const lines = ['flowchart LR'];
  const shape = (n: GraphNode): string => {
    const [open, close] = SHAPES[n.kind];
    return `${ids.get(n.id) ?? ''}${open}${mermaidText(nodeText(n))}${close}`;
  };
  const byNamespace = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) {
    if (n.kind === 'namespace') continue;
    if (n.namespace !== undefined) {
      const list = byNamespace.get(n.namespace);
      if (list) list.push(n);
      else byNamespace.set(n.namespace, [n]);
    } else {
      lines.push(`  ${shape(n)}`);
    }
  }
  for (const [ns, members] of byNamespace) {
    const nsNode = graph.nodes.find((n) => n.id === `ns:${ns}`);
    lines.push(
      `  subgraph ${ids.get(`ns:${ns}`) ?? `ns${lines.length}`}["${mermaidText(`namespace ${nsNode?.label ?? ns}`)}"]`,
    );
    for (const n of members) lines.push(`    ${shape(n)}`);
    lines.push('  end');
  }
  const linkStyles: string[] = [];
  graph.edges.forEach((e, i) => {
    const arrow =
      e.kind === 'falls-back-to-node-identity' ? '==>' : e.state === 'ok' && e.kind !== 'on' ? '-->' : '-.->';
    const text = edgeText(e);
    const label = text === '' || e.kind === 'on' ? '' : `|"${mermaidText(text)}"|`;
    lines.push(`  ${ids.get(e.source) ?? ''} ${arrow}${label} ${ids.get(e.target) ?? ''}`);
    if (e.state !== 'ok' || e.kind === 'falls-back-to-node-identity') {
      const color = e.kind === 'falls-back-to-node-identity' ? STATE_COLOR.broken : STATE_COLOR[e.state];
      linkStyles.push(`  linkStyle ${i} stroke:${color},stroke-width:2px`);
    }
  });
  lines.push(...linkStyles);
  lines.push(
    '  classDef fail stroke:#cf222e,stroke-width:2px',
    '  classDef warn stroke:#9a6700,stroke-width:2px',
    '  classDef unknown stroke:#8250df,stroke-width:2px,stroke-dasharray:4 3',
    '  classDef missing stroke-dasharray:6 4',
    '  classDef path stroke:#0969da,stroke-width:4px',
  );
  for (const status of ['fail', 'warn', 'unknown'] as const) {
    const members = graph.nodes.filter((n) => n.kind !== 'namespace' && n.status === status).map((n) => ids.get(n.id));
    if (members.length > 0) lines.push(`  class ${members.join(',')} ${status}`);
  }
  const missing = graph.nodes.filter((n) => n.missing === true).map((n) => ids.get(n.id));
  if (missing.length > 0) lines.push(`  class ${missing.join(',')} missing`);
  const path =
    options.highlight !== undefined ? graph.subjects.find((s) => s.subject === options.highlight) : undefined;
  if (path !== undefined && path.nodes.length > 0) {
    lines.push(
      `  class ${path.nodes
        .map((id) => ids.get(id) ?? '')
        .filter(Boolean)
        .join(',')} path`,
    );
    const onPath = new Set(path.edges);
    const indexes = graph.edges.flatMap((e, i) => (onPath.has(e.id) && e.state !== 'broken' ? [i] : []));
    if (indexes.length > 0) lines.push(`  linkStyle ${indexes.join(',')} stroke:#0969da,stroke-width:4px`);
  }
  return `${lines.join('\n')}\n`;
}
