// The report page's script: filters and search over the verdicts, copy buttons, opening every section for
// print, and the identity graph (Cytoscape.js with the dagre layout). It is written into the page as the
// source text of `reportClient`, so the function uses nothing from this module but the globals declared
// below. Data reaches the page only as text: `textContent` and Cytoscape labels (drawn on a canvas),
// never innerHTML.

import type {
  EdgeState,
  ElementCheck,
  ElementStatus,
  GraphEdge,
  GraphNode,
  SubjectPath,
} from '../../../graph/types.js';
import type { EDGE_LABELS } from '../../../graph/types.js';
import type { PageGraph } from '../graph-data.js';
import type {
  CyElementDefinition,
  CyFactory,
  CyStyle,
  DomDocument,
  DomElement,
  DomEvent,
  DomNavigator,
  DomWindow,
  FormElement,
} from './dom.js';

declare const document: DomDocument;
declare const window: DomWindow;
declare const navigator: DomNavigator;
declare const cytoscape: CyFactory | undefined;

/** Above this many Kubernetes nodes, the graph opens with every namespace collapsed. */
export const COLLAPSE_AT = 150;
/** "Expand all" lays out at most this many nodes at once. */
export const EXPAND_ALL_LIMIT = 1500;

export function reportClient(collapseAt: number, expandAllLimit: number): void {
  const root = document.documentElement;
  root.classList.remove('no-js');
  root.classList.add('js');
  const announce = document.getElementById('announce');
  const say = (text: string): void => {
    if (announce) announce.textContent = text;
  };
  const byId = (id: string): DomElement | null => document.getElementById(id);
  const field = (id: string): FormElement | null => document.getElementById(id) as FormElement | null;
  const all = (selector: string, within?: DomElement): DomElement[] =>
    Array.from((within ?? document).querySelectorAll(selector));

  // ---------------------------------------------------------------------------------------------------
  // Filters and search

  const subjects = all('.subject');
  const searchText = new Map<DomElement, string>();
  const textOf = (el: DomElement): string => {
    let text = searchText.get(el);
    if (text === undefined) {
      text = (el.textContent ?? '').toLowerCase();
      searchText.set(el, text);
    }
    return text;
  };
  const nsSelect = field('f-namespace');
  const checkSelect = field('f-check');
  const search = field('f-search');
  const count = byId('f-count');
  const statusBoxes = all('input[name="status"]') as FormElement[];

  function applyFilters(): void {
    const statuses = new Set(statusBoxes.filter((b) => b.checked).map((b) => b.value));
    const ns = nsSelect?.value ?? '';
    const check = checkSelect?.value ?? '';
    const words = (search?.value ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const el of subjects) {
      const checks = (el.dataset['checks'] ?? '').split(' ');
      const visible =
        statuses.has(el.dataset['status'] ?? '') &&
        (ns === '' || el.dataset['namespace'] === ns) &&
        (check === '' || checks.includes(check)) &&
        words.every((w) => textOf(el).includes(w));
      el.hidden = !visible;
      if (visible) shown++;
    }
    for (const section of all('.subject-list')) {
      const empty = section.querySelector('.empty');
      if (empty) empty.hidden = all('.subject', section).some((s) => !s.hidden);
    }
    if (count) count.textContent = `Showing ${shown} of ${subjects.length}`;
  }
  for (const box of statusBoxes) box.addEventListener('change', applyFilters);
  nsSelect?.addEventListener('change', applyFilters);
  checkSelect?.addEventListener('change', applyFilters);
  search?.addEventListener('input', applyFilters);
  byId('f-reset')?.addEventListener('click', () => {
    for (const box of statusBoxes) box.checked = true;
    if (nsSelect) nsSelect.value = '';
    if (checkSelect) checkSelect.value = '';
    if (search) search.value = '';
    applyFilters();
  });
  byId('filters')?.addEventListener('submit', (event: DomEvent) => event.preventDefault());
  if (subjects.length > 0) applyFilters();

  // ---------------------------------------------------------------------------------------------------
  // Copy buttons: the Clipboard API, else a selection and execCommand, else ask for Ctrl+C.

  function copied(button: DomElement, ok: boolean, what: string): void {
    const label = button.textContent;
    button.textContent = ok ? 'Copied' : 'Selected: press Ctrl+C';
    button.dataset['copied'] = ok ? 'yes' : 'no';
    say(ok ? `Copied ${what} to the clipboard` : `Could not copy: the ${what} is selected, press Ctrl+C`);
    window.setTimeout(() => {
      button.textContent = label;
    }, 2000);
  }

  function fallbackCopy(button: DomElement, code: DomElement, what: string): void {
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.selectAllChildren(code);
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    copied(button, ok, what);
  }

  for (const button of all('button.copy')) {
    button.addEventListener('click', () => {
      const code = byId(button.dataset['copy'] ?? '');
      if (!code) return;
      const text = code.textContent ?? '';
      const what = button.dataset['what'] ?? 'command';
      const clipboard = navigator.clipboard;
      if (clipboard) {
        clipboard.writeText(text).then(
          () => copied(button, true, what),
          () => fallbackCopy(button, code, what),
        );
      } else {
        fallbackCopy(button, code, what);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Print: every disclosure open, then back as it was.

  let closedForPrint: FormElement[] = [];
  window.addEventListener('beforeprint', () => {
    closedForPrint = (all('details') as FormElement[]).filter((d) => !d.open);
    for (const d of closedForPrint) d.open = true;
  });
  window.addEventListener('afterprint', () => {
    for (const d of closedForPrint) d.open = false;
    closedForPrint = [];
  });

  // ---------------------------------------------------------------------------------------------------
  // The identity graph

  const dataEl = byId('graph-data');
  const canvas = byId('graph-canvas');
  if (!dataEl || !canvas) return;
  const status = byId('g-status');
  if (typeof cytoscape !== 'function') {
    if (status) status.textContent = 'The graph library did not load: the graph cannot be drawn.';
    return;
  }
  const draw: CyFactory = cytoscape;
  // The page carries edges and paths by position (see graph-data.ts): back to the graph's own shapes.
  const data = JSON.parse(dataEl.textContent ?? '{}') as PageGraph;
  const nodeId = (i: number): string => data.nodes[i]?.id ?? '';
  const checksAt = (list: number[] | undefined): ElementCheck[] =>
    (list ?? []).flatMap((i) => (data.checks[i] !== undefined ? [data.checks[i]] : []));
  const labels: typeof EDGE_LABELS = {
    'runs-as': 'runs as',
    'annotated-as': 'annotated as',
    'may-impersonate': 'may impersonate',
    granted: 'granted',
    on: 'on',
    'falls-back-to-node-identity': 'falls back to node identity',
  };
  const graph: { nodes: GraphNode[]; edges: GraphEdge[]; subjects: SubjectPath[] } = {
    nodes: data.nodes.map(({ c, ...node }) => ({ ...node, checks: checksAt(c) })),
    edges: data.edges.map((e, i) => ({
      id: `e${i}`,
      kind: e.k,
      source: nodeId(e.s),
      target: nodeId(e.t),
      state: e.st,
      label: e.l ?? labels[e.k],
      bindings: e.b ?? [],
      checks: checksAt(e.c),
      notes: e.n ?? [],
    })),
    subjects: data.subjects.map((p) => ({
      subject: p.subject,
      status: p.status,
      rootCause: p.rootCause,
      ...(p.identity !== undefined ? { identity: p.identity } : {}),
      nodes: p.nodes.map(nodeId),
      edges: p.edges.map((i) => `e${i}`),
    })),
  };
  const nodesById = new Map<string, GraphNode>(graph.nodes.map((n) => [n.id, n]));
  const edgesById = new Map<string, GraphEdge>(graph.edges.map((e) => [e.id, e]));
  const outgoing = new Map<string, GraphEdge[]>();
  for (const e of graph.edges) {
    const list = outgoing.get(e.source);
    if (list) list.push(e);
    else outgoing.set(e.source, [e]);
  }
  const namespaced = graph.nodes.filter((n) => n.kind !== 'namespace' && n.namespace !== undefined);
  const namespaces = graph.nodes.filter((n) => n.kind === 'namespace').map((n) => n.label);

  // Nodes reachable from no namespaced node (accounts that are subjects themselves): always shown.
  const reachable = (starts: Iterable<string>): Set<string> => {
    const seen = new Set<string>();
    const queue = [...starts];
    for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
      if (seen.has(id)) continue;
      seen.add(id);
      for (const e of outgoing.get(id) ?? []) queue.push(e.target);
    }
    return seen;
  };
  const fromAnyNamespace = reachable(namespaced.map((n) => n.id));
  const orphans = graph.nodes.filter(
    (n) => n.kind !== 'namespace' && n.namespace === undefined && !fromAnyNamespace.has(n.id),
  );

  // Per namespace: how many KSAs, and the verdicts of its subjects.
  const summary = new Map<string, { ksas: number; fail: number; warn: number; unknown: number; pass: number }>();
  for (const ns of namespaces) summary.set(ns, { ksas: 0, fail: 0, warn: 0, unknown: 0, pass: 0 });
  for (const n of namespaced) {
    const s = n.namespace !== undefined ? summary.get(n.namespace) : undefined;
    if (s && n.kind === 'ksa') s.ksas++;
  }
  for (const path of graph.subjects) {
    const s = summary.get(path.subject.split('/')[0] ?? '');
    if (s) s[path.status]++;
  }

  const collapsed = new Set<string>(namespaced.length > collapseAt ? namespaces : []);
  let highlighted: string | undefined;

  const css = window.getComputedStyle(root);
  const color = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  const palette = {
    fg: color('--fg', '#1b1f24'),
    bg: color('--bg', '#ffffff'),
    muted: color('--muted', '#59636e'),
    line: color('--line', '#8c959f'),
    ok: color('--ok', '#1a7f37'),
    fail: color('--fail', '#cf222e'),
    warn: color('--warn', '#9a6700'),
    unknown: color('--unknown', '#8250df'),
    path: color('--path', '#0969da'),
    box: color('--box', '#f6f8fa'),
  };
  const statusColor: Record<ElementStatus, string> = {
    ok: palette.line,
    warn: palette.warn,
    fail: palette.fail,
    unknown: palette.unknown,
  };
  const stateColor: Record<EdgeState, string> = {
    ok: palette.line,
    conditional: palette.warn,
    unknown: palette.unknown,
    broken: palette.fail,
  };
  const shapes: Record<string, string> = {
    workload: 'round-rectangle',
    pod: 'ellipse',
    ksa: 'rectangle',
    gsa: 'cut-rectangle',
    role: 'tag',
    resource: 'barrel',
    project: 'hexagon',
    namespace: 'round-rectangle',
  };

  const width = (label: string): number => Math.max(60, Math.min(340, 16 + label.length * 6.4));

  function edgeLabel(e: GraphEdge): string {
    const checks = e.checks.filter((c) => c.status !== 'warn').map((c) => c.check);
    if (e.state === 'broken') return `✗ ${e.label}${checks.length ? ` (${checks.join(', ')})` : ''}`;
    if (e.state === 'unknown') return `? ${e.label}${checks.length ? ` (${checks.join(', ')})` : ''}`;
    if (e.kind === 'falls-back-to-node-identity') return `✗ ${e.label}`;
    if (e.state === 'conditional') return `${e.label} (conditional)`;
    return '';
  }

  function elements(): CyElementDefinition[] {
    const out: CyElementDefinition[] = [];
    const visibleNs = namespaced.filter((n) => n.namespace !== undefined && !collapsed.has(n.namespace));
    const shown = new Set<string>([...reachable(visibleNs.map((n) => n.id)), ...orphans.map((n) => n.id)]);
    for (const ns of namespaces) {
      const id = `ns:${ns}`;
      const s = summary.get(ns);
      const worst: ElementStatus =
        s && s.fail > 0 ? 'fail' : s && s.unknown > 0 ? 'unknown' : s && s.warn > 0 ? 'warn' : 'ok';
      if (collapsed.has(ns)) {
        const parts = [`${s?.ksas ?? 0} KSA${s?.ksas === 1 ? '' : 's'}`];
        if (s && s.fail > 0) parts.push(`${s.fail} ✗`);
        if (s && s.unknown > 0) parts.push(`${s.unknown} ?`);
        if (s && s.warn > 0) parts.push(`${s.warn} !`);
        const label = `${ns} (collapsed)\n${parts.join(' · ')}`;
        out.push({
          group: 'nodes',
          data: { id, label, kind: 'namespace', status: worst, w: width(ns) + 30, color: statusColor[worst] },
          classes: 'collapsed',
        });
      } else {
        out.push({
          group: 'nodes',
          data: { id, label: ns, kind: 'namespace', status: worst, w: width(ns), color: statusColor[worst] },
          classes: 'ns',
        });
      }
    }
    for (const id of shown) {
      const n = nodesById.get(id);
      if (!n || n.kind === 'namespace') continue;
      // A KSA under direct binding is itself the Google identity (its own principal).
      const label = `${n.label}${n.missing ? '\n(missing)' : ''}${n.kind === 'ksa' && n.details['principal'] !== undefined ? '\n(own principal)' : ''}`;
      out.push({
        group: 'nodes',
        data: {
          id: n.id,
          label,
          kind: n.kind,
          status: n.status,
          parent: n.namespace !== undefined ? `ns:${n.namespace}` : undefined,
          w: width(n.label),
          color: statusColor[n.status],
        },
        classes: `${n.kind}${n.missing ? ' missing' : ''}`,
      });
    }
    for (const e of graph.edges) {
      if (!shown.has(e.source) || !shown.has(e.target)) continue;
      out.push({
        group: 'edges',
        data: { id: e.id, source: e.source, target: e.target, label: edgeLabel(e), color: stateColor[e.state] },
        classes: `${e.kind} ${e.state}`,
      });
    }
    return out;
  }

  const style: CyStyle[] = [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        label: 'data(label)',
        'font-size': 11,
        'font-family': 'system-ui, sans-serif',
        color: palette.fg,
        'text-valign': 'center',
        'text-halign': 'center',
        'text-wrap': 'wrap',
        'text-max-width': '330px',
        width: 'data(w)',
        height: 34,
        'background-color': palette.bg,
        'border-width': 2,
        'border-color': 'data(color)',
      },
    },
    ...Object.entries(shapes).map(([kind, shape]) => ({ selector: `node.${kind}`, style: { shape } })),
    { selector: 'node.gsa', style: { height: 40 } },
    { selector: 'node.missing', style: { 'border-style': 'dashed' } },
    {
      selector: 'node.ns',
      style: {
        'background-color': palette.box,
        'background-opacity': 0.6,
        'border-width': 1,
        'border-color': palette.line,
        'text-valign': 'top',
        'text-halign': 'center',
        color: palette.muted,
        'font-weight': 'bold',
        padding: 12,
      },
    },
    { selector: 'node.collapsed', style: { height: 46, 'border-width': 3, 'background-color': palette.box } },
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'curve-style': 'bezier',
        'target-arrow-shape': 'triangle',
        'line-color': 'data(color)',
        'target-arrow-color': 'data(color)',
        label: 'data(label)',
        'font-size': 10,
        color: palette.fg,
        'text-background-color': palette.bg,
        'text-background-opacity': 0.7,
        'text-background-padding': 1,
        'text-rotation': 'autorotate',
        'text-margin-y': -9,
        'control-point-step-size': 36,
      },
    },
    { selector: 'edge.broken', style: { 'line-style': 'dashed', 'line-dash-pattern': [6, 4], width: 2.5 } },
    { selector: 'edge.unknown', style: { 'line-style': 'dotted', width: 2 } },
    { selector: 'edge.conditional', style: { 'line-style': 'dashed', 'line-dash-pattern': [2, 3] } },
    {
      selector: 'edge.falls-back-to-node-identity',
      style: { 'line-color': palette.fail, 'target-arrow-color': palette.fail, width: 2.5, 'line-style': 'dotted' },
    },
    { selector: '.faded', style: { opacity: 0.25 } },
    { selector: 'node.path', style: { 'border-width': 4, 'overlay-color': palette.path, 'overlay-opacity': 0.12 } },
    {
      selector: 'edge.path',
      style: { width: 4, 'line-color': palette.path, 'target-arrow-color': palette.path, 'z-index': 10 },
    },
    {
      selector: 'edge.path.broken, edge.path.falls-back-to-node-identity',
      style: { 'line-color': palette.fail, 'target-arrow-color': palette.fail },
    },
    { selector: ':selected', style: { 'overlay-color': palette.path, 'overlay-opacity': 0.25 } },
  ];

  const dagre = {
    name: 'dagre',
    rankDir: 'LR',
    nodeSep: 14,
    rankSep: 110,
    edgeSep: 8,
    animate: false,
    fit: false,
  };

  /**
   * Expanded namespaces and what they reach are laid out by dagre (left to right, the way a token travels);
   * collapsed namespaces have no links and go in a grid below them, not in one long dagre column.
   */
  function layout(): void {
    const collapsedNodes = cy.nodes('.collapsed');
    const rest = cy.elements().difference(collapsedNodes);
    let top = 0;
    let left = 0;
    let width = 900;
    if (rest.length > 0) {
      rest.layout(dagre).run();
      const box = rest.boundingBox();
      top = box.y2 + 80;
      left = box.x1;
      width = Math.max(width, box.w);
    }
    if (collapsedNodes.length > 0) {
      const columns = Math.max(1, Math.floor(width / 260));
      const rows = Math.ceil(collapsedNodes.length / columns);
      collapsedNodes
        .layout({
          name: 'grid',
          cols: columns,
          avoidOverlap: true,
          animate: false,
          fit: false,
          boundingBox: { x1: left, y1: top, w: columns * 260, h: rows * 80 },
        })
        .run();
    }
    cy.fit(undefined, 24);
  }

  const started = window.performance.now();
  const cy = draw({
    container: canvas,
    elements: elements(),
    style,
    layout: { name: 'preset' },
    minZoom: 0.05,
    maxZoom: 3,
    boxSelectionEnabled: false,
    autoungrabify: false,
  });
  layout();
  canvas.dataset['ready'] = 'true';
  canvas.dataset['ms'] = String(Math.round(window.performance.now() - started));
  window.performance.mark('wi-graph-ready');

  const subjectSelect = field('g-subject');
  const nsExpand = field('g-namespace');
  const pathList = byId('g-path');
  const details = byId('g-details');

  function describeCollapse(): void {
    const open = namespaces.filter((ns) => !collapsed.has(ns)).length;
    if (status) {
      status.textContent =
        collapsed.size === 0
          ? `${graph.nodes.length} nodes, ${graph.edges.length} links.`
          : `${namespaces.length} namespaces, ${open} expanded (${collapsed.size} collapsed): pick a namespace or a subject to expand it.`;
    }
    const expandAll = field('g-expand-all');
    if (expandAll) expandAll.disabled = namespaced.length > expandAllLimit && collapsed.size > 0;
  }

  function redraw(): void {
    const next = elements();
    cy.batch(() => {
      cy.elements().remove();
      cy.add(next);
    });
    layout();
    if (highlighted !== undefined) mark(highlighted);
    describeCollapse();
  }

  function text(tag: string, value: string, cls?: string): DomElement {
    const el = document.createElement(tag);
    el.textContent = value;
    if (cls !== undefined) el.className = cls;
    return el;
  }

  function mark(subject: string): void {
    const path = graph.subjects.find((s) => s.subject === subject);
    cy.elements().removeClass('path faded');
    if (!path) return;
    const ids = new Set([...path.nodes, ...path.edges]);
    cy.elements().forEach((el) => {
      const id = el.id();
      if (ids.has(id)) cy.getElementById(id).addClass('path');
      else if (!id.startsWith('ns:')) cy.getElementById(id).addClass('faded');
    });
    const onPath = cy.elements('.path');
    if (onPath.length > 0) cy.fit(onPath, 40);
  }

  function showPath(subject: string): void {
    const path = graph.subjects.find((s) => s.subject === subject);
    if (!pathList) return;
    if (!path) {
      pathList.replaceChildren();
      return;
    }
    // In the order a token travels: pod → KSA → GSA → roles → where they apply.
    const order = ['runs-as', 'falls-back-to-node-identity', 'annotated-as', 'may-impersonate', 'granted', 'on'];
    const edges = path.edges
      .flatMap((id) => {
        const e = edgesById.get(id);
        return e ? [e] : [];
      })
      .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    const items: DomElement[] = [];
    if (path.identity !== undefined) {
      items.push(
        text(
          'li',
          path.identity.model === 'impersonation'
            ? `Google identity: GSA ${path.identity.gsa} (impersonated)`
            : `Google identity: the KSA's own principal ${path.identity.principal} (direct binding)`,
          'identity',
        ),
      );
    }
    for (const e of edges) {
      const from = nodesById.get(e.source)?.label ?? e.source;
      const to = nodesById.get(e.target)?.label ?? e.target;
      const li = document.createElement('li');
      li.className = `edge-${e.state}`;
      const mark = e.state === 'broken' ? '✗ ' : e.state === 'unknown' ? '? ' : e.state === 'conditional' ? '~ ' : '';
      li.appendChild(text('span', `${mark}${from} → ${e.label} → ${to}`));
      const why = [
        ...e.bindings.map((b) => `${b.role} on ${b.policy}${b.condition !== undefined ? ` (if ${b.condition})` : ''}`),
        ...e.checks.map((c) => `${c.check} ${c.status}${c.cause !== undefined ? `: ${c.cause}` : ''}`),
        ...e.notes,
      ];
      if (why.length > 0) li.appendChild(text('span', ` — ${why.join('; ')}`, 'muted'));
      items.push(li);
    }
    if (edges.length === 0) items.push(text('li', 'No link was found for this subject.'));
    pathList.replaceChildren(...items);
  }

  function highlight(subject: string): void {
    highlighted = subject === '' ? undefined : subject;
    const path = graph.subjects.find((s) => s.subject === subject);
    let changed = false;
    for (const id of path?.nodes ?? []) {
      const ns = nodesById.get(id)?.namespace;
      if (ns !== undefined && collapsed.delete(ns)) changed = true;
    }
    if (changed) redraw();
    else if (highlighted !== undefined) mark(highlighted);
    else cy.elements().removeClass('path faded');
    showPath(subject);
    if (subjectSelect && subjectSelect.value !== subject) subjectSelect.value = subject;
    say(highlighted !== undefined ? `Path of ${subject} highlighted` : 'No path highlighted');
  }

  function showDetails(id: string): void {
    if (!details) return;
    const n = nodesById.get(id);
    const rows: DomElement[] = [];
    const row = (term: string, value: string): void => {
      rows.push(text('dt', term), text('dd', value));
    };
    if (n) {
      row('node', n.label);
      row('kind', n.kind);
      row('status', n.missing ? `${n.status} (missing)` : n.status);
      for (const [k, v] of Object.entries(n.details)) row(k, v);
      for (const c of n.checks) row(c.check, `${c.status}${c.cause !== undefined ? `: ${c.cause}` : ''}`);
      if (n.kind === 'namespace' && collapsed.has(n.label)) row('collapsed', 'select it again to expand');
    } else {
      const e = edgesById.get(id);
      if (!e) return;
      row('link', `${nodesById.get(e.source)?.label ?? e.source} → ${nodesById.get(e.target)?.label ?? e.target}`);
      row('kind', e.kind);
      row('state', e.state);
      for (const b of e.bindings) {
        row(
          'binding',
          `${b.role} on ${b.policy} to ${b.member}${b.condition !== undefined ? ` if ${b.condition}` : ''}`,
        );
      }
      for (const c of e.checks) row(c.check, `${c.status}${c.cause !== undefined ? `: ${c.cause}` : ''}`);
      for (const note of e.notes) row('note', note);
    }
    details.replaceChildren(...rows);
  }

  cy.on('tap', 'node', (event) => {
    const id = event.target.id();
    if (id.startsWith('ns:') && collapsed.has(id.slice(3))) {
      collapsed.delete(id.slice(3));
      redraw();
    }
    showDetails(id);
  });
  cy.on('tap', 'edge', (event) => showDetails(event.target.id()));

  subjectSelect?.addEventListener('change', () => highlight(subjectSelect.value));
  byId('g-expand')?.addEventListener('click', () => {
    const ns = nsExpand?.value ?? '';
    if (ns !== '' && collapsed.delete(ns)) redraw();
    const nodes = cy.nodes(`[parent = "ns:${ns.replace(/["\\]/g, '')}"]`);
    if (nodes.length > 0) cy.fit(nodes, 30);
  });
  byId('g-expand-all')?.addEventListener('click', () => {
    if (collapsed.size === 0) return;
    collapsed.clear();
    redraw();
  });
  byId('g-collapse-all')?.addEventListener('click', () => {
    for (const ns of namespaces) collapsed.add(ns);
    highlighted = undefined;
    if (subjectSelect) subjectSelect.value = '';
    showPath('');
    redraw();
  });
  byId('g-fit')?.addEventListener('click', () => cy.fit(undefined, 24));

  for (const button of all('button.show-in-graph')) {
    button.addEventListener('click', () => {
      const subject = button.dataset['subject'] ?? '';
      highlight(subject);
      byId('graph')?.scrollIntoView({ block: 'start' });
      subjectSelect?.focus();
    });
  }
  describeCollapse();
  const initial = subjectSelect?.value ?? '';
  if (initial !== '') highlight(initial);
}
