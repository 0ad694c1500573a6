// gsa-exists on a deleted account, live (sandbox gsa-deleted): the evidence says what was read (never a bundle
// file), the fix is undelete (the project policy keeps the account's `deleted:` member, as IAM does), and the Admin Activity note speaks of an account, not a binding.

import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/results.js';
import { cli, scenario, withWorld } from '../fix/helpers.js';

describe('gsa-exists: a deleted GSA, live', () => {
  it('names the list read, and offers undelete by the uniqueId the deleted member carries', async () => {
    await withWorld(await scenario('gsa-deleted'), async (_sb, env) => {
      const r = await cli(['check', '--ksa', 'shop/cart', '--format', 'json'], env);
      const report = JSON.parse(r.stdout) as Report;
      const result = report.results.find((x) => x.check === 'gsa-exists');
      expect(result?.status).toBe('fail');
      const evidence = JSON.stringify(result?.evidence);
      expect(evidence).not.toMatch(/\.json/);
      expect(evidence).not.toMatch(/binding may never have existed/);
      expect(result?.evidence?.actual).toBe(
        '`cart-gsa@acme-shop.iam.gserviceaccount.com` is not in the service-account list of project acme-shop',
      );
      // The project policy still names it as IAM leaves a deleted account's grants: undelete, by its uniqueId.
      expect(result?.cause).toMatch(
        /deleted:serviceAccount:cart-gsa@acme-shop\.iam\.gserviceaccount\.com\?uid=269962557691428975596` remains in/,
      );
      expect(result?.fix[0]?.action).toBe('undelete-service-account');
      const text = await cli(['check', '--ksa', 'shop/cart'], env);
      expect(text.stdout).toMatch(/gcloud iam service-accounts undelete 269962557691428975596/);
    });
  });
});
