// Compute firewall rules, Policy Analyzer and Cloud Asset Inventory, driven by the real gcloud (and curl)
// against one sandbox whose projects sit under folders of an organization.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseScenario, type Scenario } from '../../src/sandbox/index.js';
import { HAS_CURL, HAS_GCLOUD, startCli, type Cli } from './gcloud-helpers.js';
import { CART_GSA, mds, pod, scenario } from './helpers.js';

function world(): Scenario {
  const s = parseScenario(readFileSync(scenario('healthy'), 'utf8'));
  s.organization = { id: '555000111222', displayName: 'acme.example' };
  s.folders = [
    { id: '700000000001', parent: 'organizations/555000111222', displayName: 'prod' },
    { id: '700000000002', parent: 'folders/700000000001', displayName: 'shop' },
  ];
  const [shop, data] = s.projects;
  if (!shop || !data) throw new Error('healthy.yaml has two projects');
  shop.parent = 'folders/700000000002';
  data.parent = 'folders/700000000001';
  data.firewallRules = [
    { name: 'deny-all-egress', direction: 'EGRESS', priority: 65000, denied: [{ IPProtocol: 'all' }] },
    {
      name: 'allow-google-apis',
      direction: 'EGRESS',
      priority: 1000,
      destinationRanges: ['199.36.153.8/30'],
      allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
    },
  ];
  s.faults = { activityLagSeconds: 0 };
  return s;
}

describe.skipIf(!HAS_GCLOUD)('inventory APIs through gcloud', { timeout: 120_000 }, () => {
  let cli: Cli;
  beforeAll(async () => {
    cli = await startCli(world());
  });
  afterAll(async () => {
    await cli.stop();
  });

  test("the guide's firewall check: no EGRESS rule in the default network; declared rules listed", async () => {
    const none = JSON.parse(
      await cli.gcloud('compute', 'firewall-rules', 'list', '--filter=direction:EGRESS', '--format=json'),
    ) as unknown[];
    expect(none).toEqual([]);
    const all = JSON.parse(await cli.gcloud('compute', 'firewall-rules', 'list', '--format=json')) as {
      name: string;
    }[];
    expect(all.map((r) => r.name)).toEqual([
      'default-allow-icmp',
      'default-allow-internal',
      'default-allow-rdp',
      'default-allow-ssh',
    ]);
    const data = JSON.parse(
      await cli.gcloud(
        'compute',
        'firewall-rules',
        'list',
        '--project=acme-data',
        '--filter=direction:EGRESS',
        '--format=json',
      ),
    ) as { name: string; destinationRanges: string[]; denied?: unknown[] }[];
    expect(data.map((r) => [r.name, r.destinationRanges])).toEqual([
      ['allow-google-apis', ['199.36.153.8/30']],
      ['deny-all-egress', ['0.0.0.0/0']],
    ]);
  });

  test('Policy Analyzer: last authentication comes from the tokens the sandbox issued', async () => {
    const query = async (): Promise<{ fullResourceName: string; activity: { lastAuthenticatedTime?: string } }[]> =>
      JSON.parse(
        await cli.gcloud(
          'policy-intelligence',
          'query-activity',
          '--activity-type=serviceAccountLastAuthentication',
          '--project=acme-shop',
          `--query-filter=activities.full_resource_name="//iam.googleapis.com/projects/acme-shop/serviceAccounts/${CART_GSA}"`,
          '--format=json',
        ),
      ) as { fullResourceName: string; activity: { lastAuthenticatedTime?: string } }[];
    const before = await query();
    expect(before).toHaveLength(1);
    expect(before[0]?.activity.lastAuthenticatedTime).toBeUndefined();
    expect((await mds(pod(cli.sb, 'cart-'), 'instance/service-accounts/default/token')).status).toBe(200);
    const after = await query();
    expect(after[0]?.fullResourceName).toBe(`//iam.googleapis.com/projects/acme-shop/serviceAccounts/${CART_GSA}`);
    expect(after[0]?.activity.lastAuthenticatedTime).toMatch(/^\d{4}-\d{2}-\d{2}T07:00:00Z$/);
  });

  test('Cloud Asset Inventory: searchAllIamPolicies by scope, query and asset type', async () => {
    type Result = {
      resource: string;
      assetType: string;
      project?: string;
      folders?: string[];
      organization?: string;
      policy: { bindings: { role: string; members: string[] }[] };
      explanation?: { matchedPermissions: Record<string, { permissions: string[] }> };
    };
    const search = async (...args: string[]): Promise<Result[]> =>
      JSON.parse(await cli.gcloud('asset', 'search-all-iam-policies', ...args, '--format=json')) as Result[];
    const pool = await search('--scope=organizations/555000111222', '--query=policy:"acme-shop.svc.id.goog"');
    expect(pool.map((r) => r.assetType).sort()).toEqual([
      'iam.googleapis.com/ServiceAccount',
      'storage.googleapis.com/Bucket',
    ]);
    const sa = pool.find((r) => r.assetType === 'iam.googleapis.com/ServiceAccount');
    expect(sa?.policy.bindings).toEqual([
      { role: 'roles/iam.workloadIdentityUser', members: ['serviceAccount:acme-shop.svc.id.goog[shop/cart]'] },
    ]);
    expect(sa?.folders).toEqual(['folders/700000000002', 'folders/700000000001']);
    expect(sa?.organization).toBe('organizations/555000111222');
    expect(sa?.project).toBe('projects/123456789012');

    const minting = await search(
      '--scope=folders/700000000002',
      '--query=policy.role.permissions:iam.serviceAccounts.getAccessToken',
      '--asset-types=iam.googleapis.com/ServiceAccount',
    );
    expect(minting).toHaveLength(1);
    expect(minting[0]?.explanation?.matchedPermissions['roles/iam.workloadIdentityUser']?.permissions).toEqual([
      'iam.serviceAccounts.getAccessToken',
    ]);
    // acme-data sits in the parent folder, not under folders/700000000002.
    expect(await search('--scope=folders/700000000002', '--query=resource:acme-data')).toEqual([]);
    const owners = await search(
      '--scope=projects/acme-shop',
      '--query=policy:roles/owner AND policy:admin@example.com',
    );
    expect(owners.map((r) => r.resource)).toEqual(['//cloudresourcemanager.googleapis.com/projects/123456789012']);
  });

  test.skipIf(!HAS_CURL)('the REST surface: paging and an unreadable scope', async () => {
    const base = `${cli.sb.endpoints.cloudasset ?? ''}/v1/organizations/555000111222:searchAllIamPolicies`;
    const auth = `Authorization: Bearer ${cli.sb.adminToken}`;
    const first = JSON.parse(await cli.curl('-H', auth, `${base}?pageSize=2`)) as {
      results: unknown[];
      nextPageToken?: string;
    };
    expect(first.results).toHaveLength(2);
    expect(first.nextPageToken).toBeDefined();
    // Later pages come from the first page's snapshot, in order, until no token is left; the union is the
    // whole result, with no repeat.
    const all = JSON.parse(await cli.curl('-H', auth, `${base}?pageSize=500`)) as { results: unknown[] };
    const paged = [...first.results];
    let token = first.nextPageToken;
    while (token !== undefined) {
      const next = JSON.parse(
        await cli.curl('-H', auth, `${base}?pageSize=2&pageToken=${encodeURIComponent(token)}`),
      ) as { results: unknown[]; nextPageToken?: string };
      paged.push(...next.results);
      token = next.nextPageToken;
    }
    expect(paged).toEqual(all.results);
    const unknownToken = JSON.parse(await cli.curl('-H', auth, `${base}?pageToken=s999.2`)) as {
      error: { code: number };
    };
    expect(unknownToken.error.code).toBe(400);
    const denied = JSON.parse(
      await cli.curl('-H', auth, `${cli.sb.endpoints.cloudasset ?? ''}/v1/organizations/999:searchAllIamPolicies`),
    ) as { error: { code: number; status: string } };
    expect(denied.error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
  });
});
