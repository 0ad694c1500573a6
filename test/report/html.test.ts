import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { CHECKS } from '../../src/checks/index.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { readBundle } from '../../src/collect/bundle/read.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { identityGraph } from '../../src/graph/index.js';
import type { IdentityGraph } from '../../src/graph/types.js';
import type { Report } from '../../src/model/results.js';
import { unclaimedResults, verdictStatus } from '../../src/report/common.js';
import { MAX_GRAPH_NODES, MAX_SUBJECTS, renderGraphHtml, renderHtml } from '../../src/report/html/index.js';
import { pageGraph } from '../../src/report/html/graph-data.js';
import { h, jsonForScript, safeLink } from '../../src/report/html/markup.js';
import { RENDERERS } from '../../src/report/index.js';
import { EVIL_ANNOTATION, PAYLOADS, hostileInput } from '../fixtures/hostile.js';
import { FIXTURES, FIXTURE_NAMES, copy } from './fixtures/index.js';
import { expectGolden } from './golden.js';
import type { Element } from './html-outline.js';
import { findAll, outline, parse, textOf } from './html-outline.js';

async function exampleReport(name: string): Promise<{ report: Report; graph: IdentityGraph }> {
  const { facts } = await readBundle(`examples/${name}`);
  const report = diagnose(facts, CHECKS, {
    targets: { all: true },
    options: DEFAULT_OPTIONS,
    source: `examples/${name}`,
    version: 'test',
  });
  return { report, graph: identityGraph(facts, report) };
}

function hostileReport(): { report: Report; graph: IdentityGraph } {
  const facts = factsFromFiles(hostileInput());
  const report = diagnose(facts, CHECKS, {
    targets: { all: true },
    options: DEFAULT_OPTIONS,
    source: 'hostile',
    version: 'test',
  });
  return { report, graph: identityGraph(facts, report) };
}

const scripts = (doc: Element): Element[] => findAll(doc, (e) => e.tag === 'script');
const cspOf = (doc: Element): string =>
  findAll(doc, (e) => e.tag === 'meta' && e.attrs['http-equiv'] === 'Content-Security-Policy')[0]?.attrs['content'] ??
  '';
const sha = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('renderHtml: structure', () => {
  it.each(FIXTURE_NAMES)('matches the golden outline for %s', (name) => {
    expectGolden(`${name}.html.txt`, outline(renderHtml(FIXTURES[name])));
  });

  it('matches the golden outline of an example with its identity graph', async () => {
    const { report, graph } = await exampleReport('multi-team');
    const fixed = { ...report, generatedAt: '2026-11-28T17:00:00.000Z' };
    expectGolden(
      'multi-team.html.txt',
      outline(renderHtml(fixed, { graph: { ...graph, generatedAt: fixed.generatedAt } })),
    );
  });

  it('puts each subject verdict first and failures first, and keeps every subject', () => {
    const report = FIXTURES.shared;
    const doc = parse(renderHtml(report));
    const section = findAll(doc, (e) => e.attrs['id'] === 'subjects')[0] as Element;
    const articles = findAll(section, (e) => e.tag === 'article');
    expect(articles.map((a) => a.attrs['data-subject']).sort()).toEqual(report.verdicts.map((v) => v.subject).sort());
    const rank = { fail: 0, warn: 1, unknown: 2, pass: 3 } as Record<string, number>;
    const ranks = articles.map((a) => rank[a.attrs['data-status'] ?? ''] ?? 9);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    // Inside a card: heading (status and subject), then the headline, before any checklist.
    const first = articles[0];
    if (first === undefined) throw new Error('no article');
    const kids = first.children.filter((c): c is Element => typeof c !== 'string').map((c) => c.tag);
    expect(kids.slice(0, 2)).toEqual(['h3', 'p']);
    expect(kids.indexOf('details')).toBeGreaterThan(1);
  });

  it('shows the evidence, the fix commands with copy buttons, what was not evaluated and the run metadata', () => {
    const report = FIXTURES.failing;
    const html = renderHtml(report);
    const doc = parse(html);
    const text = textOf(doc);
    for (const verdict of report.verdicts) {
      for (const fix of verdict.fix) {
        for (const command of [fix.gcloud, fix.kubectl, fix.terraform]) {
          if (command === null) continue;
          const code = findAll(doc, (e) => e.tag === 'code' && textOf(e) === command)[0];
          expect(code, command).toBeDefined();
          const button = findAll(doc, (e) => e.tag === 'button' && e.attrs['data-copy'] === code?.attrs['id']);
          expect(button).toHaveLength(1);
        }
      }
      for (const line of verdict.notEvaluated) expect(text).toContain(line.replace(/`/g, ''));
    }
    expect(text).toContain('What was not evaluated');
    for (const value of [report.cluster, report.source, report.generatedAt, `wi-doctor ${report.tool.version}`]) {
      expect(text).toContain(value);
    }
    const wi = report.results.find((r) => r.check === 'wi-binding');
    expect(text).toContain(JSON.stringify(wi?.evidence?.expected, null, 2).split('\n')[1]?.trim());
  });

  it('is self-contained: nothing to load, a strict CSP whose hashes match the inline scripts and style', async () => {
    const { report, graph } = await exampleReport('multi-team');
    const html = renderHtml(report, { graph });
    const doc = parse(html);
    const markup = html.replace(/(<script[^>]*>)[\s\S]*?<\/script>/g, '$1</script>');
    expect(markup).not.toMatch(
      /<link\b|<script[^>]+\bsrc=|<img\b|<iframe\b|<object\b|<embed\b|@import|url\(|@font-face/i,
    );
    const csp = cspOf(doc);
    expect(csp).toMatch(/^default-src 'none'; /);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    const executable = scripts(doc).filter((s) => s.attrs['type'] === undefined);
    expect(executable).toHaveLength(3); // cytoscape, cytoscape-dagre, the page's script
    const scriptSrc = /script-src ([^;]+)/.exec(csp)?.[1]?.split(' ') ?? [];
    expect(scriptSrc.sort()).toEqual(executable.map((s) => sha(textOf(s))).sort());
    const styles = findAll(doc, (e) => e.tag === 'style');
    expect(styles).toHaveLength(1);
    expect(/style-src ([^;]+)/.exec(csp)?.[1]).toBe(sha(textOf(styles[0] as Element)));
    // The CSP comes before anything it governs.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<style'));
    // The graph data is inline JSON, read back unchanged.
    const data = scripts(doc).find((s) => s.attrs['id'] === 'graph-data');
    expect(JSON.parse(textOf(data as Element))).toEqual(JSON.parse(JSON.stringify(pageGraph(graph))));
  });

  it('leaves the graph library out when there is no graph', () => {
    const doc = parse(renderHtml(FIXTURES.healthy));
    expect(scripts(doc)).toHaveLength(1);
    expect(findAll(doc, (e) => e.attrs['id'] === 'graph')).toHaveLength(0);
  });

  it('works on any report shape: results without verdicts (audit) become cards of their own', () => {
    const report = copy(FIXTURES.failing);
    report.verdicts = [];
    report.groups = [];
    const doc = parse(renderHtml(report));
    const articles = findAll(doc, (e) => e.tag === 'article');
    expect(new Set(articles.map((a) => a.attrs['data-subject']))).toEqual(
      new Set(report.results.map((r) => r.subject)),
    );
    expect(findAll(doc, (e) => e.tag === 'h2').map(textOf)).toContain('Results');
    expect(RENDERERS.html(report, { color: false, hidePass: false, checks: [] })).toBe(renderHtml(report));
  });
});

describe('renderHtml: identity and who changed it', () => {
  const card = (doc: Element, subject: string): Element => {
    const found = findAll(doc, (e) => e.tag === 'article' && e.attrs['data-subject'] === subject)[0];
    if (found === undefined) throw new Error(`no card for ${subject}`);
    return found;
  };
  const identityText = (el: Element): string =>
    findAll(el, (e) => e.attrs['class'] === 'identity')
      .map(textOf)
      .join('\n');

  it("names each subject's Google identity: the GSA, or under direct binding the KSA's own principal", async () => {
    const { report, graph } = await exampleReport('healthy');
    const doc = parse(renderHtml(report, { graph }));
    expect(identityText(card(doc, 'shop/cart'))).toMatch(
      /^Google identity: GSA cart@acme-shop\.iam\.gserviceaccount\.com/,
    );
    expect(identityText(card(doc, 'shop/api'))).toMatch(
      /^Google identity: the KSA’s own principal principal:\/\/iam\.googleapis\.com\/projects\/123456789012\/locations\/global\/workloadIdentityPools\/acme-shop\.svc\.id\.goog\/subject\/ns\/shop\/sa\/api \(direct binding/,
    );
    // Without the graph the page does not guess it.
    expect(identityText(parse(renderHtml(report)))).toBe('');
  });

  it('shows the recorded change behind the root cause field by field, and once', async () => {
    const { report, graph } = await exampleReport('missing-binding');
    const doc = parse(renderHtml(report, { graph }));
    const cart = card(doc, 'shop/cart');
    const change = findAll(cart, (e) => e.tag === 'details' && e.attrs['class'] === 'change')[0];
    if (change === undefined) throw new Error('no change block');
    const text = textOf(change);
    expect(text).toMatch(/^Who changed it: alice@acme\.example, 2026-11-27T14:02:11/);
    for (const field of [
      'binding-removed',
      'roles/iam.workloadIdentityUser',
      '203.0.113.24',
      'gcloud',
      'Admin Activity audit log',
    ]) {
      expect(text).toContain(field);
    }
    // The root cause's evidence (shown in the card itself) does not repeat it as a note; the headline says
    // it once in a sentence, and the Checks table keeps the result's own notes.
    const rootEvidence = cart.children.filter(
      (c): c is Element => typeof c !== 'string' && c.tag === 'dl' && c.attrs['class'] === 'evidence',
    );
    expect(rootEvidence.length).toBe(1);
    const evidenceText = rootEvidence.map(textOf).join('\n');
    expect(evidenceText).toMatch(/actual/);
    expect(evidenceText).not.toMatch(/changed: /);
    // A verdict without a recorded change has no block.
    const { report: healthy } = await exampleReport('healthy');
    expect(findAll(parse(renderHtml(healthy)), (e) => e.attrs['class'] === 'change')).toEqual([]);
  });
});

describe('renderHtml: limits', () => {
  it(`shows at most ${MAX_SUBJECTS} subjects, the most severe, says so and names the JSON`, () => {
    const base = FIXTURES.shared;
    const report = copy(base);
    const template = base.verdicts;
    report.verdicts = Array.from({ length: MAX_SUBJECTS + 7 }, (_, i) => {
      const v = template[i % template.length];
      if (v === undefined) throw new Error('fixture changed');
      return { ...v, subject: i === MAX_SUBJECTS + 6 ? v.subject : `${v.subject}-${i}` };
    });
    const others = new Set(unclaimedResults(report).map((r) => r.subject)).size;
    const html = renderHtml(report, { jsonCommand: 'wi-doctor check --all --format json' });
    expect(html.match(/<article /g)).toHaveLength(MAX_SUBJECTS);
    // The most severe are kept, in order: fail, warn, unknown, pass.
    const verdictSection = html.slice(html.indexOf('id="subjects"'), html.indexOf('id="other-results"'));
    const statuses = [...verdictSection.matchAll(/<article [^>]*data-status="([a-z]+)"/g)].map((m) => m[1] ?? '');
    const rank = ['fail', 'warn', 'unknown', 'pass'];
    expect(statuses.map((s) => rank.indexOf(s))).toEqual(
      [...statuses.map((s) => rank.indexOf(s))].sort((a, b) => a - b),
    );
    const failing = report.verdicts.filter((v) => verdictStatus(report, v) === 'fail').length;
    expect(statuses.filter((s) => s === 'fail')).toHaveLength(Math.min(failing, MAX_SUBJECTS));
    const total = MAX_SUBJECTS + 7 + others;
    const banner = /<p class="banner"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
    expect(banner.replace(/<[^>]+>/g, '')).toMatch(
      new RegExp(
        `larger than one page holds.*${total.toLocaleString('en-US')} subjects.*${MAX_SUBJECTS.toLocaleString('en-US')} most severe.*leaves out ${total - MAX_SUBJECTS} subjects.*wi-doctor check --all --format json`,
        's',
      ),
    );
  });

  it(`draws no graph past ${MAX_GRAPH_NODES} nodes and says what to use instead`, () => {
    const graph: IdentityGraph = {
      format: 'wi-doctor-graph/1',
      cluster: 'c',
      source: 's',
      generatedAt: 't',
      tool: { name: 'wi-doctor', version: 'test' },
      nodes: Array.from({ length: MAX_GRAPH_NODES + 1 }, (_, i) => ({
        id: `ksa:ns/k${i}`,
        kind: 'ksa' as const,
        label: `ns/k${i}`,
        namespace: 'ns',
        status: 'ok' as const,
        checks: [],
        details: {},
      })),
      edges: [],
      subjects: [],
      notes: [],
    };
    const doc = parse(renderGraphHtml(graph));
    expect(scripts(doc)).toHaveLength(1);
    expect(textOf(doc)).toContain('wi-doctor graph --format json');
  });
});

describe('renderHtml: hostile values are text', () => {
  const { report, graph } = hostileReport();
  const html = renderHtml(report, { graph });
  const doc = parse(html);

  it('writes no payload as markup', () => {
    for (const payload of PAYLOADS) expect(html).not.toContain(payload);
    expect(html).not.toMatch(/<img|<svg|\u202e/i);
    // Only the page's own script elements exist, and none is closed early.
    expect(html.match(/<script/g)).toHaveLength(scripts(doc).length);
    expect(html.match(/<\/script>/g)).toHaveLength(scripts(doc).length);
    expect(scripts(doc)).toHaveLength(4);
    const handlers = findAll(doc, (e) => Object.keys(e.attrs).some((a) => a.startsWith('on')));
    expect(handlers).toEqual([]);
  });

  it('shows every payload as the characters it is', () => {
    const body = findAll(doc, (e) => e.tag === 'body')[0] as Element;
    const shown = textOf({
      ...body,
      children: body.children.filter((c) => typeof c === 'string' || c.tag !== 'script'),
    });
    expect(shown).toContain(EVIL_ANNOTATION);
    expect(shown).toContain(PAYLOADS[3]);
    expect(shown).toContain(`ignored unknown file k8s/${PAYLOADS[0]}.json`);
    // The bidirectional override is shown as an escape, not applied.
    expect(shown).toContain('\\u202eevil\\u202c');
  });

  it('keeps hostile values in the graph data as data', () => {
    const data = scripts(doc).find((s) => s.attrs['id'] === 'graph-data') as Element;
    const raw = textOf(data);
    expect(raw).not.toMatch(/[<>]/);
    const parsed = JSON.parse(raw) as ReturnType<typeof pageGraph>;
    const cart = parsed.nodes.find((n) => n.id === 'gsa:cart@acme-shop.iam.gserviceaccount.com');
    expect(cart?.details['display name']).toBe(PAYLOADS[0]);
  });
});

describe('markup', () => {
  it('refuses event handlers, inline styles and odd names', () => {
    expect(() => h('a', { onclick: 'x' })).toThrow();
    expect(() => h('a', { style: 'x' })).toThrow();
    expect(() => h('img src=x', null)).toThrow();
  });

  it('links only http(s) URLs', () => {
    expect(safeLink('javascript:alert(1)', 'x').html).toBe('<span>x</span>');
    expect(safeLink('https://example.com/a"b', 'x').html).toBe('<span>x</span>');
    expect(safeLink('https://example.com/docs', 'x').html).toContain('href="https://example.com/docs"');
  });

  it('inlines JSON that cannot end its element, and reads back the same', () => {
    const value = { a: '</script><!-- \u2028 & <b>', b: [1, '>'] };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('never writes a token into the page', () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.${'s'.repeat(40)}`;
    const report = copy(FIXTURES.failing);
    report.notes = [`token ${token}`];
    expect(renderHtml(report)).not.toContain(token);
  });
});
