// `wi-doctor graph` and `check --format html` as users meet them: formats, files, one-line errors, and the
// live path (the same collection as `check`) against the sandbox.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IdentityGraph } from '../../src/graph/types.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { runCli } from '../helpers/memory-io.js';

const repo = join(import.meta.dirname, '..', '..');
const multiTeam = join(repo, 'examples', 'multi-team');

const run = runCli;

const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-graph-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('wi-doctor graph', () => {
  it('prints Mermaid by default, and JSON, DOT and HTML when asked', async () => {
    const mermaid = await run(['graph', '--from', multiTeam]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stderr).toBe('');
    expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
    const json = await run(['graph', '--from', multiTeam, '--format', 'json']);
    const graph = JSON.parse(json.stdout) as IdentityGraph;
    expect(graph.format).toBe('wi-doctor-graph/1');
    expect(graph.subjects.map((s) => s.subject)).toContain('orders/orders');
    expect((await run(['graph', '--from', multiTeam, '--format', 'dot'])).stdout).toMatch(/^digraph "identity" \{/);
    const file = join(temp, 'graph.html');
    const html = await run(['graph', '--from', multiTeam, '--format', 'html', '--output', file]);
    expect(html.code).toBe(0);
    expect(html.stderr).toBe(`wi-doctor: report written to ${file}\n`);
    expect(readFileSync(file, 'utf8')).toMatch(/^<!DOCTYPE html>\n[\s\S]*id="graph-data"/);
  });

  it('--ksa draws that KSA and highlights its path', async () => {
    const { code, stdout } = await run(['graph', '--from', multiTeam, '--ksa', 'orders/orders', '--format', 'json']);
    expect(code).toBe(0);
    const graph = JSON.parse(stdout) as IdentityGraph;
    expect(graph.subjects.map((s) => s.subject)).toEqual(['orders/orders']);
    expect(graph.nodes.some((n) => n.id === 'ksa:shop/cart')).toBe(false);
    const dot = await run(['graph', '--from', multiTeam, '--ksa', 'orders/orders', '--format', 'dot']);
    expect(dot.stdout).toMatch(/"ksa:orders\/orders" \[[^\]]*penwidth=3/);
  });

  it('--gsa draws who can become the account and what it may do', async () => {
    const { code, stdout } = await run([
      'graph',
      '--from',
      multiTeam,
      '--gsa',
      'gke-nodes@acme-shop.iam.gserviceaccount.com',
      '--format',
      'json',
    ]);
    expect(code).toBe(0);
    const graph = JSON.parse(stdout) as IdentityGraph;
    expect(graph.subjects[0]?.subject).toBe('gke-nodes@acme-shop.iam.gserviceaccount.com');
    expect(graph.nodes.map((n) => n.id)).toEqual(
      expect.arrayContaining([
        'workload:payments/deployment/ledger',
        'gsa:gke-nodes@acme-shop.iam.gserviceaccount.com',
      ]),
    );
    expect(graph.nodes.some((n) => n.id === 'ksa:orders/orders')).toBe(false);
  });

  it.each([
    [
      ['--ksa', 'orders/order'],
      /^wi-doctor: --ksa: no ServiceAccount orders\/order in the collected facts .*did you mean `orders\/orders`/,
    ],
    [
      ['--gsa', 'gke-node@acme-shop.iam.gserviceaccount.com'],
      /^wi-doctor: --gsa gke-node@acme-shop\.iam\.gserviceaccount\.com: no KSA in .* is annotated with, bound to or falls back to this account; did you mean `gke-nodes@acme-shop\.iam\.gserviceaccount\.com`/,
    ],
    [['--gsa', 'not an email'], /^wi-doctor: --gsa "not an email": not a service-account email/],
    [['--ksa', 'a/b', '--gsa', 'x@p.iam.gserviceaccount.com'], /^wi-doctor: --ksa and --gsa: give one of them/],
    [['--format', 'svg'], /^wi-doctor: option '--format <format>' argument 'svg' is invalid/],
  ])('an unknown subject or bad flag %j is exit 2 with one line', async (flags, message) => {
    const { code, stdout, stderr } = await run(['graph', '--from', multiTeam, ...flags]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('wi-doctor check --format html', () => {
  it('writes one page with the verdicts and the graph of the run; the exit code still follows --fail-on', async () => {
    const file = join(temp, 'wi.html');
    const { code, stderr } = await run(['check', '--from', multiTeam, '--all', '--format', 'html', '--output', file]);
    expect(code).toBe(1);
    expect(stderr).toBe(`wi-doctor: report written to ${file}\n`);
    const html = readFileSync(file, 'utf8');
    expect(html.match(/<article /g)).toHaveLength(6);
    expect(html).toContain('id="graph-data"');
  });

  it('names the one `wi-doctor fix` command that plans every fix on the page, and that command runs', async () => {
    const file = join(temp, 'wi-fix.html');
    await run(['check', '--from', multiTeam, '--ksa', 'orders/orders', '--format', 'html', '--output', file]);
    const shown = /<code id="[^"]+">(wi-doctor fix [^<]*)<\/code>/.exec(readFileSync(file, 'utf8'))?.[1];
    expect(shown).toBe(`wi-doctor fix --from ${multiTeam} --ksa orders/orders`);
    const plan = await run((shown ?? '').split(' ').slice(1));
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/^Fix plan for orders\/orders /);
    // A healthy page has nothing to plan.
    const healthy = join(temp, 'healthy.html');
    await run(['check', '--from', join(repo, 'examples', 'healthy'), '--all', '--format', 'html', '--output', healthy]);
    expect(readFileSync(healthy, 'utf8')).not.toContain('wi-doctor fix');
  });
});

describe('wi-doctor audit --format html', () => {
  it('writes the audit as one page, titled as an audit, with the identity graph and its findings on the accounts', async () => {
    const file = join(temp, 'audit.html');
    const from = join(repo, 'examples', 'audit-findings');
    const { code, stderr } = await run(['audit', '--from', from, '--format', 'html', '--output', file]);
    expect(code).toBe(1);
    expect(stderr).toBe(`wi-doctor: report written to ${file}\n`);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<h1>Workload Identity audit</h1>');
    // One card per subject of a finding: the GSA, the project, the cluster, each node pool.
    const json = JSON.parse((await run(['audit', '--from', from, '--format', 'json'])).stdout) as {
      results: { subject: string }[];
    };
    expect(html.match(/<article /g)).toHaveLength(new Set(json.results.map((r) => r.subject)).size);
    const data = /<script type="application\/json" id="graph-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    if (data === undefined) throw new Error('no graph in the audit page');
    const graph = JSON.parse(data) as { nodes: { id: string; status: string }[]; checks: { check: string }[] };
    const gsa = graph.nodes.find((n) => n.id === 'gsa:cart@acme-shop.iam.gserviceaccount.com');
    expect(gsa?.status).toBe('fail');
    expect(graph.nodes.find((n) => n.id === 'project:acme-shop')?.status).toBe('fail');
    expect(graph.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(['primitive-roles', 'project-level-impersonation']),
    );
    // A finding about the project is not every KSA's.
    expect(graph.nodes.filter((n) => n.id.startsWith('ksa:')).map((n) => n.status)).toEqual(['ok', 'ok', 'ok']);
  });
});

describe('wi-doctor graph, live', () => {
  it('reads the live APIs through the same collection as check, and draws what the bundle draws', async () => {
    const sandbox = await startSandbox({ scenario: join(repo, 'scenarios', 'gce-metadata-pool.yaml') });
    try {
      const env = {
        ...sandbox.env,
        NO_COLOR: '1',
        METADATA_SERVER_DETECTION: 'none',
        GCE_METADATA_HOST: '127.0.0.1:9',
        GCE_METADATA_IP: '127.0.0.1:9',
      };
      const live = await run(['graph', '--format', 'json', '--quiet'], env);
      expect(live.stderr).toBe('');
      expect(live.code).toBe(0);
      const bundle = join(temp, 'bundle');
      expect((await run(['collect', '--all', '--out', bundle, '--quiet'], env)).code).toBe(0);
      const fromBundle = await run(['graph', '--from', bundle, '--format', 'json']);
      const liveGraph = JSON.parse(live.stdout) as IdentityGraph;
      const bundleGraph = JSON.parse(fromBundle.stdout) as IdentityGraph;
      expect(liveGraph.source).toBe('live');
      expect(liveGraph.nodes).toEqual(bundleGraph.nodes);
      expect(liveGraph.edges).toEqual(bundleGraph.edges);
      expect(liveGraph.edges.some((e) => e.kind === 'falls-back-to-node-identity')).toBe(true);
    } finally {
      await sandbox.stop();
    }
  }, 120_000);
});
