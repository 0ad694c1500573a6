// What `fix --apply` must never do, against the sandbox: change node pools or remove members without
// --allow-disruptive, retry a refused write, lose a concurrent writer's change, change anything without
// consent, or touch other teams' objects. And what it must do: wait out IAM propagation within its bound,
// log every change as JSON lines with etags.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/fix/apply/apply.js';
import { writeContext } from '../../src/fix/apply/context.js';
import { GoogleWriter } from '../../src/fix/apply/google.js';
import { KubeWriter } from '../../src/fix/apply/kube.js';
import { readModifyWrite } from '../../src/fix/apply/rmw.js';
import type { FixPlanDocument } from '../../src/fix/plan.js';
import { addMember } from '../../src/fix/policy.js';
import type { Workload } from '../../src/model/k8s/types.js';
import type { Scenario } from '../../src/sandbox/index.js';
import { allPolicies, CART, cli, scenario, withWorld } from './helpers.js';

const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-apply-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('consent', () => {
  it('changes nothing without --yes when there is no terminal to ask on (exit 2, one line)', async () => {
    await withWorld(await scenario('missing-binding'), async (sb, env) => {
      const before = allPolicies(sb);
      const r = await cli(['fix', '--ksa', 'shop/cart', '--apply'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no terminal to ask on: add --yes/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(allPolicies(sb)).toEqual(before);
    });
  });

  it('asks once on a terminal: "n" changes nothing (exit 1), "y" applies (exit 0)', async () => {
    await withWorld(await scenario('missing-binding'), async (sb, env) => {
      const before = allPolicies(sb);
      const no = await cli(['fix', '--ksa', 'shop/cart', '--apply', '--verify-timeout', '5'], env, { input: 'n\n' });
      expect(no.stderr).toMatch(
        /Apply 1 change to cluster projects\/acme-shop\/locations\/europe-west1\/clusters\/prod\? \[y\/N\]/,
      );
      expect([no.code, no.stdout.includes('Nothing changed.')]).toEqual([1, true]);
      expect(allPolicies(sb)).toEqual(before);
      const yes = await cli(['fix', '--ksa', 'shop/cart', '--apply', '--verify-timeout', '5'], env, { input: 'y\n' });
      expect(yes.code).toBe(0);
      expect(yes.stdout).toMatch(/verified: shop\/cart/);
    });
  });
});

describe('bad input, live', () => {
  it.each([
    [['--ksa', 'shop/nope', '--apply', '--yes'], /shop\/nope/],
    [['--ksa', 'shop/cart', '--apply', '--yes', '--format', 'shell'], /--format shell is a plan to run by hand/],
    [['--ksa', 'shop/cart', '--apply', '--yes', '--verify-timeout', '0'], /--verify-timeout/],
    [
      ['--ksa', 'shop/cart', '--apply', '--yes', '--log', '/nonexistent-dir/x.jsonl'],
      /--log \/nonexistent-dir\/x\.jsonl: cannot write/,
    ],
  ])('%j: one line, exit 2, nothing changed', async (args, message) => {
    await withWorld(await scenario('missing-binding'), async (sb, env) => {
      const before = allPolicies(sb);
      const r = await cli(['fix', ...args], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(allPolicies(sb)).toEqual(before);
    });
  });
});

describe('idempotent steps', () => {
  it('a plan carried out already is all no-ops when applied again: nothing is written, each step says so', async () => {
    await withWorld(await scenario('demo'), async (sb, env) => {
      const planned = await cli(['fix', '--all', '--format', 'json'], env);
      const plan = JSON.parse(planned.stdout) as FixPlanDocument;
      expect(plan.steps.length).toBeGreaterThanOrEqual(5);
      const first = await cli(['fix', '--all', '--apply', '--yes', '--allow-disruptive', '--verify-timeout', '5'], env);
      expect(first.code).toBe(0);
      const policies = allPolicies(sb);
      const kube = JSON.stringify(sb.world.clusters[0]?.store.list('serviceaccounts'));
      const context = writeContext({}, { env });
      const again = await applyPlan(
        plan,
        { google: new GoogleWriter(context), kube: new KubeWriter(context) },
        { allowDisruptive: true },
      );
      expect(again.records.map((r) => `${r.step} ${r.action} ${r.status}`)).toEqual(
        plan.steps.map((s) => `${s.n} ${s.action} no-op`),
      );
      expect(again.records.every((r) => r.detail.length > 0)).toBe(true);
      expect(allPolicies(sb)).toEqual(policies);
      expect(JSON.stringify(sb.world.clusters[0]?.store.list('serviceaccounts'))).toBe(kube);
    });
  });
});

describe('disruptive changes', () => {
  it('withholds a node-pool change without --allow-disruptive, applies the rest, names it, exits 1', async () => {
    await withWorld(await scenario('demo'), async (sb, env) => {
      const r = await cli(['fix', '--all', '--apply', '--yes', '--verify-timeout', '5'], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /withheld 1\. set-node-pool-metadata .*nodePools\/batch-pool: recreates the node pool's nodes: run with --allow-disruptive to apply/,
      );
      expect(r.stdout).toMatch(/applied {2}2\. add-iam-binding/);
      expect(r.stdout).toMatch(/withheld: 1\. set-node-pool-metadata/);
      expect(sb.world.clusters[0]?.nodePools.find((p) => p.name === 'batch-pool')?.mode).not.toBe('GKE_METADATA');
    });
  });

  it('withholds removing members without --allow-disruptive', async () => {
    await withWorld(await scenario('gsa-recreated'), async (sb, env) => {
      const members = () =>
        (sb.world.policies.read('projects/acme-shop')?.bindings ?? []).flatMap((b) =>
          (b.members ?? []).map((m) => `${b.role} ${m}`),
        );
      const before = members();
      const stale = before.filter((m) => m.includes(' deleted:'));
      expect(stale.length).toBeGreaterThan(0);
      const r = await cli(['fix', '--ksa', 'shop/cart', '--apply', '--yes', '--verify-timeout', '5'], env);
      expect(r.code).toBe(1);
      // The recreated account is granted the old one's roles first (step 2); the removal is withheld.
      expect(r.stdout).toMatch(/withheld 3\. remove-iam-member projects\/acme-shop/);
      const after = members();
      for (const m of before) expect(after).toContain(m);
      expect(after.filter((m) => !before.includes(m))).toEqual([
        'roles/storage.objectViewer serviceAccount:cart-gsa@acme-shop.iam.gserviceaccount.com',
      ]);
    });
  });
});

describe('other teams', () => {
  it('leaves every other namespace and every untouched policy exactly as it was', async () => {
    await withWorld(await scenario('demo'), async (sb, env) => {
      const store = sb.world.clusters[0]?.store;
      const others = () =>
        JSON.stringify(
          ['serviceaccounts', 'deployments', 'networkpolicies'].flatMap((kind) =>
            (store?.list(kind) ?? []).filter((o) => o.metadata.namespace !== 'analytics'),
          ),
        );
      const before = { kube: others(), policies: allPolicies(sb) };
      const r = await cli(['fix', '--ksa', 'analytics/reporter', '--apply', '--yes', '--verify-timeout', '5'], env);
      expect(r.code).toBe(0);
      expect(others()).toBe(before.kube);
      // The typo fix of analytics/reporter writes no policy at all.
      expect(allPolicies(sb)).toEqual(before.policies);
    });
  });

  it('removes the one environment variable, keeping the rest of the container', async () => {
    const change = (s: Scenario) => {
      const w = s.clusters?.[0]?.namespaces?.find((n) => n.name === 'shop')?.workloads?.[0];
      if (w) w.env = { BEFORE: '1', GOOGLE_APPLICATION_CREDENTIALS: '/var/secrets/key.json', AFTER: '2' };
    };
    await withWorld(await scenario('healthy', change), async (sb, env) => {
      const r = await cli(['fix', '--ksa', 'shop/cart', '--apply', '--yes', '--verify-timeout', '5'], env);
      expect(r.code).toBe(0);
      const cart = sb.world.clusters[0]?.store.get<Workload>('deployments', 'shop', 'cart');
      expect(cart?.spec?.template?.spec.containers[0]?.env?.map((e) => e.name)).toEqual(['BEFORE', 'AFTER']);
    });
  });
});

describe('refused writes', () => {
  it('stops at a 403, reports what was and was not applied, exits 1, and never retries it', async () => {
    const limited = (s: Scenario) => {
      s.callers = [{ token: 'limited-token', identity: 'user:limited@example.com' }];
      const project = s.projects[0];
      if (project === undefined) return;
      project.disabledServices = ['iamcredentials.googleapis.com'];
      (project.policy ??= {}).bindings = [
        'roles/viewer',
        'roles/iam.securityReviewer',
        'roles/serviceusage.serviceUsageAdmin',
      ].map((role) => ({ role, members: ['user:limited@example.com'] }));
    };
    await withWorld(await scenario('missing-binding', limited), async (sb, env) => {
      const r = await cli(['fix', '--ksa', 'shop/cart', '--apply', '--yes', '--debug', '--verify-timeout', '5'], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/applied {2}1\. enable-service projects\/acme-shop/);
      expect(r.stdout).toMatch(/FAILED +2\. add-iam-binding .*403 PERMISSION_DENIED/);
      expect(r.stdout).toMatch(/stopped at 2\. add-iam-binding/);
      expect(r.stdout).toMatch(/not verified: a change failed/);
      expect(r.stderr.match(/POST \S+:setIamPolicy → 403/g)).toHaveLength(1);
      expect(sb.world.project('acme-shop')?.services.has('iamcredentials.googleapis.com')).toBe(true);
    });
  });
});

describe('IAM propagation', () => {
  const delayed = (seconds: number) => (s: Scenario) => {
    s.faults = { ...s.faults, iamPropagationDelaySeconds: seconds };
  };

  it('waits for the token chain with backoff and says so on stderr', async () => {
    await withWorld(await scenario('missing-binding', delayed(2)), async (_sb, env) => {
      const log = join(temp, 'propagation.jsonl');
      const r = await cli(
        ['fix', '--ksa', 'shop/cart', '--apply', '--yes', '--verify-timeout', '30', '--log', log],
        env,
      );
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(
        /wi-doctor: waiting for IAM propagation… \d+ s \(shop\/cart: generate-access-token: 403 PERMISSION_DENIED/,
      );
      expect(r.stdout).toMatch(/verified: shop\/cart: no check fails and the token chain works \([2-9] rounds/);
      const lines = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ type: 'change', status: 'applied', action: 'add-iam-binding', round: 1 });
      expect(lines[0]?.etagBefore).toMatch(/^[A-Za-z0-9+/=]+$/);
      expect(lines[0]?.etagAfter).not.toBe(lines[0]?.etagBefore);
      expect(lines.at(-1)).toMatchObject({ type: 'verification', ok: true });
    });
  });

  it('gives up at --verify-timeout with what still fails, exit 1', async () => {
    await withWorld(await scenario('missing-binding', delayed(60)), async (_sb, env) => {
      const r = await cli(['fix', '--ksa', 'shop/cart', '--apply', '--yes', '--verify-timeout', '1'], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/NOT verified: still failing after \d+ s: shop\/cart: generate-access-token: 403/);
    });
  });
});

describe('concurrent writers', () => {
  it('six read-modify-writes on one policy at once: every member lands, nothing else changes', async () => {
    await withWorld(await scenario('healthy'), async (sb, env) => {
      const before = sb.world.policies.read(`sa/${sb.world.gsa(CART)?.uniqueId ?? ''}`);
      const google = new GoogleWriter(writeContext({}, { env }));
      const resource = { type: 'serviceAccount' as const, email: CART, project: 'acme-shop' };
      const members = [1, 2, 3, 4, 5, 6].map((n) => `user:writer${n}@example.com`);
      const results = await Promise.all(
        members.map((m) =>
          readModifyWrite({ get: () => google.getPolicy(resource), set: (p) => google.setPolicy(resource, p) }, (p) =>
            addMember(p, 'roles/iam.serviceAccountTokenCreator', m),
          ),
        ),
      );
      // They collided: some had to read again after a 409.
      expect(results.some((r) => r.attempts > 1)).toBe(true);
      const after = sb.world.policies.read(`sa/${sb.world.gsa(CART)?.uniqueId ?? ''}`);
      expect(after.bindings?.find((b) => b.role === 'roles/iam.serviceAccountTokenCreator')?.members?.sort()).toEqual(
        members,
      );
      expect(after.bindings?.filter((b) => b.role !== 'roles/iam.serviceAccountTokenCreator')).toEqual(before.bindings);
    });
  });
});
