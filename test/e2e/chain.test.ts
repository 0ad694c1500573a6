// The token chain's own logic, without HTTP: it stops at the first failure, never records a token, keeps the
// API's exact words, and one file per KSA round-trips through the bundle layout.

import { describe, expect, it } from 'vitest';
import { classifyPath, paths } from '../../src/collect/bundle/layout.js';
import { apiErrorText, runTokenChain } from '../../src/collect/live/e2e.js';
import type { StepOutcome, TokenChainApi } from '../../src/collect/live/e2e.js';

const CLUSTER = { project: 'acme-shop', location: 'europe-west1', name: 'prod' };
const POOL = 'acme-shop.svc.id.goog';
const KUBE_TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.kube-secret.sig';
const FEDERATED = 'ya29.d.federated-secret';

function fakeApi(overrides: Partial<TokenChainApi> = {}): TokenChainApi & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    tokenRequest: (ns, ksa, aud) => {
      calls.push(['token-request', ns, ksa, aud]);
      return Promise.resolve<StepOutcome<string>>({ ok: true, value: KUBE_TOKEN });
    },
    stsExchange: (token, aud) => {
      calls.push(['sts-exchange', token, aud]);
      return Promise.resolve<StepOutcome<string>>({ ok: true, value: FEDERATED });
    },
    generateAccessToken: (token, gsa) => {
      calls.push(['generate-access-token', token, gsa]);
      return Promise.resolve<StepOutcome<null>>({ ok: true, value: null });
    },
    ...overrides,
  };
}

describe('runTokenChain', () => {
  it('passes each token to the next step with the GKE audiences, and records none of them', async () => {
    const api = fakeApi();
    const result = await runTokenChain(
      api,
      { namespace: 'shop', ksa: 'cart', gsa: 'cart@acme-shop.iam.gserviceaccount.com' },
      CLUSTER,
      POOL,
      () => new Date('2026-11-12T14:00:00Z'),
    );
    expect(api.calls).toEqual([
      ['token-request', 'shop', 'cart', POOL],
      [
        'sts-exchange',
        KUBE_TOKEN,
        `identitynamespace:${POOL}:https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod`,
      ],
      ['generate-access-token', FEDERATED, 'cart@acme-shop.iam.gserviceaccount.com'],
    ]);
    expect(result.subject).toBe('shop/cart');
    expect(result.at).toBe('2026-11-12T14:00:00.000Z');
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ['token-request', true],
      ['sts-exchange', true],
      ['generate-access-token', true],
    ]);
    const text = JSON.stringify(result);
    expect(text).not.toContain('kube-secret');
    expect(text).not.toContain('federated-secret');
  });

  it('stops at the first failure and keeps the exact words and code', async () => {
    const api = fakeApi({
      stsExchange: () =>
        Promise.resolve({ ok: false, status: 400, code: 'invalid_grant', error: 'ID Token has expired.' }),
    });
    const result = await runTokenChain(
      api,
      { namespace: 'shop', ksa: 'cart', gsa: 'x@p.iam.gserviceaccount.com' },
      CLUSTER,
      POOL,
    );
    // The overridden STS step records no call of its own; generateAccessToken must never be reached.
    expect(api.calls.map((c) => c[0])).toEqual(['token-request']);
    expect(result.steps).toHaveLength(2);
    expect(result.steps.at(-1)).toMatchObject({
      step: 'sts-exchange',
      ok: false,
      status: 400,
      code: 'invalid_grant',
      error: 'ID Token has expired.',
    });
  });

  it('under direct binding ends with the federated token', async () => {
    const api = fakeApi();
    const result = await runTokenChain(api, { namespace: 'shop', ksa: 'api', gsa: undefined }, CLUSTER, POOL);
    expect(result.steps.map((s) => s.step)).toEqual(['token-request', 'sts-exchange']);
    expect(result.gsa).toBeUndefined();
  });
});

describe('apiErrorText', () => {
  it('reads Google, STS, Kubernetes and plain-text errors as sent', () => {
    expect(apiErrorText({ error: { code: 403, message: 'Permission denied.', status: 'PERMISSION_DENIED' } })).toEqual({
      error: 'Permission denied.',
      code: 'PERMISSION_DENIED',
    });
    expect(apiErrorText({ error: 'invalid_target', error_description: 'The target service …' })).toEqual({
      error: 'The target service …',
      code: 'invalid_target',
    });
    // @kubernetes/client-node hands the body over as text.
    expect(
      apiErrorText(
        '{"kind":"Status","status":"Failure","message":"serviceaccounts \\"cart\\" not found","reason":"NotFound","code":404}',
      ),
    ).toEqual({ error: 'serviceaccounts "cart" not found', code: 'NotFound' });
    expect(apiErrorText('upstream connect error\n')).toEqual({ error: 'upstream connect error' });
    expect(apiErrorText(undefined)).toEqual({});
  });
});

describe('bundle layout of e2e files', () => {
  it('a KSA name with dots survives the round trip (namespaces have none)', () => {
    const path = paths.e2e('shop', 'cart.v2');
    expect(path).toBe('e2e/shop.cart.v2.json');
    expect(classifyPath(path)).toEqual({ role: 'e2e', subject: 'shop/cart.v2' });
    expect(classifyPath('e2e/nested/shop.cart.json').role).toBe('unknown');
  });
});
