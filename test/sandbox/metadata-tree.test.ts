// The metadata server tree with curl, as the guide's in-pod commands use it: every listed entry answers,
// ?recursive=true is JSON, concealment hides the identity endpoint and kube-env.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HAS_CURL, startCli, type Cli } from './gcloud-helpers.js';
import { CART_GSA, pod } from './helpers.js';

async function walk(cli: Cli, base: string, path: string): Promise<string[]> {
  const body = await cli.curl('-H', 'Metadata-Flavor: Google', `${base}/computeMetadata/v1/${path}`);
  const out: string[] = [];
  for (const entry of body.split('\n').filter((x) => x !== '')) {
    if (entry.endsWith('/')) out.push(...(await walk(cli, base, `${path}${entry}`)));
    else out.push(`${path}${entry}`);
  }
  return out;
}

describe.skipIf(!HAS_CURL)('metadata tree', { timeout: 120_000 }, () => {
  let cli: Cli;
  beforeAll(async () => {
    cli = await startCli('healthy');
  });
  afterAll(async () => {
    await cli.stop();
  });

  test('every listed entry answers 200 (identity needs its audience)', async () => {
    const base = pod(cli.sb, 'cart-').metadataUrl;
    const leaves = await walk(cli, base, '');
    expect(leaves).toContain('instance/id');
    expect(leaves).toContain('instance/attributes/cluster-uid');
    expect(leaves).not.toContain('instance/attributes/kube-env');
    for (const leaf of leaves) {
      const q = leaf.endsWith('/identity') ? '?audience=https://example.com' : '';
      const code = await cli.curl(
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-H',
        'Metadata-Flavor: Google',
        `${base}/computeMetadata/v1/${leaf}${q}`,
      );
      expect([leaf, code]).toEqual([leaf, '200']);
    }
    expect(await cli.curl('-H', 'Metadata-Flavor: Google', `${base}/computeMetadata/v1/instance/id`)).toMatch(/^\d+$/);
  });

  test('?recursive=true answers JSON', async () => {
    const base = pod(cli.sb, 'cart-').metadataUrl;
    const instance = JSON.parse(
      await cli.curl('-H', 'Metadata-Flavor: Google', `${base}/computeMetadata/v1/instance/?recursive=true`),
    ) as {
      serviceAccounts: Record<string, { email: string; aliases: string[] }>;
      attributes: Record<string, string>;
      id: number;
    };
    expect(instance.serviceAccounts.default?.email).toBe(CART_GSA);
    expect(instance.attributes['cluster-name']).toBe('prod');
    expect(typeof instance.id).toBe('number');
    const project = JSON.parse(
      await cli.curl('-H', 'Metadata-Flavor: Google', `${base}/computeMetadata/v1/project/?recursive=true`),
    ) as Record<string, unknown>;
    expect(project).toEqual({ numericProjectId: 123456789012, projectId: 'acme-shop' });
  });
});

describe.skipIf(!HAS_CURL)('metadata concealment', { timeout: 120_000 }, () => {
  let cli: Cli;
  beforeAll(async () => {
    cli = await startCli('metadata-concealment');
  });
  afterAll(async () => {
    await cli.stop();
  });

  test('the identity endpoint, kube-env and recursive listings are concealed; the token still answers', async () => {
    const base = `${pod(cli.sb, 'cart-').metadataUrl}/computeMetadata/v1`;
    const h = ['-H', 'Metadata-Flavor: Google'];
    const get = (path: string): Promise<string> => cli.curl(...h, '-w', ' %{http_code}', `${base}/${path}`);
    expect(await get('instance/service-accounts/default/identity?audience=https://example.com')).toBe(
      'This metadata endpoint is concealed.\n 403',
    );
    expect(await get('instance/attributes/kube-env')).toBe('This metadata endpoint is concealed.\n 403');
    expect(await get('instance/?recursive=true')).toBe(
      'This metadata endpoint is concealed for ?recursive calls.\n 403',
    );
    expect(await get('instance/service-accounts/default/?recursive=true')).toMatch(/"email".* 200$/);
    expect(await get('instance/attributes/cluster-name')).toBe('prod 200');
    expect(await get('instance/service-accounts/default/token')).toMatch(/access_token.* 200$/);
  });
});
