// The Kubernetes API through @kubernetes/client-node and kubectl; a 20,000-KSA world; google-auth-library
// reading a pod's token through its metadata server and through an external_account file.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AppsV1Api,
  AuthenticationV1TokenRequest,
  CoreV1Api,
  KubeConfig,
  V1BoundObjectReference,
  V1TokenRequestSpec,
} from '@kubernetes/client-node';
import { Compute, ExternalAccountClient } from 'google-auth-library';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import type { Scenario } from '../../src/sandbox/scenario/types.js';
import { CART_GSA, HAS_KUBECTL, pod, scenario, waitFor } from './helpers.js';

/** client-node's request bodies are model classes: build them as such rather than as look-alike literals. */
function tokenRequest(audiences: string[], boundPod?: string): AuthenticationV1TokenRequest {
  const spec = new V1TokenRequestSpec();
  spec.audiences = audiences;
  if (boundPod !== undefined) {
    spec.expirationSeconds = 3600;
    const ref = new V1BoundObjectReference();
    ref.kind = 'Pod';
    ref.apiVersion = 'v1';
    ref.name = boundPod;
    spec.boundObjectRef = ref;
  }
  const body = new AuthenticationV1TokenRequest();
  body.spec = spec;
  return body;
}

const run = promisify(execFile);
let sb: RunningSandbox;
let kc: KubeConfig;
beforeAll(async () => {
  sb = await startSandbox({ scenario: scenario('healthy') });
  kc = new KubeConfig();
  kc.loadFromFile(sb.kubeconfig);
});
afterAll(async () => {
  await sb.stop();
});

describe('@kubernetes/client-node', () => {
  test('get, list with selectors and pagination, NotFound Status', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const ksa = await core.readNamespacedServiceAccount({ name: 'cart', namespace: 'shop' });
    expect(ksa.metadata?.annotations?.['iam.gke.io/gcp-service-account']).toBe(CART_GSA);
    const pods = await core.listPodForAllNamespaces({ fieldSelector: 'spec.serviceAccountName=cart' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['cart-7d9f8b6c5d-abcde']);
    const byLabel = await core.listNamespacedPod({
      namespace: 'kube-system',
      labelSelector: 'k8s-app=gke-metadata-server',
    });
    expect(byLabel.items.length).toBe(2);
    const page1 = await core.listNamespacedServiceAccount({ namespace: 'shop', limit: 2 });
    expect(page1.items).toHaveLength(2);
    expect(page1.metadata?._continue).toBeTruthy();
    const page2 = await core.listNamespacedServiceAccount({
      namespace: 'shop',
      limit: 2,
      _continue: page1.metadata?._continue,
    });
    expect(page2.items.map((s) => s.metadata?.name)).toEqual(['default']);
    const missing = await core
      .readNamespacedServiceAccount({ name: 'nope', namespace: 'shop' })
      .catch((e: unknown) => e);
    const status = JSON.parse(String((missing as { body?: string }).body)) as {
      kind: string;
      reason: string;
      message: string;
      code: number;
    };
    expect(status).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      code: 404,
      message: 'serviceaccounts "nope" not found',
    });
  });

  test('TokenRequest: RS256, kid, issuer = the GKE issuer, keys found through OIDC discovery at the API server', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'cart',
      namespace: 'shop',
      body: tokenRequest(['acme-shop.svc.id.goog'], 'cart-7d9f8b6c5d-abcde'),
    });
    const token = tr.status?.token ?? '';
    const discovery = (await (await fetch(`${sb.endpoints.kubernetes}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(discovery.issuer).toBe(
      'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod',
    );
    expect(discovery.jwks_uri).toBe(`${sb.endpoints.kubernetes ?? ''}/openid/v1/jwks`);
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: discovery.issuer,
      audience: 'acme-shop.svc.id.goog',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload.sub).toBe('system:serviceaccount:shop:cart');
    const k8s = payload['kubernetes.io'] as {
      namespace: string;
      serviceaccount: { name: string; uid: string };
      pod: { name: string };
      node: { name: string };
    };
    expect(k8s.namespace).toBe('shop');
    expect(k8s.pod.name).toBe('cart-7d9f8b6c5d-abcde');
    expect(k8s.node.name).toBe('gke-prod-default-pool-1a2b3c4d-x1y2');
  });

  test('rollout restart (template annotation patch) replaces the pods and their metadata servers', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const before = sb.pods.filter((p) => p.name.startsWith('api-')).map((p) => p.name);
    await apps
      .patchNamespacedDeployment(
        {
          name: 'api',
          namespace: 'shop',
          body: {
            spec: {
              template: {
                metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } },
              },
            },
          },
        },
        // client-node 1.x sends JSON patch by default; a merge patch is what kubectl sends.
        { headers: { 'Content-Type': 'application/merge-patch+json' } } as never,
      )
      .catch(async () => {
        await fetch(`${sb.endpoints.kubernetes}/apis/apps/v1/namespaces/shop/deployments/api`, {
          method: 'PATCH',
          headers: { Authorization: `Bearer ${sb.adminToken}`, 'Content-Type': 'application/merge-patch+json' },
          body: JSON.stringify({
            spec: {
              template: {
                metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } },
              },
            },
          }),
        });
      });
    // A rolling update: the new pod starts, then the old one goes (with its metadata server).
    await waitFor(
      () => {
        const names = sb.pods.filter((p) => p.name.startsWith('api-')).map((p) => p.name);
        return names.length === 1 && names[0] !== before[0];
      },
      5000,
      'the rollout',
    );
    expect(sb.pods.filter((p) => p.name.startsWith('api-'))).toHaveLength(1);
  });
});

describe('google-auth-library', () => {
  test('reads the pod token through its metadata server (GCE_METADATA_HOST)', async () => {
    const cart = pod(sb, 'cart-');
    const saved = process.env.GCE_METADATA_HOST;
    process.env.GCE_METADATA_HOST = cart.metadataHost;
    try {
      // Compute is the client GoogleAuth picks on GKE; it reads GCE_METADATA_HOST at call time (gcp-metadata 8).
      const client = new Compute({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
      const token = await client.getAccessToken();
      expect(token.token).toMatch(/^ya29\./);
      const info = (await (
        await fetch(`${sb.endpoints.oauth2}/tokeninfo?access_token=${token.token ?? ''}`)
      ).json()) as { email: string };
      expect(info.email).toBe(CART_GSA);
    } finally {
      if (saved === undefined) delete process.env.GCE_METADATA_HOST;
      else process.env.GCE_METADATA_HOST = saved;
    }
  });

  test('external_account file: projected KSA token → STS (form) → impersonation of the GSA', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'cart',
      namespace: 'shop',
      body: tokenRequest(['acme-shop.svc.id.goog']),
    });
    const dir = await mkdtemp(join(tmpdir(), 'wi-sb-ext-'));
    try {
      await writeFile(join(dir, 'token'), tr.status?.token ?? '');
      const client = ExternalAccountClient.fromJSON({
        type: 'external_account',
        audience:
          'identitynamespace:acme-shop.svc.id.goog:https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod',
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `${sb.endpoints.sts}/v1/token`,
        service_account_impersonation_url: `${sb.endpoints.iamcredentials}/v1/projects/-/serviceAccounts/${CART_GSA}:generateAccessToken`,
        credential_source: { file: join(dir, 'token') },
        scopes: ['https://www.googleapis.com/auth/cloud-platform'],
      });
      expect(client).not.toBeNull();
      const token = await client?.getAccessToken();
      const info = (await (
        await fetch(`${sb.endpoints.oauth2}/tokeninfo?access_token=${token?.token ?? ''}`)
      ).json()) as { email: string };
      expect(info.email).toBe(CART_GSA);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('kubectl', () => {
  const kubectl = async (args: string[]) => {
    const { stdout } = await run('kubectl', args, {
      env: { ...process.env, KUBECONFIG: sb.kubeconfig },
      timeout: 20_000,
    });
    return stdout;
  };
  test.skipIf(!HAS_KUBECTL)('get -o json, annotate --overwrite, patch, rollout restart', async () => {
    const sa = JSON.parse(await kubectl(['get', 'serviceaccount', 'cart', '-n', 'shop', '-o', 'json'])) as {
      metadata: { annotations: Record<string, string> };
    };
    expect(sa.metadata.annotations['iam.gke.io/gcp-service-account']).toBe(CART_GSA);
    await kubectl([
      'annotate',
      'serviceaccount',
      'api',
      '-n',
      'shop',
      `iam.gke.io/gcp-service-account=${CART_GSA}`,
      '--overwrite',
    ]);
    expect(
      await kubectl(['get', 'serviceaccount', 'api', '-n', 'shop', '-o', 'jsonpath={.metadata.annotations}']),
    ).toContain(CART_GSA);
    await kubectl([
      'patch',
      'serviceaccount',
      'api',
      '-n',
      'shop',
      '-p',
      '{"metadata":{"annotations":{"iam.gke.io/gcp-service-account":"x@acme-shop.iam.gserviceaccount.com"}}}',
    ]);
    expect(
      await kubectl(['get', 'serviceaccount', 'api', '-n', 'shop', '-o', 'jsonpath={.metadata.annotations}']),
    ).toContain('x@acme-shop');
    const before = sb.pods.find((p) => p.name.startsWith('cart-'))?.name;
    await kubectl(['rollout', 'restart', 'deployment/cart', '-n', 'shop']);
    await kubectl(['rollout', 'status', 'deployment/cart', '-n', 'shop', '--timeout=20s']);
    await waitFor(() => sb.pods.filter((p) => p.name.startsWith('cart-')).length === 1, 5000, 'the old pod to go');
    const after = sb.pods.find((p) => p.name.startsWith('cart-'))?.name;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(
      await kubectl([
        'get',
        'deployment',
        'cart',
        '-n',
        'shop',
        '-o',
        'jsonpath={.spec.template.spec.serviceAccountName}',
      ]),
    ).toBe('cart');
  });
});

describe('scale', () => {
  test('a 20,000-KSA scenario loads and serves a paginated list', async () => {
    const serviceAccounts = Array.from({ length: 20_000 }, (_v, i) => ({ name: `ksa-${String(i).padStart(5, '0')}` }));
    const big: Scenario = {
      projects: [{ id: 'acme-shop', number: '123456789012' }],
      clusters: [
        {
          project: 'acme-shop',
          location: 'europe-west1',
          name: 'prod',
          namespaces: [{ name: 'many', serviceAccounts }],
        },
      ],
    };
    const t0 = performance.now();
    const large = await startSandbox({ scenario: big });
    try {
      console.log(`20,000-KSA sandbox started in ${Math.round(performance.now() - t0)} ms`);
      const k = new KubeConfig();
      k.loadFromFile(large.kubeconfig);
      const core = k.makeApiClient(CoreV1Api);
      let count = 0;
      let cont: string | undefined;
      do {
        const page = await core.listNamespacedServiceAccount({ namespace: 'many', limit: 5000, _continue: cont });
        count += page.items.length;
        cont = page.metadata?._continue;
      } while (cont);
      expect(count).toBe(20_001);
    } finally {
      await large.stop();
    }
  });
});
