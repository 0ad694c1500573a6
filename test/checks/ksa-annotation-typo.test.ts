// A malformed annotation value a few letters from an existing GSA (`…iam.gserviceacount.com`) is a typo: check
// suggests the account with a kubectl annotate (and the restart), fix plans the same annotate, not a manual step,
// and the cause says the reason once.

import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/results.js';
import { cli, scenario, withWorld } from '../fix/helpers.js';

const TYPO = 'cart-gsa@acme-shop.iam.gserviceacount.com';
const MEANT = 'cart-gsa@acme-shop.iam.gserviceaccount.com';

describe('ksa-annotation: a typo in the annotation value (sandbox annotation-typo)', () => {
  it('check suggests the existing GSA with kubectl annotate; fix plans it as annotate', async () => {
    await withWorld(await scenario('annotation-typo'), async (_sb, env) => {
      const json = await cli(['check', '--ksa', 'shop/cart', '--format', 'json'], env);
      const report = JSON.parse(json.stdout) as Report;
      const result = report.results.find((r) => r.check === 'ksa-annotation');
      expect(result?.status).toBe('fail');
      expect(result?.cause).toContain(`has value \`${TYPO}\`, which is no service-account email: expected`);
      expect(result?.cause?.match(/service-account email/g)).toHaveLength(1);
      expect(JSON.stringify(result?.evidence?.notes)).toContain(MEANT);
      expect(result?.fix.map((f) => `${f.action} ${f.params.value ?? f.target}`)).toEqual([
        `annotate-service-account ${MEANT}`,
        'restart-workload namespaces/shop/deployments/cart',
      ]);
      const text = await cli(['check', '--ksa', 'shop/cart'], env);
      expect(text.stdout).toContain(
        `kubectl annotate serviceaccount cart --namespace=shop iam.gke.io/gcp-service-account=${MEANT} --overwrite`,
      );
      const plan = await cli(['fix', '--ksa', 'shop/cart'], env);
      expect(plan.stdout).toMatch(/1\. annotate-service-account namespaces\/shop\/serviceaccounts\/cart/);
      expect(plan.stdout).toMatch(/, 0 manual\./);
      expect(plan.stdout).not.toMatch(/a step no API call expresses/);
    });
  });
});
