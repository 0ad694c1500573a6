// Google APIs through the official generated clients, pointed at the sandbox with rootUrl.

import { cloudresourcemanager } from '@googleapis/cloudresourcemanager';
import { container } from '@googleapis/container';
import { iam } from '@googleapis/iam';
import { iamcredentials } from '@googleapis/iamcredentials';
import { sts } from '@googleapis/sts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import { authFor, CART_GSA, rootUrl, scenario } from './helpers.js';

const IAM_DENIED_403 = {
  error: {
    code: 403,
    message: "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
    status: 'PERMISSION_DENIED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'iam.googleapis.com',
        metadata: { permission: 'iam.serviceAccounts.getAccessToken' },
      },
    ],
  },
};

let sb: RunningSandbox;
beforeAll(async () => {
  const t0 = performance.now();
  sb = await startSandbox({ scenario: scenario('healthy') });
  // Measured, not asserted tightly: the brief asks for under a second on an idle machine.
  console.log(`healthy sandbox started in ${Math.round(performance.now() - t0)} ms`);
});
afterAll(async () => {
  await sb.stop();
});

async function failure(
  p: Promise<unknown>,
): Promise<{ status: number; data: unknown; headers: Record<string, string> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { status?: number; response?: { status: number; data: unknown; headers: Record<string, string> } };
    return {
      status: err.response?.status ?? err.status ?? 0,
      data: err.response?.data,
      headers: err.response?.headers ?? {},
    };
  }
  throw new Error('expected the call to fail');
}

describe('iam v1', () => {
  const client = () => iam({ version: 'v1', rootUrl: rootUrl(sb, 'iam'), auth: authFor(sb.adminToken) });
  const resource = `projects/-/serviceAccounts/${CART_GSA}`;

  test('lists and gets service accounts', async () => {
    const list = await client().projects.serviceAccounts.list({ name: 'projects/acme-shop' });
    expect(list.data.accounts?.map((a) => a.email)).toContain(CART_GSA);
    const got = await client().projects.serviceAccounts.get({ name: `projects/acme-shop/serviceAccounts/${CART_GSA}` });
    expect(got.data.uniqueId).toMatch(/^\d{21}$/);
    expect(got.data.disabled).toBeUndefined();
    const missing = await failure(
      client().projects.serviceAccounts.get({
        name: 'projects/acme-shop/serviceAccounts/nobody@acme-shop.iam.gserviceaccount.com',
      }),
    );
    expect(missing.status).toBe(404);
    const hidden = await failure(
      client().projects.serviceAccounts.get({
        name: 'projects/-/serviceAccounts/nobody@acme-shop.iam.gserviceaccount.com',
      }),
    );
    expect(hidden.status).toBe(403);
  });

  test('stale etag: 409 ABORTED; concurrent read-modify-write writers with retry lose nothing', async () => {
    const c = client();
    const first = await c.projects.serviceAccounts.getIamPolicy({ resource, 'options.requestedPolicyVersion': 3 });
    const stale = first.data.etag;
    await c.projects.serviceAccounts.setIamPolicy({ resource, requestBody: { policy: { ...first.data } } });
    const conflict = await failure(
      c.projects.serviceAccounts.setIamPolicy({ resource, requestBody: { policy: { ...first.data, etag: stale } } }),
    );
    expect(conflict.status).toBe(409);
    expect((conflict.data as { error: { status: string } }).error.status).toBe('ABORTED');

    const members = Array.from({ length: 8 }, (_v, i) => `user:writer${i}@example.com`);
    let conflicts = 0;
    await Promise.all(
      members.map(async (member) => {
        for (;;) {
          const cur = await c.projects.serviceAccounts.getIamPolicy({ resource, 'options.requestedPolicyVersion': 3 });
          const bindings = [
            ...(cur.data.bindings ?? []),
            { role: 'roles/iam.serviceAccountTokenCreator', members: [member] },
          ];
          try {
            await c.projects.serviceAccounts.setIamPolicy({
              resource,
              requestBody: { policy: { version: 3, etag: cur.data.etag, bindings } },
            });
            return;
          } catch (e) {
            if ((e as { status?: number }).status !== 409) throw e;
            conflicts += 1;
          }
        }
      }),
    );
    const final = await c.projects.serviceAccounts.getIamPolicy({ resource, 'options.requestedPolicyVersion': 3 });
    const granted = (final.data.bindings ?? []).flatMap((b) =>
      b.role === 'roles/iam.serviceAccountTokenCreator' ? (b.members ?? []) : [],
    );
    expect(new Set(granted)).toEqual(new Set(members));
    expect((final.data.bindings ?? []).some((b) => b.role === 'roles/iam.workloadIdentityUser')).toBe(true);
    expect(conflicts).toBeGreaterThanOrEqual(0);
  });

  test('a binding to a pool that does not exist is refused', async () => {
    const c = client();
    const cur = await c.projects.serviceAccounts.getIamPolicy({ resource });
    const res = await failure(
      c.projects.serviceAccounts.setIamPolicy({
        resource,
        requestBody: {
          policy: {
            etag: cur.data.etag,
            bindings: [
              { role: 'roles/iam.workloadIdentityUser', members: ['serviceAccount:acme-data.svc.id.goog[shop/cart]'] },
            ],
          },
        },
      }),
    );
    expect(res.status).toBe(400);
    expect((res.data as { error: { message: string } }).error.message).toMatch(
      /^Identity Pool does not exist \(acme-data\.svc\.id\.goog\)/,
    );
  });

  test('roles resolve from the catalog', async () => {
    const role = await client().roles.get({ name: 'roles/iam.workloadIdentityUser' });
    expect(role.data.includedPermissions).toContain('iam.serviceAccounts.getAccessToken');
  });
});

describe('iamcredentials v1', () => {
  test('the IAM 403, field for field, for a caller without the binding', async () => {
    const client = iamcredentials({
      version: 'v1',
      rootUrl: rootUrl(sb, 'iamcredentials'),
      auth: authFor(sb.adminToken),
    });
    // Owner does not include getAccessToken.
    const res = await failure(
      client.projects.serviceAccounts.generateAccessToken({
        name: `projects/-/serviceAccounts/${CART_GSA}`,
        requestBody: { scope: ['https://www.googleapis.com/auth/cloud-platform'] },
      }),
    );
    expect(res.status).toBe(403);
    expect(res.data).toEqual(IAM_DENIED_403);
  });
});

describe('sts v1 and federation', () => {
  async function ksaToken(audience: string): Promise<string> {
    const res = await fetch(`${sb.endpoints.kubernetes}/api/v1/namespaces/shop/serviceaccounts/cart/token`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sb.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: [audience], expirationSeconds: 3600 },
      }),
    });
    return ((await res.json()) as { status: { token: string } }).status.token;
  }
  const audience =
    'identitynamespace:acme-shop.svc.id.goog:https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod';

  test('JSON camelCase exchange, then generateAccessToken with the KSA principal', async () => {
    const client = sts({ version: 'v1', rootUrl: rootUrl(sb, 'sts') });
    const exchanged = await client.v1.token({
      requestBody: {
        grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
        requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
        subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
        subjectToken: await ksaToken('acme-shop.svc.id.goog'),
        audience,
        scope: 'https://www.googleapis.com/auth/cloud-platform',
      },
    });
    expect(exchanged.data.token_type).toBe('Bearer');
    const federated = exchanged.data.access_token ?? '';
    const creds = iamcredentials({ version: 'v1', rootUrl: rootUrl(sb, 'iamcredentials'), auth: authFor(federated) });
    const minted = await creds.projects.serviceAccounts.generateAccessToken({
      name: `projects/-/serviceAccounts/${CART_GSA}`,
      requestBody: { scope: ['https://www.googleapis.com/auth/cloud-platform'] },
    });
    expect(minted.data.accessToken).toMatch(/^ya29\./);
    const denied = await failure(
      creds.projects.serviceAccounts.generateAccessToken({
        name: 'projects/-/serviceAccounts/reader@acme-data.iam.gserviceaccount.com',
        requestBody: { scope: [] },
      }),
    );
    expect(denied.data).toEqual(IAM_DENIED_403);
  });

  test('errors: unknown pool → invalid_target; wrong token audience → invalid_grant', async () => {
    const form = async (body: Record<string, string>) => {
      const res = await fetch(`${sb.endpoints.sts}/v1/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body).toString(),
      });
      return { status: res.status, body: (await res.json()) as { error: string; error_description: string } };
    };
    const base = {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      scope: 'https://www.googleapis.com/auth/cloud-platform',
    };
    const target = await form({
      ...base,
      subject_token: await ksaToken('acme-shop.svc.id.goog'),
      audience: audience.replace('acme-shop.svc', 'acme-data.svc'),
    });
    expect(target.status).toBe(400);
    expect(target.body.error).toBe('invalid_target');
    expect(target.body.error_description).toMatch(
      /^The target service indicated by the "audience" parameters is invalid\./,
    );
    const grant = await form({ ...base, subject_token: await ksaToken('https://kubernetes.default.svc'), audience });
    expect(grant.body.error).toBe('invalid_grant');
    const ok = await form({ ...base, subject_token: await ksaToken('acme-shop.svc.id.goog'), audience });
    expect(ok.status).toBe(200);
  });
});

describe('container and resource manager', () => {
  test('cluster and node pools as GKE shows them; a pool mode change recreates its nodes', async () => {
    const client = container({ version: 'v1', rootUrl: rootUrl(sb, 'container'), auth: authFor(sb.adminToken) });
    const name = 'projects/acme-shop/locations/europe-west1/clusters/prod';
    const cluster = await client.projects.locations.clusters.get({ name });
    expect(cluster.data.workloadIdentityConfig?.workloadPool).toBe('acme-shop.svc.id.goog');
    expect(cluster.data.nodePools?.[0]?.config?.workloadMetadataConfig?.mode).toBe('GKE_METADATA');
    const nodesBefore = (await (
      await fetch(`${sb.endpoints.kubernetes}/api/v1/nodes?labelSelector=cloud.google.com/gke-nodepool=batch-pool`, {
        headers: { Authorization: `Bearer ${sb.adminToken}` },
      })
    ).json()) as { items: { metadata: { name: string } }[] };
    const op = await client.projects.locations.clusters.nodePools.update({
      name: `${name}/nodePools/batch-pool`,
      requestBody: { workloadMetadataConfig: { mode: 'GCE_METADATA' } },
    });
    expect(op.data.status).toBe('DONE');
    const pool = await client.projects.locations.clusters.nodePools.get({ name: `${name}/nodePools/batch-pool` });
    expect(pool.data.config?.workloadMetadataConfig?.mode).toBe('GCE_METADATA');
    const nodesAfter = (await (
      await fetch(`${sb.endpoints.kubernetes}/api/v1/nodes?labelSelector=cloud.google.com/gke-nodepool=batch-pool`, {
        headers: { Authorization: `Bearer ${sb.adminToken}` },
      })
    ).json()) as { items: { metadata: { name: string; labels: Record<string, string> } }[] };
    expect(nodesAfter.items[0]?.metadata.name).not.toBe(nodesBefore.items[0]?.metadata.name);
    expect(nodesAfter.items[0]?.metadata.labels['iam.gke.io/gke-metadata-server-enabled']).toBeUndefined();
    const jwks = await client.projects.locations.clusters.getJwks({ parent: name });
    expect(jwks.data.keys?.[0]?.alg).toBe('RS256');
  });

  test('projects v1 and v3; a caller without rights gets 403', async () => {
    const v1 = cloudresourcemanager({
      version: 'v1',
      rootUrl: rootUrl(sb, 'cloudresourcemanager'),
      auth: authFor(sb.adminToken),
    });
    expect((await v1.projects.get({ projectId: 'acme-shop' })).data.projectNumber).toBe('123456789012');
    const policy = await v1.projects.getIamPolicy({
      resource: 'acme-shop',
      requestBody: { options: { requestedPolicyVersion: 3 } },
    });
    expect(policy.data.auditConfigs?.[0]?.service).toBe('iam.googleapis.com');
    const v3 = cloudresourcemanager({
      version: 'v3',
      rootUrl: rootUrl(sb, 'cloudresourcemanager'),
      auth: authFor(sb.adminToken),
    });
    expect((await v3.projects.get({ name: 'projects/acme-shop' })).data.name).toBe('projects/123456789012');
    const stranger = cloudresourcemanager({
      version: 'v1',
      rootUrl: rootUrl(sb, 'cloudresourcemanager'),
      auth: authFor('not-a-token'),
    });
    expect((await failure(stranger.projects.get({ projectId: 'acme-shop' }))).status).toBe(401);
  });

  test('an unknown route fails loudly with a Google-shaped 404 naming the path', async () => {
    const res = await fetch(`${sb.endpoints.iam}/v1/nothing/here`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('/v1/nothing/here');
  });
});

describe('faults', () => {
  test('seeded 429 with Retry-After, repeatable; cleared by the admin endpoint', async () => {
    const run = async () => {
      await fetch(`${sb.endpoints.iam}/_sandbox/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          seed: 7,
          rules: [{ api: 'cloudresourcemanager', errorRate: 0.5, status: 429, retryAfterSeconds: 3 }],
        }),
      });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${sb.endpoints.cloudresourcemanager}/v1/projects/acme-shop`, {
          headers: { Authorization: `Bearer ${sb.adminToken}` },
        });
        if (res.status === 429) expect(res.headers.get('retry-after')).toBe('3');
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      return statuses;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a).toContain(429);
    expect(a).toContain(200);
    await fetch(`${sb.endpoints.iam}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ rules: [] }),
    });
    expect(
      (
        await fetch(`${sb.endpoints.cloudresourcemanager}/v1/projects/acme-shop`, {
          headers: { Authorization: `Bearer ${sb.adminToken}` },
        })
      ).status,
    ).toBe(200);
  });
});
