// The metadata server each pod sees, scenario by scenario (FACTS §2, §5).

import { describe, expect, test } from 'vitest';
import { CART_GSA, mds, NODE_SA, pod, withSandbox } from './helpers.js';

const MISSING_BINDING_TEXT = `Unable to generate access token; IAM returned 403 Forbidden: Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).
This error could be caused by a missing IAM policy binding on the target IAM service account.
For more information, refer to the Workload Identity documentation:
\thttps://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#authenticating_to
`;

const TOKEN = 'instance/service-accounts/default/token';
const EMAIL = 'instance/service-accounts/default/email';

async function tokenInfo(oauth2: string, token: string): Promise<Record<string, string>> {
  const res = await fetch(`${oauth2}/tokeninfo?access_token=${encodeURIComponent(token)}`);
  return (await res.json()) as Record<string, string>;
}

describe('cart pod token, per failure mode', () => {
  test.each([
    'missing-binding',
    'wrong-namespace',
    'annotation-typo',
    'cross-project-pool',
    'service-account-user',
    'conditional-binding',
    'iam-propagation',
    'gsa-recreated',
  ])('%s: 403 with the metadata server text of FACTS §2', async (name) => {
    await withSandbox(name, async (sb) => {
      const answer = await mds(pod(sb, 'cart-'), TOKEN);
      expect(answer.status).toBe(403);
      expect(answer.body).toBe(MISSING_BINDING_TEXT);
      expect(answer.flavor).toBe('Google');
    });
  });

  test.each(['gce-metadata-pool', 'host-network', 'no-workload-pool', 'metadata-concealment'])(
    '%s: the node service account answers',
    async (name) => {
      await withSandbox(name, async (sb) => {
        const cart = pod(sb, 'cart-');
        expect((await mds(cart, EMAIL)).body).toBe(NODE_SA);
        const answer = await mds(cart, TOKEN);
        expect(answer.status).toBe(200);
        const token = (JSON.parse(answer.body) as { access_token: string }).access_token;
        expect((await tokenInfo(sb.endpoints.oauth2 ?? '', token)).email).toBe(NODE_SA);
      });
    },
  );

  test('metadata-concealment: kube-env is concealed', async () => {
    await withSandbox('metadata-concealment', async (sb) => {
      const answer = await mds(pod(sb, 'cart-'), 'instance/attributes/kube-env');
      expect(answer.status).toBe(403);
      expect(answer.body).toBe('This metadata endpoint is concealed.\n');
    });
  });

  test.each(['netpol-blocks-metadata', 'metadata-server-down'])('%s: no answer (client timeout)', async (name) => {
    await withSandbox(name, async (sb) => {
      expect((await mds(pod(sb, 'cart-'), TOKEN, { timeoutMs: 300 })).status).toBe('timeout');
    });
  });

  test('metadata-server-unhealthy: 500 GKE Metadata Server: Internal Server Error', async () => {
    await withSandbox('metadata-server-unhealthy', async (sb) => {
      const answer = await mds(pod(sb, 'cart-'), TOKEN);
      expect(answer.status).toBe(500);
      expect(answer.body).toBe('GKE Metadata Server: Internal Server Error');
    });
  });

  test('iamcredentials-disabled: the token call fails naming the API', async () => {
    await withSandbox('iamcredentials-disabled', async (sb) => {
      const answer = await mds(pod(sb, 'cart-'), TOKEN);
      expect(answer.status).toBe(403);
      expect(answer.body).toMatch(
        /^Unable to generate access token; IAM returned 403 Forbidden: IAM Service Account Credentials API has not been used in project 123456789012/,
      );
    });
  });

  test('gsa-disabled: the token call fails', async () => {
    await withSandbox('gsa-disabled', async (sb) => {
      const answer = await mds(pod(sb, 'cart-'), TOKEN);
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('Unable to generate access token; IAM returned 400');
    });
  });

  test('default-ksa: the pod runs as shop/default, a direct (federated) identity', async () => {
    await withSandbox('default-ksa', async (sb) => {
      const cart = pod(sb, 'cart-');
      expect((await mds(cart, EMAIL)).body).toBe('acme-shop.svc.id.goog');
      const answer = await mds(cart, TOKEN);
      expect(answer.status).toBe(200);
      expect((JSON.parse(answer.body) as { access_token: string }).access_token).toMatch(/^ya29\.d\./);
    });
  });
});

describe('healthy world', () => {
  test('cart gets the annotated GSA token; api gets a federated token; the rule on Metadata-Flavor holds', async () => {
    await withSandbox('healthy', async (sb) => {
      const cart = pod(sb, 'cart-7d9f8b6c5d-abcde');
      expect((await mds(cart, EMAIL)).body).toBe(CART_GSA);
      const answer = await mds(cart, TOKEN);
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.body) as { access_token: string; expires_in: number; token_type: string };
      expect(body.token_type).toBe('Bearer');
      expect(body.expires_in).toBe(3599);
      expect((await tokenInfo(sb.endpoints.oauth2 ?? '', body.access_token)).email).toBe(CART_GSA);

      const api = pod(sb, 'api-');
      expect((await mds(api, EMAIL)).body).toBe('acme-shop.svc.id.goog');
      expect((await mds(api, 'project/project-id')).body).toBe('acme-shop');
      expect((await mds(api, 'project/numeric-project-id')).body).toBe('123456789012');
      expect((await mds(api, 'instance/attributes/cluster-name')).body).toBe('prod');
      expect((await mds(api, 'instance/attributes/cluster-location')).body).toBe('europe-west1');
      const recursive = await mds(api, 'instance/service-accounts/default/?recursive=true');
      expect(JSON.parse(recursive.body)).toEqual({
        aliases: ['default'],
        email: 'acme-shop.svc.id.goog',
        scopes: ['https://www.googleapis.com/auth/cloud-platform'],
      });

      const noFlavor = await mds(cart, TOKEN, { flavor: false });
      expect(noFlavor.status).toBe(403);

      const id = await mds(cart, 'instance/service-accounts/default/identity?audience=https://example.com&format=full');
      expect(id.status).toBe(200);
      const claims = JSON.parse(Buffer.from(id.body.split('.')[1] ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
      expect(claims.aud).toBe('https://example.com');
      expect(claims.email).toBe(CART_GSA);
    });
  });

  test('audit: a GenerateAccessToken entry exists only when ADMIN_READ is on', async () => {
    for (const [name, expected] of [
      ['healthy', 1],
      ['audit-logs-off', 0],
    ] as const) {
      await withSandbox(name, async (sb) => {
        await mds(pod(sb, 'cart-'), TOKEN);
        const res = await fetch(`${sb.endpoints.logging}/v2/entries:list`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${sb.adminToken}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            resourceNames: ['projects/acme-shop'],
            filter:
              'protoPayload.methodName="GenerateAccessToken" AND resource.labels.email_id="cart-gsa@acme-shop.iam.gserviceaccount.com"',
          }),
        });
        const entries =
          (
            (await res.json()) as {
              entries?: {
                protoPayload: {
                  requestMetadata: { callerSuppliedUserAgent: string };
                  authenticationInfo: { principalSubject?: string };
                };
              }[];
            }
          ).entries ?? [];
        expect(entries).toHaveLength(expected);
        if (expected > 0) {
          expect(entries[0]?.protoPayload.requestMetadata.callerSuppliedUserAgent).toContain('gke-metadata-server');
          expect(entries[0]?.protoPayload.authenticationInfo.principalSubject).toContain('/subject/ns/shop/sa/cart');
        }
      });
    }
  });
});
