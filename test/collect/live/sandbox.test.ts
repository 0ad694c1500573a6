// Live collection against the sandbox: the live diagnosis equals the diagnosis of the bundle `collect`
// writes from the same world; calls are deduplicated per GSA (existence from the project's list); a 403 on one policy is unknown for what it
// touched only; a 429 storm is retried.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../../src/checks/index.js';
import { changeEvidenceFor } from '../../../src/cli/actions/check.js';
import { runCollectCommand } from '../../../src/cli/actions/collect.js';
import { readBundle } from '../../../src/collect/bundle/read.js';
import type { TraceEvent } from '../../../src/collect/live/calls.js';
import { liveFacts } from '../../../src/collect/live/live.js';
import type { LiveRequestOptions } from '../../../src/collect/live/live.js';
import { diagnose } from '../../../src/engine/diagnose.js';
import type { Facts } from '../../../src/model/facts.js';
import type { Report } from '../../../src/model/results.js';
import { loadScenarioFile, startSandbox } from '../../../src/sandbox/index.js';
import type { RunningSandbox, Scenario } from '../../../src/sandbox/index.js';
import { memoryIo } from '../../helpers/memory-io.js';

const SCENARIOS = join(import.meta.dirname, '../../../scenarios');

function sandboxEnv(sandbox: RunningSandbox): NodeJS.ProcessEnv {
  // Never let google-auth-library probe a real metadata server.
  return {
    ...sandbox.env,
    METADATA_SERVER_DETECTION: 'none',
    GCE_METADATA_HOST: '127.0.0.1:9',
    GCE_METADATA_IP: '127.0.0.1:9',
  };
}

function report(facts: Facts, all = true, extra: Partial<LiveRequestOptions> = {}): Report {
  return diagnose(facts, CHECKS, {
    targets: { all, ksa: extra.ksa },
    options: { need: extra.need ?? [], on: extra.on, impersonate: extra.impersonate, e2e: false },
    source: 'test',
    version: 'test',
    generatedAt: '2026-01-01T00:00:00Z',
  });
}

/** What must agree: every result and verdict (the time of collection differs between two runs). */
const comparable = (r: Report) => ({ results: r.results, verdicts: r.verdicts, summary: r.summary });

describe('live collection against the sandbox (healthy)', () => {
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  const dirs: string[] = [];
  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: join(SCENARIOS, 'healthy.yaml') });
    env = sandboxEnv(sandbox);
  });
  afterAll(async () => {
    await sandbox.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('diagnoses live exactly as from the bundle that collect writes', async () => {
    const live = await liveFacts({ all: true }, { env });
    expect(live.stats.failures).toBe(0);
    const liveReport = report(live.facts);
    // The healthy world really was read: the chain passes for the annotated KSA.
    const cart = liveReport.results.find((r) => r.check === 'wi-binding' && r.subject === 'shop/cart');
    expect(cart?.status).toBe('pass');
    // Nothing is unknown: the sandbox serves everything the checks read, managedFields included. The one
    // exception is by design: shop/api (direct binding) holds its grant on a bucket that --all does not read,
    // so whether its principal is granted anything is unknown (never "no Google identity").
    const unknown = liveReport.results.filter((r) => r.status === 'unknown');
    expect(unknown.map((r) => [r.check, r.subject])).toEqual([['ksa-annotation', 'shop/api']]);
    expect(unknown[0]?.cause).toMatch(/direct binding .*no grant to that principal is in the 2 policies read/);

    const out = mkdtempSync(join(tmpdir(), 'wi-doctor-collect-'));
    dirs.push(out);
    const io = memoryIo(env);
    expect(await runCollectCommand({ all: true, out, force: true }, io)).toBe(0);
    expect(io.err()).toMatch(/wrote .*: \d+ files/);
    const fromBundle = await readBundle(out);
    expect(comparable(report(fromBundle.facts))).toEqual(comparable(liveReport));
  });
});

async function withSandbox<T>(
  scenario: Scenario,
  run: (sandbox: RunningSandbox, env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const sandbox = await startSandbox({ scenario });
  try {
    return await run(sandbox, sandboxEnv(sandbox));
  } finally {
    await sandbox.stop();
  }
}

const CART = 'cart-gsa@acme-shop.iam.gserviceaccount.com';

describe('live collection: calls, failures and retries', () => {
  let healthy: Scenario;
  beforeAll(async () => {
    healthy = await loadScenarioFile(join(SCENARIOS, 'healthy.yaml'));
  });
  const clone = (): Scenario => structuredClone(healthy);
  const shop = (s: Scenario) => {
    const ns = s.clusters?.[0]?.namespaces?.find((n) => n.name === 'shop');
    if (!ns) throw new Error('healthy.yaml has no namespace shop');
    return ns;
  };

  it('reads each GSA once however many KSAs name it', async () => {
    const scenario = clone();
    const ns = shop(scenario);
    const gsa = scenario.projects
      .find((p) => p.id === 'acme-shop')
      ?.serviceAccounts?.find((a) => a.name === 'cart-gsa');
    const binding = gsa?.policy?.bindings?.[0];
    if (!binding) throw new Error('healthy.yaml: cart has no binding');
    for (const name of ['cart-a', 'cart-b', 'cart-c', 'cart-d']) {
      ns.serviceAccounts?.push({ name, annotations: { 'iam.gke.io/gcp-service-account': CART } });
      binding.members = [...(binding.members ?? []), `serviceAccount:acme-shop.svc.id.goog[shop/${name}]`];
    }
    const trace: TraceEvent[] = [];
    const live = await withSandbox(scenario, (_s, env) =>
      liveFacts({ all: true }, { env, onTrace: (e) => trace.push(e) }),
    );
    // Its policy once; its existence from the project's account list (one call), no describe.
    const aboutCart = trace.filter((e) => e.url.includes(`serviceAccounts/${CART}`));
    expect(aboutCart.map((e) => `${e.method} ${new URL(e.url).pathname}`).sort()).toEqual([
      `POST /v1/projects/acme-shop/serviceAccounts/${CART}:getIamPolicy`,
    ]);
    const lists = trace.filter((e) => new URL(e.url).pathname === '/v1/projects/acme-shop/serviceAccounts');
    expect(lists).toHaveLength(1);
    expect(live.facts.serviceAccount(CART).status).toBe('present');
    // One read of the cluster's project, however many GSAs and checks need it.
    expect(trace.filter((e) => new URL(e.url).pathname === '/v1/projects/acme-shop:getIamPolicy')).toHaveLength(1);
    expect(live.stats.totalCalls).toBe(trace.length);
    // …and all five KSAs were diagnosed from that one read.
    const passes = report(live.facts).results.filter((r) => r.check === 'wi-binding' && r.status === 'pass');
    expect(passes.map((r) => r.subject).sort()).toEqual([
      'shop/cart',
      'shop/cart-a',
      'shop/cart-b',
      'shop/cart-c',
      'shop/cart-d',
    ]);
  });

  it('turns a 403 on one policy into unknown for what it touched, naming the permission, and goes on', async () => {
    const scenario = clone();
    // A caller who may read everything but the GSA's IAM policy.
    scenario.callers = [{ token: 'auditor-token', identity: 'user:auditor@example.com' }];
    const project = scenario.projects.find((p) => p.id === 'acme-shop');
    if (!project) throw new Error('healthy.yaml has no acme-shop');
    project.customRoles = [
      ...(project.customRoles ?? []),
      { id: 'saReader', permissions: ['iam.serviceAccounts.get', 'iam.serviceAccounts.list'] },
    ];
    const auditor = ['user:auditor@example.com'];
    project.policy = {
      ...project.policy,
      bindings: [
        ...(project.policy?.bindings ?? []),
        ...[
          'roles/container.viewer',
          'roles/browser',
          'roles/serviceusage.serviceUsageViewer',
          'roles/iam.roleViewer',
        ].map((role) => ({ role, members: auditor })),
        { role: 'projects/acme-shop/roles/saReader', members: auditor },
      ],
    };
    const { live, policyPath } = await withSandbox(scenario, async (_s, env) => {
      const out = await liveFacts({ all: true }, { env: { ...env, CLOUDSDK_AUTH_ACCESS_TOKEN: 'auditor-token' } });
      return { live: out, policyPath: `gcp/service-accounts/${CART}.iam-policy.json` };
    });
    const policy = live.facts.serviceAccountPolicy(CART);
    expect(policy.status).toBe('error');
    if (policy.status !== 'error') return;
    expect(policy.source).toBe(policyPath);
    expect(policy.message).toMatch(/^403 PERMISSION_DENIED: .+ \(needs iam\.serviceAccounts\.getIamPolicy\)$/);

    const r = report(live.facts);
    const binding = r.results.find((x) => x.check === 'wi-binding' && x.subject === 'shop/cart');
    expect(binding?.status).toBe('unknown');
    expect(JSON.stringify(binding)).toContain('iam.serviceAccounts.getIamPolicy');
    // The rest was read: the account exists, the cluster and node pools were judged.
    expect(live.facts.serviceAccount(CART).status).toBe('present');
    expect(r.results.find((x) => x.check === 'gsa-exists' && x.subject === 'shop/cart')?.status).toBe('pass');
    expect(r.results.find((x) => x.check === 'cluster-workload-pool')?.status).toBe('pass');
    expect(live.stats.failures).toBe(1);
  });

  it('retries a 429 storm to the same diagnosis', async () => {
    const calm = await withSandbox(clone(), (_s, env) => liveFacts({ all: true }, { env }));
    const stormy = clone();
    stormy.faults = { seed: 11, rules: [{ api: '*', errorRate: 0.3, status: 429, retryAfterSeconds: 0 }] };
    const storm = await withSandbox(stormy, (_s, env) =>
      liveFacts({ all: true }, { env, retryBaseDelayMs: 5, maxAttempts: 8 }),
    );
    expect(storm.stats.retries).toBeGreaterThan(0);
    expect(storm.stats.failures).toBe(0);
    expect(comparable(report(storm.facts))).toEqual(comparable(report(calm.facts)));
  });
});

describe('every scenario: live equals the bundle collect writes', () => {
  const files = readdirSync(SCENARIOS)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  it.each(files)('%s', async (file) => {
    const scenario = await loadScenarioFile(join(SCENARIOS, file));
    await withSandbox(scenario, async (_s, env) => {
      // As `check --all` reads live: with the Admin Activity evidence of what failed (who changed it).
      const live = await liveFacts(
        { all: true },
        { env, retryBaseDelayMs: 5 },
        { changeEvidence: changeEvidenceFor({ all: true }) },
      );
      const out = mkdtempSync(join(tmpdir(), 'wi-doctor-collect-'));
      try {
        expect(await runCollectCommand({ all: true, out }, memoryIo(env))).toBe(0);
        const bundle = await readBundle(out);
        expect(comparable(report(bundle.facts))).toEqual(comparable(report(live.facts)));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
});
