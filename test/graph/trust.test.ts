// What the graph shows when the verdict rests on less than a full read: the identity of a direct-binding KSA
// is its own principal; a link the results could not decide is drawn unknown, never as working; a working
// --e2e token chain is drawn through the link it went through; a recorded change is named on the link it broke.

import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { identityGraph } from '../../src/graph/index.js';
import type { GraphEdge, IdentityGraph } from '../../src/graph/types.js';
import { renderGraphJson } from '../../src/report/graph/json.js';
import type { E2eResult, E2eStep } from '../../src/model/facts.js';
import { BundleEditor } from '../helpers/check-table.js';
import { loadExampleFiles } from '../fixtures/load-example.js';

const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const GSA_POLICY = `gcp/service-accounts/${GSA}.iam-policy.json`;
const CART = 'ksa:shop/cart';
const API = 'ksa:shop/api';
const CART_GSA = `gsa:${GSA}`;
const API_PRINCIPAL =
  'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/subject/ns/shop/sa/api';

const ok = (step: E2eStep['step']): E2eStep => ({ step, ok: true, ms: 5 });

function chain(b: BundleEditor, subject: string, steps: E2eStep[], gsa?: string): void {
  const [ns = '', ksa = ''] = subject.split('/');
  const result: E2eResult = { subject, ...(gsa ? { gsa } : {}), steps, at: '2026-11-28T17:00:00Z' };
  b.set(`e2e/${ns}.${ksa}.json`, result);
}
const cartWorks = (b: BundleEditor) =>
  chain(b, 'shop/cart', [ok('token-request'), ok('sts-exchange'), ok('generate-access-token')], GSA);
const apiWorks = (b: BundleEditor) => chain(b, 'shop/api', [ok('token-request'), ok('sts-exchange')]);

function graph(example: string, patch: (b: BundleEditor) => void, e2e = false): IdentityGraph {
  const input = loadExampleFiles(example);
  patch(new BundleEditor(input));
  const facts = factsFromFiles(input);
  const report = diagnose(facts, CHECKS, {
    targets: { all: true },
    options: { ...DEFAULT_OPTIONS, e2e },
    source: 'test',
    version: 'test',
  });
  return identityGraph(facts, report);
}

const edge = (g: IdentityGraph, kind: string, source: string, target: string): GraphEdge | undefined =>
  g.edges.find((e) => e.kind === kind && e.source === source && e.target === target);
const node = (g: IdentityGraph, id: string) => g.nodes.find((n) => n.id === id);
const path = (g: IdentityGraph, subject: string) => g.subjects.find((s) => s.subject === subject);

describe('the Google identity of each subject', () => {
  it("direct binding: the KSA's own principal; impersonation: the annotated GSA", () => {
    const g = graph('healthy', () => undefined);
    expect(path(g, 'shop/api')?.identity).toEqual({ model: 'direct', principal: API_PRINCIPAL });
    expect(path(g, 'shop/cart')?.identity).toEqual({ model: 'impersonation', gsa: GSA });
    expect(node(g, API)?.details['principal']).toBe(API_PRINCIPAL);
    expect(node(g, CART)?.details['principal']).toBeUndefined();
    // The JSON carries it.
    const json = JSON.parse(renderGraphJson(g)) as IdentityGraph;
    expect(json.subjects.find((s) => s.subject === 'shop/api')?.identity?.model).toBe('direct');
  });

  it('no identity when the annotation names no account', () => {
    const g = graph('healthy', (b) =>
      b.k8s('serviceaccounts', 'shop', 'cart', (sa: { metadata: { annotations?: Record<string, string> } }) => {
        sa.metadata.annotations = { 'iam.gke.io/gcp-service-account': 'cart' };
      }),
    );
    expect(path(g, 'shop/cart')?.rootCause).toBe('ksa-annotation');
    expect(path(g, 'shop/cart')?.identity).toBeUndefined();
  });
});

describe('unknown is drawn unknown, never as working', () => {
  it('direct binding with no grant in the policies read: the KSA and its path are unknown', () => {
    const g = graph('healthy', (b) => b.remove('gcp/resources/acme-shop-assets.json'));
    expect(node(g, API)?.status).toBe('unknown');
    expect(node(g, API)?.checks.map((c) => `${c.check} ${c.status}`)).toContain('ksa-annotation unknown');
    expect(path(g, 'shop/api')?.status).toBe('unknown');
    expect(g.edges.filter((e) => e.source === API && e.kind === 'granted')).toEqual([]);
    // Still its own principal: the identity does not depend on whether a grant was seen.
    expect(path(g, 'shop/api')?.identity).toEqual({ model: 'direct', principal: API_PRINCIPAL });
  });

  it('a GSA policy that could not be read: may-impersonate is unknown and names wi-binding', () => {
    const g = graph('healthy', (b) => b.error(GSA_POLICY, '403 PERMISSION_DENIED: iam.serviceAccounts.getIamPolicy'));
    const link = edge(g, 'may-impersonate', CART, CART_GSA);
    expect(link?.state).toBe('unknown');
    expect(link?.checks.map((c) => `${c.check} ${c.status}`)).toContain('wi-binding unknown');
    expect(path(g, 'shop/cart')?.status).toBe('unknown');
  });
});

describe('a working --e2e chain', () => {
  it('settles an unreadable GSA policy: the link it went through is drawn, working, and says why', () => {
    const g = graph(
      'healthy',
      (b) => {
        b.error(GSA_POLICY, '403 PERMISSION_DENIED: iam.serviceAccounts.getIamPolicy');
        cartWorks(b);
      },
      true,
    );
    const link = edge(g, 'may-impersonate', CART, CART_GSA);
    expect(link?.state).toBe('ok');
    expect(link?.bindings).toEqual([]);
    expect(link?.notes.join('\n')).toMatch(/live token chain went through this link \(end-to-end-token\)/);
    expect(node(g, CART)?.details['live token chain']).toBe('works (end-to-end-token)');
  });

  it('static fail, live works: the link is not drawn broken; the disagreement stays on it as a warning', () => {
    const g = graph(
      'healthy',
      (b) => {
        b.edit(GSA_POLICY, (p: { bindings?: unknown[] }) => {
          p.bindings = [];
        });
        cartWorks(b);
      },
      true,
    );
    const link = edge(g, 'may-impersonate', CART, CART_GSA);
    expect(link?.state).toBe('ok');
    expect(link?.checks.map((c) => `${c.check} ${c.status}`)).toContain('wi-binding warn');
    expect(path(g, 'shop/cart')?.status).toBe('warn');
  });

  it('direct binding: the KSA is marked as proven live; there is no GSA link to draw', () => {
    const g = graph(
      'healthy',
      (b) => {
        b.remove('gcp/resources/acme-shop-assets.json');
        apiWorks(b);
      },
      true,
    );
    expect(node(g, API)?.details['live token chain']).toBe('works (end-to-end-token)');
    expect(node(g, API)?.status).toBe('ok');
    expect(g.edges.filter((e) => e.source === API && e.kind === 'may-impersonate')).toEqual([]);
  });

  it('without --e2e nothing claims a live chain', () => {
    const g = graph('healthy', () => undefined);
    expect(g.nodes.filter((n) => n.details['live token chain'] !== undefined)).toEqual([]);
    expect(g.edges.filter((e) => e.notes.some((n) => n.includes('live token chain')))).toEqual([]);
  });
});

describe('who changed it, on the link it broke', () => {
  it('a removed binding: the broken may-impersonate link names who removed it, when and with what', () => {
    const g = graph('missing-binding', () => undefined);
    const link = edge(g, 'may-impersonate', CART, CART_GSA);
    expect(link?.state).toBe('broken');
    const note = link?.notes.find((n) => n.startsWith('changed: '));
    expect(note).toMatch(
      /roles\/iam\.workloadIdentityUser .* was removed .* by alice@acme\.example at 2026-11-27T14:02:11/,
    );
  });

  it('a disabled account: the annotated-as link names the change', () => {
    const g = graph('gsa-disabled', () => undefined);
    const notes = g.edges.filter((e) => e.kind === 'annotated-as').flatMap((e) => e.notes);
    expect(notes.some((n) => /^changed: .* was disabled by /.test(n))).toBe(true);
  });
});
