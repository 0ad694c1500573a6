// Grants that one policy gains from several steps (many KSAs sharing one GSA) go in one etag-guarded
// read-modify-write: one getIamPolicy and one setIamPolicy, every other binding kept, each step reported.

import { describe, expect, it } from 'vitest';
import { CART, cli, scenario, withWorld } from './helpers.js';

const KSAS = ['cart', 'cart-2', 'cart-3'];
const member = (ksa: string) => `serviceAccount:acme-shop.svc.id.goog[shop/${ksa}]`;

describe('fix --apply: several KSAs missing their binding on one GSA', () => {
  it('adds every member in one read and one write, in the steps order, and reports each step', async () => {
    const world = await scenario('missing-binding', (s) => {
      const shop = s.clusters?.[0]?.namespaces?.find((n) => n.name === 'shop');
      for (const ksa of KSAS.slice(1))
        shop?.serviceAccounts?.push({ name: ksa, annotations: { 'iam.gke.io/gcp-service-account': CART } });
    });
    await withWorld(world, async (sb, env) => {
      const gsa = sb.world.gsas.find((g) => g.email === CART);
      if (gsa === undefined) throw new Error('the scenario has no cart GSA');
      const before = sb.world.policies.read(`sa/${gsa.uniqueId}`);
      const args = ['fix', ...KSAS.flatMap((k) => ['--ksa', `shop/${k}`]), '--apply', '--yes', '--debug'];
      const r = await cli([...args, '--verify-timeout', '5'], env);
      const http = r.stderr.split('\n').filter((l) => l.startsWith('wi-doctor: http '));
      const applying = r.stdout.indexOf('Applying to');
      expect(applying).toBeGreaterThan(0);
      const sets = http.filter((l) => l.includes(':setIamPolicy'));
      expect(sets).toHaveLength(1);
      const applied = r.stdout.split('\n').filter((l) => /^\s+applied\s+\d+\. add-iam-binding/.test(l));
      expect(applied).toHaveLength(3);
      for (const ksa of KSAS) expect(applied.some((l) => l.includes(`[shop/${ksa}]`))).toBe(true);
      // One etag pair for the three steps: one write.
      const etags = new Set(applied.map((l) => /\(etag (\S+) → (\S+)\)/.exec(l)?.slice(1).join(' ')));
      expect(etags.size).toBe(1);
      const after = sb.world.policies.read(`sa/${gsa.uniqueId}`);
      const wiu = after.bindings?.find((b) => b.role === 'roles/iam.workloadIdentityUser');
      expect(wiu?.members).toEqual(expect.arrayContaining(KSAS.map(member)));
      // Every binding that was there is still there, members in their order.
      for (const b of before.bindings ?? []) {
        const kept = after.bindings?.find(
          (x) => x.role === b.role && JSON.stringify(x.condition) === JSON.stringify(b.condition),
        );
        expect(kept?.members?.slice(0, b.members?.length ?? 0)).toEqual(b.members ?? []);
      }
      expect(r.code).toBe(0);

      // Again: nothing to change, and no write.
      const again = await cli([...args, '--verify-timeout', '5'], env);
      expect(again.stderr.split('\n').filter((l) => l.includes(':setIamPolicy'))).toHaveLength(0);
      expect(again.code).toBe(0);
    });
  }, 60_000);
});
