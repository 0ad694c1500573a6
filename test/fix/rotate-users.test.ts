// rotate never disables an old GSA that someone else may still use: KSAs of other clusters of the same workload
// pool (the same `POOL[NS/KSA]` identity), other members of its policy that can get its credentials, and, when a
// source cannot be read, nobody is assumed: the disable is withheld and says why.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Journal, RotationSpec } from '../../src/fix/rotate/journal.js';
import type { UserSources } from '../../src/fix/rotate/users.js';
import { findOtherUsers, withheldReason } from '../../src/fix/rotate/users.js';
import { createRoleResolver } from '../../src/model/iam/roles.js';
import type { ServiceAccountObject } from '../../src/model/k8s/types.js';
import type { Scenario } from '../../src/sandbox/index.js';
import { CART, cli, NEW, scenario, withWorld } from './helpers.js';

const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-rotate-users-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let journals = 0;
const journalPath = () => join(temp, `journal-${++journals}.json`);

const STAGING = 'gke_acme-shop_us-central1_staging';

function rotate(env: NodeJS.ProcessEnv, journal: string) {
  return cli(
    ['rotate', '--ksa', 'shop/cart', '--to', NEW, '--yes', '--journal', journal, '--verify-timeout', '10'],
    env,
  );
}

/** The fleet without the deployer's token-creator grant on cart-gsa. */
function withoutDeployer(s: Scenario): void {
  const cart = s.projects[0]?.serviceAccounts?.find((g) => g.name === 'cart-gsa');
  if (cart?.policy?.bindings)
    cart.policy.bindings = cart.policy.bindings.filter((b) => b.role.endsWith('workloadIdentityUser'));
}

describe('rotate: other users of the old GSA beyond this cluster', () => {
  it('keeps cart-gsa enabled while staging (same pool) and a token creator still use it', async () => {
    await withWorld(await scenario('fleet'), async (sb, env) => {
      const journal = journalPath();
      const r = await rotate(env, journal);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /skipped \d+\/\d+ disable-old .*stays enabled: still used by .*shop\/cart in cluster gke_acme-shop_us-central1_staging/,
      );
      expect(r.stdout).toMatch(/disable-old .*user:deployer@example\.com \(roles\/iam\.serviceAccountTokenCreator\)/);
      expect(sb.world.gsas.find((g) => g.email === CART)?.disabled).toBe(false);
      const saved = JSON.parse(readFileSync(journal, 'utf8')) as Journal;
      expect(saved.spec.otherUsers).toContain(`shop/cart in cluster ${STAGING}`);
      expect(saved.spec.otherUsers).toContain('user:deployer@example.com (roles/iam.serviceAccountTokenCreator)');
      // staging's shop/cart still works: its GSA was left enabled.
      const check = await cli(['check', '--all', '--clusters', 'ALL_CONTEXTS', '--format', 'json'], env);
      expect(check.stdout).not.toMatch(/is disabled/);
    });
  });

  it('keeps it enabled for staging alone, and disables it once staging no longer names it', async () => {
    await withWorld(await scenario('fleet', withoutDeployer), async (sb, env) => {
      const r = await rotate(env, journalPath());
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/disable-old .*still used by shop\/cart in cluster gke_acme-shop_us-central1_staging/);
      expect(r.stdout).not.toMatch(/deployer/);
      expect(sb.world.gsas.find((g) => g.email === CART)?.disabled).toBe(false);
    });
    await withWorld(
      await scenario('fleet', (s) => {
        withoutDeployer(s);
        const staging = s.clusters?.find((c) => c.name === 'staging')?.namespaces?.find((n) => n.name === 'shop');
        const cart = staging?.serviceAccounts?.find((k) => k.name === 'cart');
        if (cart) delete cart.annotations;
      }),
      async (sb, env) => {
        const r = await rotate(env, journalPath());
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/done {4}\d+\/\d+ disable-old .*disabled cart-gsa@/);
        expect(sb.world.gsas.find((g) => g.email === CART)?.disabled).toBe(true);
      },
    );
  });
});

describe('findOtherUsers: a source that cannot be read is never "nobody"', () => {
  const spec = {
    pool: 'acme-shop.svc.id.goog',
    moved: ['shop/cart'],
    oldGsa: CART,
    newGsa: NEW,
  } as unknown as RotationSpec;
  const roles = createRoleResolver({
    customRole: (n) => ({ status: 'not-collected', source: n, message: 'not read' }),
  });
  const ksa = (ns: string, name: string, gsa?: string): ServiceAccountObject => ({
    metadata: { namespace: ns, name, ...(gsa ? { annotations: { 'iam.gke.io/gcp-service-account': gsa } } : {}) },
  });
  const refused = { ok: false as const, kind: 'error' as const, status: 403, message: 'HTTP 403: denied' };
  const sources = (over: Partial<UserSources> = {}): UserSources => ({
    listServiceAccounts: () => Promise.resolve({ ok: true, value: [ksa('shop', 'cart', CART)] }),
    oldPolicy: () =>
      Promise.resolve({
        ok: true,
        value: {
          bindings: [
            { role: 'roles/iam.workloadIdentityUser', members: ['serviceAccount:acme-shop.svc.id.goog[shop/cart]'] },
            { role: 'roles/iam.serviceAccountUser', members: ['user:actas@example.com'] },
            { role: 'roles/viewer', members: ['group:all@example.com'] },
          ],
        },
      }),
    poolClusters: () => Promise.resolve({ ok: true, clusters: [] }),
    ...over,
  });

  it('nobody else: the moved KSA, actAs and viewers mint no token', async () => {
    const found = await findOtherUsers(spec, sources(), roles);
    expect(found).toEqual({ users: [], unread: [] });
    expect(withheldReason(spec, found)).toBeUndefined();
  });

  it('an unreadable policy, an unreachable cluster of the pool, an unlisted pool: withheld, each named', async () => {
    for (const over of [
      { oldPolicy: () => Promise.resolve(refused) },
      { poolClusters: () => Promise.resolve({ ok: true as const, clusters: [{ label: 'c2', error: 'no context' }] }) },
      {
        poolClusters: () =>
          Promise.resolve({
            ok: true as const,
            clusters: [{ label: 'c2', listServiceAccounts: () => Promise.resolve(refused) }],
          }),
      },
      { poolClusters: () => Promise.resolve({ ok: false as const, message: 'HTTP 403' }) },
      { listServiceAccounts: () => Promise.resolve(refused) },
    ] satisfies Partial<UserSources>[]) {
      const found = await findOtherUsers(spec, sources(over), roles);
      expect(found.users).toEqual([]);
      expect(found.unread).toHaveLength(1);
      expect(withheldReason(spec, found)).toMatch(
        /stays enabled: who else uses it is unknown, because these could not be read: /,
      );
    }
  });

  it('other members that can mint its tokens: other KSAs, principal sets, custom roles not resolved', async () => {
    const found = await findOtherUsers(
      spec,
      sources({
        oldPolicy: () =>
          Promise.resolve({
            ok: true,
            value: {
              bindings: [
                {
                  role: 'roles/iam.workloadIdentityUser',
                  members: [
                    'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
                    'serviceAccount:acme-shop.svc.id.goog[shop/orders]',
                    'principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/namespace/shop',
                  ],
                },
                { role: 'projects/acme-shop/roles/minter', members: ['user:custom@example.com'] },
              ],
            },
          }),
      }),
      roles,
    );
    expect(found.users).toEqual([
      'principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/namespace/shop (roles/iam.workloadIdentityUser)',
      'serviceAccount:acme-shop.svc.id.goog[shop/orders] (roles/iam.workloadIdentityUser)',
      'user:custom@example.com (projects/acme-shop/roles/minter)',
    ]);
  });
});
