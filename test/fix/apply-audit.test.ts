// The appliers of the audit's fix actions against the sandbox: the fixes `audit` prints for a user-managed key
// and for Data Access logs that are off, applied step by step, leave the audit passing; applied again they
// change nothing; a Google-managed key is never deleted.

import { describe, expect, it } from 'vitest';
import { writeContext } from '../../src/fix/apply/context.js';
import { GoogleWriter } from '../../src/fix/apply/google.js';
import { KubeWriter } from '../../src/fix/apply/kube.js';
import { WriteFailure } from '../../src/fix/apply/rmw.js';
import { APPLIERS } from '../../src/fix/apply/steps.js';
import type { Writers } from '../../src/fix/apply/steps.js';
import { ACTION_TRAITS } from '../../src/fix/order.js';
import type { FixActionName } from '../../src/fix/actions.js';
import type { CheckResult, Report } from '../../src/model/results.js';
import { CART, cli, scenario, withWorld } from './helpers.js';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SYSTEM_KEY = 'f0e1d2c3b4a5968778695a4b3c2d1e0f98765432';

const world = () =>
  scenario('healthy', (s) => {
    const project = s.projects.find((p) => p.id === 'acme-shop');
    if (!project) throw new Error('no acme-shop');
    project.policy = { ...project.policy };
    delete project.policy.auditConfigs;
    const gsa = project.serviceAccounts?.find((g) => g.name === 'cart-gsa');
    if (!gsa) throw new Error('no cart-gsa');
    gsa.keys = [
      { id: KEY, type: 'USER_MANAGED' },
      { id: SYSTEM_KEY, type: 'SYSTEM_MANAGED' },
    ];
  });

const IDS = ['gsa-user-managed-keys', 'admin-read-audit-logs'];

async function auditJson(env: NodeJS.ProcessEnv): Promise<CheckResult[]> {
  const r = await cli(['audit', '--only', IDS.join(','), '--format', 'json'], env);
  if (r.stdout === '') throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as Report).results;
}

describe('audit fix actions applied', { timeout: 60_000 }, () => {
  it('the audit passes once its fixes are applied; applied again they are no-ops', async () => {
    await withWorld(await world(), async (_sb, env) => {
      const before = await auditJson(env);
      expect(before.map((r) => `${r.check} ${r.status}`).sort()).toEqual([
        'admin-read-audit-logs warn',
        'gsa-user-managed-keys fail',
      ]);
      const steps = before.flatMap((r) => r.fix).filter((f) => f.action !== 'manual');
      expect(steps.map((s) => s.action).sort()).toEqual(['delete-service-account-key', 'enable-audit-logs']);
      expect(steps.find((s) => s.action === 'delete-service-account-key')?.params.keyId).toBe(KEY);

      const context = writeContext({}, { env });
      const writers: Writers = { google: new GoogleWriter(context), kube: new KubeWriter(context) };
      const apply = (s: (typeof steps)[number]) =>
        APPLIERS[s.action as Exclude<FixActionName, 'manual'>](
          { action: s.action, target: s.target, params: s.params },
          writers,
        );

      for (const s of steps) expect((await apply(s)).changed).toBe(true);
      const after = await auditJson(env);
      expect(after.map((r) => `${r.check} ${r.status}`).sort()).toEqual([
        'admin-read-audit-logs pass',
        'gsa-user-managed-keys pass',
      ]);
      for (const s of steps) {
        const again = await apply(s);
        expect(again.changed).toBe(false);
        expect(again.detail).toMatch(/already/);
      }
    });
  });

  it('a Google-managed key is refused before any delete; the policy change keeps bindings and etag checks', async () => {
    await withWorld(await world(), async (sb, env) => {
      const context = writeContext({}, { env });
      const writers: Writers = { google: new GoogleWriter(context), kube: new KubeWriter(context) };
      const target = `projects/-/serviceAccounts/${CART}`;
      await expect(
        APPLIERS['delete-service-account-key'](
          { action: 'delete-service-account-key', target, params: { keyId: SYSTEM_KEY } },
          writers,
        ),
      ).rejects.toThrow(WriteFailure);
      const keys = sb.world.gsas.find((g) => g.email === CART)?.keys.map((k) => k.keyType);
      expect(keys).toContain('SYSTEM_MANAGED');

      const bindings = sb.world.policies.read('projects/acme-shop').bindings;
      const r = await APPLIERS['enable-audit-logs'](
        {
          action: 'enable-audit-logs',
          target: 'projects/acme-shop',
          params: { service: 'iam.googleapis.com', logType: 'ADMIN_READ' },
        },
        writers,
      );
      expect(r.etagBefore).toBeDefined();
      expect(r.etagAfter).not.toBe(r.etagBefore);
      const policy = sb.world.policies.read('projects/acme-shop');
      expect(policy.bindings).toEqual(bindings);
      expect(policy.auditConfigs).toEqual([
        { service: 'iam.googleapis.com', auditLogConfigs: [{ logType: 'ADMIN_READ' }] },
      ]);
    });
  });

  it('deleting a key is disruptive (withheld without --allow-disruptive); turning logs on is not', () => {
    expect(ACTION_TRAITS['delete-service-account-key'].disruptive).toBe(true);
    expect(ACTION_TRAITS['enable-audit-logs'].disruptive).toBe(false);
  });
});
