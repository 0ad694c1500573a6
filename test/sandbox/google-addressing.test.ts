// Addressing and validation as Google resolves them, with the real gcloud, curl and kubectl: accounts found
// by email across projects, 403 vs 404 for missing accounts, account ids, unknown services, role titles,
// currentNodeCount, and a kubeconfig from `clusters get-credentials` that reaches the sandbox.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HAS_CURL, HAS_GCLOUD, startCli, type Cli } from './gcloud-helpers.js';
import { CART_GSA } from './helpers.js';

const run = promisify(execFile);
const HAS_KUBECTL = await run('kubectl', ['version', '--client']).then(
  () => true,
  () => false,
);

describe.skipIf(!HAS_GCLOUD || !HAS_CURL)('addressing and validation', { timeout: 180_000 }, () => {
  let cli: Cli;
  beforeAll(async () => {
    cli = await startCli('healthy');
  });
  afterAll(async () => {
    await cli.stop();
  });
  const iam = (path: string, ...args: string[]): Promise<string> =>
    cli.curl('-H', `Authorization: Bearer ${cli.sb.adminToken}`, ...args, `${cli.sb.endpoints.iam ?? ''}${path}`);

  test('an account is found by email under any project; missing ones answer 403 under projects/- and 404 under a project', async () => {
    const other = JSON.parse(await iam(`/v1/projects/acme-data/serviceAccounts/${CART_GSA}`)) as { email: string };
    expect(other.email).toBe(CART_GSA);
    const missing = 'nobody-here@acme-shop.iam.gserviceaccount.com';
    const dash = JSON.parse(await iam(`/v1/projects/-/serviceAccounts/${missing}`)) as {
      error: { code: number; status: string };
    };
    expect(dash.error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    const named = JSON.parse(await iam(`/v1/projects/acme-shop/serviceAccounts/${missing}`)) as {
      error: { code: number; message: string };
    };
    expect(named.error).toEqual({
      code: 404,
      message: `Not found; Gaia id not found for email ${missing}`,
      status: 'NOT_FOUND',
    });
    // The guide's cross-project command, without --project (the core project is acme-shop).
    const policy = JSON.parse(
      await cli.gcloud(
        'iam',
        'service-accounts',
        'get-iam-policy',
        'reader@acme-data.iam.gserviceaccount.com',
        '--format=json',
      ),
    ) as { etag: string };
    expect(policy.etag).toMatch(/=$/);
  });

  test('account ids are validated; the guide’s delete and recreate replays', async () => {
    const bad = JSON.parse(
      await iam(
        '/v1/projects/acme-shop/serviceAccounts',
        '-X',
        'POST',
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"accountId":"cart"}',
      ),
    ) as { error: { code: number; status: string } };
    expect(bad.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const junk = JSON.parse(
      await iam(
        '/v1/projects/acme-shop/serviceAccounts',
        '-X',
        'POST',
        '-H',
        'Content-Type: application/json',
        '-d',
        '{not json',
      ),
    ) as { error: { code: number; message: string; status: string } };
    // Google's answer to a body that is not JSON, not the sandbox's own parse error.
    expect(junk.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(junk.error.message).toMatch(/^Invalid JSON payload received\./);
    await cli.gcloud('iam', 'service-accounts', 'delete', CART_GSA);
    await cli.gcloud('iam', 'service-accounts', 'create', 'cart-gsa', '--display-name', 'Cart service');
    const policy = await cli.gcloud('projects', 'get-iam-policy', 'acme-shop', '--format=json');
    expect(policy).not.toContain(`serviceAccount:${CART_GSA}"`);
    const again = await cli.gcloudResult('iam', 'service-accounts', 'create', 'cart-gsa');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists');
  });

  test('unknown services cannot be enabled; role titles come from the catalog; currentNodeCount', async () => {
    const r = await cli.gcloudResult('services', 'enable', 'gmail-api.googleapis.com');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Not found or permission denied for service(s): gmail-api.googleapis.com.');
    const role = JSON.parse(
      await cli.gcloud('iam', 'roles', 'describe', 'roles/iam.workloadIdentityUser', '--format=json'),
    ) as { title: string; includedPermissions: string[] };
    expect(role.title).toBe('Workload Identity User');
    expect(role.includedPermissions).toContain('iam.serviceAccounts.getAccessToken');
    expect(
      (
        await cli.gcloud(
          'container',
          'clusters',
          'describe',
          'prod',
          '--zone=europe-west1',
          '--format=value(currentNodeCount)',
        )
      ).trim(),
    ).toBe('2');
  });

  test.skipIf(!HAS_KUBECTL)('clusters get-credentials writes a kubeconfig that works against the sandbox', async () => {
    const kubeconfig = join(cli.dir, 'kubeconfig');
    const env = { ...cli.env, KUBECONFIG: kubeconfig };
    await run('gcloud', ['container', 'clusters', 'get-credentials', 'prod', '--zone=europe-west1'], { env });
    const out = (
      await run('kubectl', ['get', 'serviceaccount', 'cart', '-n', 'shop', '-o', 'jsonpath={.metadata.name}'], { env })
    ).stdout;
    expect(out).toBe('cart');
    const config = (
      await run('kubectl', ['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'], { env })
    ).stdout;
    expect(config).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });
});
