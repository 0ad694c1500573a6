// The identity graph of each example bundle: links from the facts, broken links from the results, each broken
// link naming the check that broke it, and every subject's path.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { CheckOptions } from '../../src/checks/define.js';
import { CHECKS } from '../../src/checks/index.js';
import { readBundle } from '../../src/collect/bundle/read.js';
import type { TargetRequest } from '../../src/engine/subjects.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { aroundNode, identityGraph } from '../../src/graph/index.js';
import type { GraphEdge, IdentityGraph } from '../../src/graph/types.js';
import { EXAMPLES_DIR } from '../fixtures/load-example.js';

interface Expected {
  targets: TargetRequest;
  options?: Partial<CheckOptions>;
}

const examples = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(EXAMPLES_DIR, d.name, 'expected.json')))
  .map((d) => d.name);

async function graphOf(name: string): Promise<IdentityGraph> {
  const expected = JSON.parse(readFileSync(join(EXAMPLES_DIR, name, 'expected.json'), 'utf8')) as Expected;
  const { facts } = await readBundle(join(EXAMPLES_DIR, name));
  const options = { ...DEFAULT_OPTIONS, ...expected.options };
  const report = diagnose(facts, CHECKS, { targets: expected.targets, options, source: name, version: 'test' });
  return identityGraph(facts, report, options);
}

const edge = (g: IdentityGraph, kind: string, source: string, target: string): GraphEdge | undefined =>
  g.edges.find((e) => e.kind === kind && e.source === source && e.target === target);
const brokenBy = (e: GraphEdge | undefined): string[] =>
  e?.state === 'broken' ? e.checks.filter((c) => c.status === 'fail').map((c) => c.check) : [];

const CART = 'ksa:shop/cart';
const CART_GSA = 'gsa:cart@acme-shop.iam.gserviceaccount.com';

describe('identity graph of every example', () => {
  it.each(examples)('%s: consistent, and every broken link names the check that broke it', async (name) => {
    const g = await graphOf(name);
    const nodes = new Set(g.nodes.map((n) => n.id));
    const edges = new Set(g.edges.map((e) => e.id));
    expect(nodes.size).toBe(g.nodes.length);
    expect(edges.size).toBe(g.edges.length);
    for (const e of g.edges) {
      expect(nodes.has(e.source), `${e.id} source`).toBe(true);
      expect(nodes.has(e.target), `${e.id} target`).toBe(true);
      if (e.state === 'broken')
        expect(
          e.checks.some((c) => c.status === 'fail'),
          e.id,
        ).toBe(true);
      if (e.state === 'unknown')
        expect(
          e.checks.some((c) => c.status === 'unknown'),
          e.id,
        ).toBe(true);
    }
    for (const n of g.nodes) {
      if (n.status !== 'ok' && n.kind !== 'namespace') expect(n.checks.length, n.id).toBeGreaterThan(0);
      if (n.namespace !== undefined) expect(nodes.has(`ns:${n.namespace}`), n.id).toBe(true);
    }
    for (const s of g.subjects) {
      expect(s.nodes.length, s.subject).toBeGreaterThan(0);
      for (const id of s.nodes) expect(nodes.has(id)).toBe(true);
      for (const id of s.edges) expect(edges.has(id)).toBe(true);
    }
    // Sorted, and the same every time: the JSON diffs cleanly.
    expect(g.nodes.map((n) => n.id)).toEqual([...nodes].sort());
    expect(JSON.stringify(await graphOf(name))).toBe(JSON.stringify(g));
  });

  it('healthy: every link works; direct binding reaches the bucket, impersonation the project', async () => {
    const g = await graphOf('healthy');
    expect(g.edges.filter((e) => e.state !== 'ok')).toEqual([]);
    expect(edge(g, 'runs-as', 'workload:shop/deployment/cart', CART)).toBeDefined();
    expect(edge(g, 'annotated-as', CART, CART_GSA)).toBeDefined();
    const impersonate = edge(g, 'may-impersonate', CART, CART_GSA);
    expect(impersonate?.bindings).toEqual([
      {
        policy: 'projects/-/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com',
        role: 'roles/iam.workloadIdentityUser',
        member: 'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
      },
    ]);
    const bucket = '//storage.googleapis.com/projects/_/buckets/acme-shop-assets';
    const role = `role:${bucket}|roles/storage.objectViewer`;
    expect(edge(g, 'granted', 'ksa:shop/api', role)).toBeDefined();
    expect(edge(g, 'on', role, `resource:${bucket}`)).toBeDefined();
    expect(edge(g, 'granted', CART_GSA, 'role:projects/acme-shop|roles/pubsub.publisher')).toBeDefined();
    const cart = g.subjects.find((s) => s.subject === 'shop/cart');
    expect(cart?.status).toBe('pass');
    expect(cart?.nodes).toEqual(
      expect.arrayContaining([CART, CART_GSA, 'project:acme-shop', 'workload:shop/deployment/cart']),
    );
    expect(cart?.nodes).not.toContain('ksa:shop/api');
  });

  it('multi-team: each team’s break is on its own link', async () => {
    const g = await graphOf('multi-team');
    expect(
      brokenBy(edge(g, 'annotated-as', 'ksa:analytics/reporter', 'gsa:reporter@acme-shop.iam.gserviceaccount.com')),
    ).toEqual(['ksa-annotation']);
    const orders = edge(g, 'may-impersonate', 'ksa:orders/orders', 'gsa:orders@acme-shop.iam.gserviceaccount.com');
    expect(brokenBy(orders)).toEqual(['wi-binding']);
    expect(orders?.bindings).toEqual([]);
    for (const team of ['ledger', 'fraud-scorer']) {
      const fallback = edge(
        g,
        'falls-back-to-node-identity',
        `workload:payments/deployment/${team}`,
        'gsa:gke-nodes@acme-shop.iam.gserviceaccount.com',
      );
      expect(fallback?.checks.map((c) => c.check)).toEqual(['nodepool-gke-metadata']);
      expect(fallback?.notes).toEqual(['node pool batch-pool']);
    }
    const nodeIdentity = g.nodes.find((n) => n.id === 'gsa:gke-nodes@acme-shop.iam.gserviceaccount.com');
    expect(nodeIdentity?.details['node identity of']).toBe('batch-pool');
    expect(g.nodes.find((n) => n.id === 'ns:payments')?.status).toBe('fail');
    expect(g.nodes.find((n) => n.id === 'ns:shop')?.status).toBe('ok');
    const ledger = g.subjects.find((s) => s.subject === 'payments/ledger');
    expect(ledger?.rootCause).toBe('nodepool-gke-metadata');
    expect(ledger?.edges).toContain(
      'falls-back-to-node-identity:workload:payments/deployment/ledger->gsa:gke-nodes@acme-shop.iam.gserviceaccount.com',
    );
  });

  it('draws known-missing accounts as missing, with the broken link', async () => {
    const missing = await graphOf('gsa-missing');
    expect(missing.nodes.find((n) => n.id === CART_GSA)?.missing).toBe(true);
    expect(brokenBy(edge(missing, 'annotated-as', CART, CART_GSA))).toEqual(['gsa-exists']);
    const disabled = await graphOf('gsa-disabled');
    expect(disabled.nodes.find((n) => n.id === CART_GSA)?.details['disabled']).toBe('yes');
    expect(brokenBy(edge(disabled, 'annotated-as', CART, CART_GSA))).toEqual(['gsa-enabled']);
    const ksa = await graphOf('ksa-missing');
    expect(ksa.nodes.find((n) => n.id === CART)?.missing).toBe(true);
    expect(brokenBy(edge(ksa, 'runs-as', 'workload:shop/deployment/cart', CART))).toEqual(['ksa-exists']);
  });

  it('knows a missing KSA from the facts even when ksa-exists did not run', async () => {
    const { facts } = await readBundle(join(EXAMPLES_DIR, 'ksa-missing'));
    const report = diagnose(facts, CHECKS, {
      targets: { workload: ['shop/deployment/cart'] },
      options: DEFAULT_OPTIONS,
      only: ['wi-binding'],
      source: 'ksa-missing',
      version: 'test',
    });
    const g = identityGraph(facts, report);
    expect(g.nodes.find((n) => n.id === CART)?.missing).toBe(true);
    // No result says the link is broken, so it is not drawn broken.
    expect(edge(g, 'runs-as', 'workload:shop/deployment/cart', CART)?.state).toBe('ok');
  });

  it('runs-as to the default KSA is broken by pod-service-account', async () => {
    const g = await graphOf('default-ksa');
    expect(brokenBy(edge(g, 'runs-as', 'workload:shop/deployment/cart', 'ksa:shop/default'))).toEqual([
      'pod-service-account',
    ]);
  });

  it('binding problems break may-impersonate: wrong namespace, actAs only, disabled API', async () => {
    for (const name of ['wrong-namespace', 'service-account-user-not-token-creator', 'gsa-recreated']) {
      expect(brokenBy(edge(await graphOf(name), 'may-impersonate', CART, CART_GSA)), name).toEqual(['wi-binding']);
    }
    // shop/cart is annotated for a GSA in acme-data bound with the wrong pool; its old binding still works.
    const pool = await graphOf('wrong-pool-cross-project');
    expect(brokenBy(edge(pool, 'may-impersonate', CART, 'gsa:shop-cart@acme-data.iam.gserviceaccount.com'))).toEqual([
      'wi-binding',
    ]);
    expect(edge(pool, 'may-impersonate', CART, CART_GSA)?.state).toBe('ok');
    const api = await graphOf('iamcredentials-disabled');
    expect(brokenBy(edge(api, 'may-impersonate', CART, CART_GSA))).toEqual(['iamcredentials-api-enabled']);
    expect(api.nodes.find((n) => n.id === 'project:acme-shop')?.status).toBe('fail');
  });

  it('a conditional binding is a conditional link', async () => {
    const g = await graphOf('conditional-binding');
    const e = edge(g, 'may-impersonate', CART, CART_GSA);
    expect(e?.state).toBe('conditional');
    expect(e?.bindings[0]?.condition).toBeDefined();
  });

  it('falls back to the node identity without a workload pool and under hostNetwork', async () => {
    const pool = await graphOf('no-workload-pool');
    const fallbacks = pool.edges.filter((e) => e.kind === 'falls-back-to-node-identity');
    expect(fallbacks.length).toBeGreaterThan(0);
    // No pool: no node pool can run the GKE metadata server either.
    expect(new Set(fallbacks.flatMap((e) => e.checks.map((c) => c.check)))).toEqual(
      new Set(['cluster-workload-pool', 'nodepool-gke-metadata']),
    );
    const host = await graphOf('host-network');
    const hostFallback = host.edges.filter((e) => e.kind === 'falls-back-to-node-identity');
    expect(hostFallback.map((e) => e.source)).toEqual(['workload:shop/deployment/cart']);
    expect(hostFallback[0]?.checks.map((c) => c.check)).toEqual(['host-network']);
  });

  it('--impersonate and --need point their results at links of their own', async () => {
    const cross = await graphOf('cross-project-impersonation');
    expect(brokenBy(edge(cross, 'may-impersonate', CART_GSA, 'gsa:reader@acme-data.iam.gserviceaccount.com'))).toEqual([
      'cross-project-impersonation',
    ]);
    const need = await graphOf('missing-permission');
    const e = edge(need, 'granted', CART_GSA, 'project:acme-shop');
    expect(brokenBy(e)).toEqual(['gsa-permission']);
    expect(e?.notes).toEqual(['needs pubsub.topics.publish']);
  });

  it('around one account: who can become it and what it may do', async () => {
    const g = await graphOf('multi-team');
    const part = aroundNode(
      g,
      'gsa:gke-nodes@acme-shop.iam.gserviceaccount.com',
      'gke-nodes@acme-shop.iam.gserviceaccount.com',
    );
    const ids = part.nodes.map((n) => n.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'workload:payments/deployment/ledger',
        'workload:payments/deployment/fraud-scorer',
        'ns:payments',
        'role:projects/acme-shop|roles/container.defaultNodeServiceAccount',
        'project:acme-shop',
      ]),
    );
    expect(ids).not.toContain('ksa:shop/cart');
    expect(ids).not.toContain('ksa:payments/ledger'); // the KSA is downstream of the workload, not of the account
    expect(part.subjects[0]?.subject).toBe('gke-nodes@acme-shop.iam.gserviceaccount.com');
    expect(part.subjects.map((s) => s.subject).sort()).toEqual([
      'gke-nodes@acme-shop.iam.gserviceaccount.com',
      'payments/fraud-scorer',
      'payments/ledger',
    ]);
  });
});
