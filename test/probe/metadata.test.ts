// The probe in GKE metadata-server mode against the sandbox's per-pod metadata servers.

import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderProbeText } from '../../src/probe/render.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import { CART_GSA, NODE_SA, podOf, probe, result, step, testFlags } from './helpers.js';

const scenario = (name: string): string => fileURLToPath(new URL(`../../scenarios/${name}.yaml`, import.meta.url));

function withScenario(name: string): () => RunningSandbox {
  let sb: RunningSandbox | undefined;
  beforeAll(async () => {
    sb = await startSandbox({ scenario: scenario(name) });
  });
  afterAll(async () => {
    await sb?.stop();
  });
  return () => {
    if (!sb) throw new Error('sandbox not started');
    return sb;
  };
}

describe('healthy', () => {
  const sb = withScenario('healthy');

  test('cart: reachable, the expected GSA, a token and an identity token', async () => {
    const cart = podOf(sb(), 'cart-');
    const report = await probe(testFlags(cart, { expectGsa: CART_GSA, audience: 'https://cart.example' }));
    expect(report.probe.mode).toBe('metadata');
    expect(result(report, 'metadata-server-reachable').status).toBe('pass');
    expect(step(report, 'metadata-server-reachable', 'metadata-flavor').evidence?.['metadata-flavor']).toBe('Google');
    expect(step(report, 'metadata-server-reachable', 'dns').status).toBe('pass');
    const identity = result(report, 'pod-identity');
    expect(identity.status).toBe('pass');
    expect(identity.evidence?.actual).toBe(CART_GSA);
    expect(step(report, 'pod-identity', 'email').evidence?.server).toBe('gke-metadata-server');
    const token = step(report, 'pod-access-token', 'token');
    expect(token.status).toBe('pass');
    expect(token.evidence?.expires_in).toBeGreaterThan(0);
    expect(step(report, 'pod-access-token', 'identity-token').status).toBe('pass');
    expect(result(report, 'credential-config').status).toBe('skip');
    expect(result(report, 'target-permission').status).toBe('skip');
    expect(report.summary.fail).toBe(0);
    expect(report.results.every((r) => r.subject === `shop/pod/${cart.name}`)).toBe(true);
    expect(report.probe.project).toBe('acme-shop');
  });

  test('cart without --expect-gsa: the GSA is shown as not compared (–), never as a pass', async () => {
    const report = await probe(testFlags(podOf(sb(), 'cart-')));
    const identity = result(report, 'pod-identity');
    expect(identity.status).toBe('skip');
    expect(identity.evidence?.actual).toBe(CART_GSA);
    expect(identity.cause).toMatch(/not compared .*--expect-gsa/);
    const text = renderProbeText(report, { hidePass: false });
    expect(text).toMatch(/^– pod-identity +the pod is cart/m);
    expect(text).not.toMatch(/^✓ pod-identity/m);
  });

  test('the access token is never in the report', async () => {
    const cart = podOf(sb(), 'cart-');
    const report = await probe(testFlags(cart, { audience: 'https://cart.example' }));
    const json = JSON.stringify(report);
    expect(json).not.toMatch(/ya29\./);
    expect(json).not.toMatch(/eyJ[A-Za-z0-9_-]{6,}\.eyJ/);
  });

  test('api (direct binding): the pool is the identity; expecting a GSA fails', async () => {
    const api = podOf(sb(), 'api-');
    const plain = await probe(testFlags(api));
    expect(result(plain, 'pod-identity').status).toBe('pass');
    expect(result(plain, 'pod-identity').evidence?.actual).toBe('acme-shop.svc.id.goog');
    expect(result(plain, 'pod-access-token').status).toBe('pass');
    const expecting = await probe(testFlags(api, { expectGsa: CART_GSA }));
    expect(result(expecting, 'pod-identity').status).toBe('fail');
    expect(result(expecting, 'pod-identity').cause).toMatch(/annotation/);
  });

  test('target-permission: testIamPermissions on the project says what is missing', async () => {
    const cart = podOf(sb(), 'cart-');
    const report = await probe(testFlags(cart, { need: ['resourcemanager.projects.get'], on: 'projects/acme-shop' }), {
      WI_DOCTOR_CLOUDRESOURCEMANAGER_ENDPOINT: sb().endpoints.cloudresourcemanager,
    });
    const r = result(report, 'target-permission');
    expect(r.status).toBe('fail');
    expect(r.cause).toContain('resourcemanager.projects.get');
  });

  test('a proxy that would intercept the metadata server fails the environment step', async () => {
    const cart = podOf(sb(), 'cart-');
    const report = await probe(testFlags(cart), { HTTPS_PROXY: 'http://user:secret@proxy.corp:3128' });
    const env = step(report, 'metadata-server-reachable', 'environment');
    expect(env.status).toBe('fail');
    expect(env.message).toMatch(/NO_PROXY/);
    expect(JSON.stringify(report)).not.toContain('secret');
    const excluded = await probe(testFlags(cart), {
      HTTPS_PROXY: 'http://proxy.corp:3128',
      NO_PROXY: '169.254.169.254,.google.internal',
    });
    expect(step(excluded, 'metadata-server-reachable', 'environment').status).toBe('pass');
  });

  test('GCE_METADATA_HOST is honoured', async () => {
    const cart = podOf(sb(), 'cart-');
    const { metadataHost: _ignored, ...flags } = testFlags(cart);
    const report = await probe(flags, { GCE_METADATA_HOST: cart.metadataHost });
    expect(report.probe.metadataHost).toBe(cart.metadataHost);
    expect(result(report, 'pod-access-token').status).toBe('pass');
  });
});

describe('missing-binding', () => {
  const sb = withScenario('missing-binding');
  test('the metadata server 403 is recognised and explained', async () => {
    const report = await probe(testFlags(podOf(sb(), 'cart-'), { expectGsa: CART_GSA }));
    expect(result(report, 'pod-identity').status).toBe('pass');
    const token = result(report, 'pod-access-token');
    expect(token.status).toBe('fail');
    expect(step(report, 'pod-access-token', 'token').evidence?.explained).toBe('missing-binding');
    expect(token.cause).toMatch(/roles\/iam\.workloadIdentityUser/);
    expect(token.cause).toContain(CART_GSA);
    // A 403 is final: no retries.
    expect(step(report, 'pod-access-token', 'token').attempts).toBe(1);
  });
});

describe.each(['host-network', 'gce-metadata-pool'])('%s: node identity', (name) => {
  const sb = withScenario(name);
  test('pod-identity fails naming the node SA, told apart by the server kind alone', async () => {
    const report = await probe(testFlags(podOf(sb(), 'cart-'), { expectGsa: CART_GSA }));
    const identity = result(report, 'pod-identity');
    expect(identity.status).toBe('fail');
    expect(identity.evidence?.actual).toBe(NODE_SA);
    expect(step(report, 'pod-identity', 'email').evidence?.identity).toBe('node-sa');
    expect(step(report, 'pod-identity', 'email').evidence?.server).toBe('compute-engine-metadata-server');
  });
  test('with --node-sa and no expectation it still fails', async () => {
    const report = await probe(testFlags(podOf(sb(), 'cart-'), { nodeSa: NODE_SA }));
    expect(result(report, 'pod-identity').status).toBe('fail');
    expect(result(report, 'pod-identity').cause).toMatch(/node/);
  });
});

describe.each(['netpol-blocks-metadata', 'metadata-server-down'])('%s: no answer', (name) => {
  const sb = withScenario(name);
  test('reported as a timeout within a bounded time, later steps not tried', async () => {
    const started = Date.now();
    const report = await probe(testFlags(podOf(sb(), 'cart-'), { timeout: 0.4 }));
    const elapsed = Date.now() - started;
    // DNS + TCP + one HTTP attempt (timeouts are not retried), each bounded by the timeout.
    expect(elapsed).toBeLessThan(3 * 400 + 1000);
    const reach = result(report, 'metadata-server-reachable');
    expect(reach.status).toBe('fail');
    expect(reach.cause).toMatch(/timeout/);
    expect(reach.cause).toMatch(/NetworkPolicy/);
    expect(step(report, 'metadata-server-reachable', 'metadata-flavor').attempts).toBe(1);
    expect(result(report, 'pod-identity').status).toBe('unknown');
    expect(result(report, 'pod-access-token').status).toBe('unknown');
  });
});

describe('metadata-server-unhealthy', () => {
  const sb = withScenario('metadata-server-unhealthy');
  test('500s are retried, then reported as still failing', async () => {
    const report = await probe(testFlags(podOf(sb(), 'cart-')));
    const flavor = step(report, 'metadata-server-reachable', 'metadata-flavor');
    expect(flavor.status).toBe('fail');
    expect(flavor.attempts).toBe(3);
    expect(flavor.message).toMatch(/still failing after 3 attempts/);
    expect(flavor.message).toMatch(/gke-metadata-server/);
  });
});

describe('gsa-disabled', () => {
  const sb = withScenario('gsa-disabled');
  test('the token fails and the refusal is explained', async () => {
    const report = await probe(testFlags(podOf(sb(), 'cart-'), { expectGsa: CART_GSA }));
    const token = result(report, 'pod-access-token');
    expect(token.status).toBe('fail');
    expect(step(report, 'pod-access-token', 'token').evidence?.explained).toBe('gsa-disabled');
    expect(token.cause).toMatch(/disabled/);
  });
});
