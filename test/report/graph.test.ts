// The graph renderers: JSON, Mermaid and DOT golden files of example bundles, and hostile values that stay
// inside their quotes.

import { describe, expect, it } from 'vitest';

import { CHECKS } from '../../src/checks/index.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { readBundle } from '../../src/collect/bundle/read.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { identityGraph } from '../../src/graph/index.js';
import type { IdentityGraph } from '../../src/graph/types.js';
import { dotString } from '../../src/report/graph/dot.js';
import { GRAPH_RENDERERS, renderGraphDot, renderGraphJson, renderGraphMermaid } from '../../src/report/graph/index.js';
import { mermaidText } from '../../src/report/graph/mermaid.js';
import { PAYLOADS, hostileInput } from '../fixtures/hostile.js';
import { expectGolden } from './golden.js';

async function exampleGraph(name: string, options = DEFAULT_OPTIONS): Promise<IdentityGraph> {
  const { facts } = await readBundle(`examples/${name}`);
  const report = diagnose(facts, CHECKS, {
    targets: { all: true },
    options,
    source: `examples/${name}`,
    version: 'test',
  });
  return identityGraph(facts, report, options);
}

describe('graph renderers', () => {
  it.each(['multi-team', 'healthy', 'conditional-binding'])('match the golden JSON of %s', async (name) => {
    expectGolden(`graph/${name}.json`, renderGraphJson(await exampleGraph(name)));
  });

  it('match the golden Mermaid and DOT of multi-team, with a highlighted path', async () => {
    const g = await exampleGraph('multi-team');
    expectGolden('graph/multi-team.mmd', renderGraphMermaid(g, { highlight: 'orders/orders' }));
    expectGolden('graph/multi-team.dot', renderGraphDot(g, { highlight: 'orders/orders' }));
  });

  it('JSON reads back as the graph, with a stable key order', async () => {
    const g = await exampleGraph('multi-team');
    const text = renderGraphJson(g);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(g)));
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'format',
      'tool',
      'generatedAt',
      'source',
      'cluster',
      'nodes',
      'edges',
      'subjects',
      'notes',
    ]);
    expect(GRAPH_RENDERERS.json(g, {})).toBe(text);
  });

  it('Mermaid draws broken links dotted and names their checks; the path is highlighted', async () => {
    const g = await exampleGraph('multi-team');
    const text = renderGraphMermaid(g, { highlight: 'orders/orders' });
    const ids = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]));
    const orders = ids.get('ksa:orders/orders');
    const gsa = ids.get('gsa:orders@acme-shop.iam.gserviceaccount.com');
    expect(text).toContain(`${orders ?? '?'} -.->|"✗ may impersonate (wi-binding)"| ${gsa ?? '?'}`);
    expect(text).toMatch(new RegExp(`class [^\\n]*\\b${orders ?? '?'}\\b[^\\n]* path`));
  });
});

describe('graph renderers: hostile values', () => {
  const facts = factsFromFiles(hostileInput());
  const report = diagnose(facts, CHECKS, {
    targets: { all: true },
    options: DEFAULT_OPTIONS,
    source: 'hostile',
    version: 'test',
  });
  const graph = identityGraph(facts, report);

  it('Mermaid: every label stays one quoted string with no markup', () => {
    const text = renderGraphMermaid(graph);
    for (const payload of PAYLOADS) expect(text).not.toContain(payload);
    for (const line of text.split('\n')) {
      // Outside quoted strings a line has only ids, shapes and arrows.
      const outside = line.replace(/"[^"]*"/g, '""').replace(/-\.->|-->|==>/g, '');
      expect(outside, line).not.toMatch(/[<>]|script|onerror/);
    }
    expect(mermaidText('a"b<c>#d`e|f')).toBe('a#34;b#60;c#62;#35;d#96;e#124;f');
  });

  it('DOT: ids and labels are quoted strings; no HTML label, no statement from data', () => {
    const text = renderGraphDot(graph);
    for (const line of text.split('\n')) {
      const outside = line.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/ -> /g, ' ');
      expect(outside, line).not.toMatch(/[<>]|script|onerror|;.*;/);
    }
    expect(dotString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
  });

  it('JSON keeps the values as they are (a consumer escapes for its own output)', () => {
    const parsed = JSON.parse(renderGraphJson(graph)) as IdentityGraph;
    expect(
      parsed.nodes.find((n) => n.id === 'gsa:cart@acme-shop.iam.gserviceaccount.com')?.details['display name'],
    ).toBe(PAYLOADS[0]);
  });
});
