// No workload pool yet (sandbox no-workload-pool): wi-binding is judged against the pool cluster-workload-pool's
// fix enables (`acme-shop.svc.id.goog`), so the missing binding is on the first screen and in the fix plan, not
// found only after the pool is enabled.

import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/results.js';
import { cli, scenario, withWorld } from '../fix/helpers.js';

describe('wi-binding without a workload pool', () => {
  it('fails on the missing binding against the pool the fix names, and the plan grants it', async () => {
    await withWorld(await scenario('no-workload-pool'), async (_sb, env) => {
      const report = JSON.parse((await cli(['check', '--ksa', 'shop/cart', '--format', 'json'], env)).stdout) as Report;
      const pool = report.results.find((r) => r.check === 'cluster-workload-pool');
      expect(pool?.status).toBe('fail');
      const binding = report.results.find((r) => r.check === 'wi-binding');
      expect(binding?.status).toBe('fail');
      expect(binding?.evidence?.notes?.join('\n')).toMatch(/judged against `acme-shop\.svc\.id\.goog`/);
      expect(binding?.fix.map((f) => `${f.action} ${f.params.member ?? ''}`)).toContain(
        'add-iam-binding serviceAccount:acme-shop.svc.id.goog[shop/cart]',
      );
      const plan = await cli(['fix', '--ksa', 'shop/cart'], env);
      expect(plan.stdout).toMatch(
        /\d\. add-iam-binding projects\/-\/serviceAccounts\/cart-gsa@acme-shop\.iam\.gserviceaccount\.com/,
      );
      expect(plan.stdout).toMatch(/\d\. enable-workload-identity /);
    });
  });
});
