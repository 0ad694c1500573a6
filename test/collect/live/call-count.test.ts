// The live collector makes the fewest calls the checks need (BENCHMARKS.md "Live collection against the
// sandbox", bench/live/minimum.mjs): one page per Kubernetes kind, one read per project fact, one policy per
// distinct GSA, and existence from the GSA project's account list instead of a describe per GSA. Describes
// happen only where the list cannot be read, or would take more pages than there are GSAs to describe.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS, DIAGNOSE_CHECKS } from '../../../src/checks/index.js';
import type { TraceEvent } from '../../../src/collect/live/calls.js';
import { gsasOfKsaList, kindsFor } from '../../../src/collect/live/collect.js';
import { liveFacts, requiredFacts } from '../../../src/collect/live/live.js';
import { diagnose } from '../../../src/engine/diagnose.js';
import type { Facts } from '../../../src/model/facts.js';
import { loadScenarioFile, startSandbox } from '../../../src/sandbox/index.js';
import type { Scenario } from '../../../src/sandbox/index.js';

const SCENARIOS = join(import.meta.dirname, '../../../scenarios');
const CART = 'cart-gsa@acme-shop.iam.gserviceaccount.com';

/** A call's kind, from its method and path. */
function kindOf(e: TraceEvent): string {
  const p = new URL(e.url).pathname;
  if (/^\/apis?\//.test(p)) return `k8s ${p.split('/').at(-1) ?? ''}`;
  if (p.includes('/clusters/')) return 'clusters.get';
  if (/serviceAccounts\/[^/]+:getIamPolicy$/.test(p)) return 'serviceAccounts.getIamPolicy';
  if (/serviceAccounts\/[^/:]+$/.test(p)) return 'serviceAccounts.get';
  if (/serviceAccounts$/.test(p)) return 'serviceAccounts.list';
  if (/projects\/[^/]+:getIamPolicy$/.test(p)) return 'projects.getIamPolicy';
  if (/\/services$/.test(p)) return 'services.list';
  if (/^\/v1\/projects\/[^/]+$/.test(p)) return 'projects.get';
  return `${e.method} ${p}`;
}

function countByKind(trace: readonly TraceEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of trace) out[kindOf(e)] = (out[kindOf(e)] ?? 0) + 1;
  return out;
}

async function collect(
  scenario: Scenario,
  token?: string,
): Promise<{ trace: TraceEvent[]; facts: Facts; calls: number }> {
  const sandbox = await startSandbox({ scenario });
  try {
    const env: NodeJS.ProcessEnv = {
      ...sandbox.env,
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
      ...(token !== undefined ? { CLOUDSDK_AUTH_ACCESS_TOKEN: token } : {}),
    };
    const trace: TraceEvent[] = [];
    const live = await liveFacts({ all: true }, { env, onTrace: (e) => trace.push(e) });
    return { trace, facts: live.facts, calls: live.stats.totalCalls };
  } finally {
    await sandbox.stop();
  }
}

function statusOf(facts: Facts, check: string, subject: string): string | undefined {
  const report = diagnose(facts, CHECKS, {
    targets: { all: true },
    options: { need: [], on: undefined, impersonate: undefined, e2e: false },
    source: 'test',
    version: 'test',
    generatedAt: '2026-01-01T00:00:00Z',
  });
  return report.results.find((r) => r.check === check && r.subject === subject)?.status;
}

describe('live collection makes the minimum calls', () => {
  let healthy: Scenario;
  const kinds = kindsFor({ requires: requiredFacts(DIAGNOSE_CHECKS), targets: { all: true }, options: {} });
  beforeAll(async () => {
    healthy = await loadScenarioFile(join(SCENARIOS, 'healthy.yaml'));
  });
  const acmeShop = (s: Scenario) => {
    const p = s.projects.find((x) => x.id === 'acme-shop');
    if (!p) throw new Error('healthy.yaml has no acme-shop');
    return p;
  };
  const shop = (s: Scenario) => {
    const ns = s.clusters?.[0]?.namespaces?.find((n) => n.name === 'shop');
    if (!ns) throw new Error('healthy.yaml has no namespace shop');
    return ns;
  };

  /** What the healthy world needs (one annotated GSA, small lists: one page each). */
  const minimumHealthy = (): Record<string, number> => ({
    ...Object.fromEntries(kinds.map((k) => [`k8s ${k}`, 1])),
    'clusters.get': 1,
    'projects.get': 1,
    'projects.getIamPolicy': 1,
    'services.list': 1,
    'serviceAccounts.list': 1,
    'serviceAccounts.getIamPolicy': 1,
  });

  it('healthy: one call per fact, no describe', async () => {
    const { trace, calls } = await collect(structuredClone(healthy));
    expect(countByKind(trace)).toEqual(minimumHealthy());
    expect(calls).toBe(Object.values(minimumHealthy()).reduce((a, n) => a + n, 0));
  });

  it('5 KSAs → 1 GSA: one list call, no describe, one policy read', async () => {
    const scenario = structuredClone(healthy);
    const binding = acmeShop(scenario).serviceAccounts?.find((a) => a.name === 'cart-gsa')?.policy?.bindings?.[0];
    if (!binding) throw new Error('healthy.yaml: cart has no binding');
    for (const name of ['cart-a', 'cart-b', 'cart-c', 'cart-d']) {
      shop(scenario).serviceAccounts?.push({ name, annotations: { 'iam.gke.io/gcp-service-account': CART } });
      binding.members = [...(binding.members ?? []), `serviceAccount:acme-shop.svc.id.goog[shop/${name}]`];
    }
    const { trace, facts } = await collect(scenario);
    const counts = countByKind(trace);
    expect(counts['serviceAccounts.list']).toBe(1);
    expect(counts['serviceAccounts.get']).toBeUndefined();
    expect(counts).toEqual(minimumHealthy());
    expect(facts.serviceAccount(CART).status).toBe('present');
    for (const ksa of ['shop/cart', 'shop/cart-a', 'shop/cart-d'])
      expect(statusOf(facts, 'gsa-exists', ksa)).toBe('pass');
  });

  it('a GSA missing from the read list is known absent without a describe', async () => {
    const scenario = structuredClone(healthy);
    shop(scenario).serviceAccounts?.push({
      name: 'ghost',
      annotations: { 'iam.gke.io/gcp-service-account': 'ghost@acme-shop.iam.gserviceaccount.com' },
    });
    const { trace, facts } = await collect(scenario);
    expect(countByKind(trace)['serviceAccounts.get']).toBeUndefined();
    expect(facts.serviceAccount('ghost@acme-shop.iam.gserviceaccount.com').status).toBe('absent');
    expect(statusOf(facts, 'gsa-exists', 'shop/ghost')).toBe('fail');
  });

  it('describes each GSA when its project list is denied (403), and still knows it exists', async () => {
    const scenario = structuredClone(healthy);
    scenario.callers = [{ token: 'auditor-token', identity: 'user:auditor@example.com' }];
    const project = acmeShop(scenario);
    project.customRoles = [
      ...(project.customRoles ?? []),
      { id: 'saGetter', permissions: ['iam.serviceAccounts.get', 'iam.serviceAccounts.getIamPolicy'] },
    ];
    const auditor = ['user:auditor@example.com'];
    project.policy = {
      ...project.policy,
      bindings: [
        ...(project.policy?.bindings ?? []),
        ...['roles/container.viewer', 'roles/browser', 'roles/serviceusage.serviceUsageViewer'].map((role) => ({
          role,
          members: auditor,
        })),
        { role: 'projects/acme-shop/roles/saGetter', members: auditor },
      ],
    };
    const { trace, facts } = await collect(scenario, 'auditor-token');
    const counts = countByKind(trace);
    expect(counts['serviceAccounts.list']).toBe(1);
    expect(counts['serviceAccounts.get']).toBe(1);
    expect(trace.find((e) => kindOf(e) === 'serviceAccounts.list')?.status).toBe(403);
    expect(facts.serviceAccount(CART).status).toBe('present');
    expect(statusOf(facts, 'gsa-exists', 'shop/cart')).toBe('pass');
  });

  it('describes instead of paging a list longer than the GSAs it would prove', async () => {
    const scenario = structuredClone(healthy);
    const project = acmeShop(scenario);
    // 150 accounts: two pages of 100 for one annotated GSA — one describe is cheaper.
    for (let i = 0; i < 150; i++) project.serviceAccounts?.push({ name: `filler-${String(i).padStart(3, '0')}` });
    const { trace, facts } = await collect(scenario);
    const counts = countByKind(trace);
    expect(counts['serviceAccounts.list']).toBe(1);
    expect(counts['serviceAccounts.get']).toBe(1);
    expect(facts.serviceAccount(CART).status).toBe('present');
    // The truncated list is not kept: it would wrongly prove other accounts absent.
    expect(facts.projectServiceAccounts('acme-shop').status).toBe('not-collected');
  });
});

describe('gsasOfKsaList', () => {
  const list = {
    items: [
      { metadata: { namespace: 'shop', name: 'cart', annotations: { 'iam.gke.io/gcp-service-account': CART } } },
      { metadata: { namespace: 'shop', name: 'api' } },
      {
        metadata: {
          namespace: 'shop',
          name: 'pool',
          annotations: { 'iam.gke.io/gcp-service-account': 'x.svc.id.goog' },
        },
      },
    ],
  };
  it('takes the annotated GSAs of --all and of named KSAs', () => {
    expect(gsasOfKsaList(list, { all: true })).toEqual([CART]);
    expect(gsasOfKsaList(list, { ksa: ['shop/api'] })).toEqual([]);
    expect(gsasOfKsaList(list, { ksa: ['shop/cart'] })).toEqual([CART]);
  });
  it('leaves workloads, pods and unknown KSAs to the full resolution', () => {
    expect(gsasOfKsaList(list, { ksa: ['shop/nope'] })).toBeUndefined();
    expect(gsasOfKsaList(list, { workload: ['shop/deployment/cart'] })).toBeUndefined();
    expect(gsasOfKsaList(list, { pod: ['shop/cart-1'] })).toBeUndefined();
  });
});
