// The service-account token issuer is GKE's (https://container.googleapis.com/v1/projects/P/locations/L/
// clusters/C), as on GKE, while its keys stay reachable locally: at the API server's /openid/v1/jwks and at the
// sandbox's container API (…/clusters/C/jwks and its OIDC discovery). wi-doctor's own users of the issuer keep
// working: token verify --from-issuer (through the container endpoint override) and --from-cluster, and STS.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTokenVerify, type TokenIo, type TokenVerifyOptions } from '../../../src/cli/actions/token.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import { HAS_KUBECTL, scenario } from '../helpers.js';
import { kubectlFor, type Kubectl } from './kubectl.js';

const ISSUER = 'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod';

let sb: RunningSandbox;
let dir: string;
beforeAll(async () => {
  sb = await startSandbox({ scenario: scenario('healthy') });
  dir = mkdtempSync(join(tmpdir(), 'wi-issuer-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await sb.stop();
});

async function mint(audience: string): Promise<string> {
  const res = await fetch(`${sb.endpoints.kubernetes ?? ''}/api/v1/namespaces/shop/serviceaccounts/cart/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: [audience] },
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { status: { token: string } }).status.token;
}

describe('issuer and keys', () => {
  it('tokens carry the GKE issuer; the API server and the container API publish the same key', async () => {
    const token = await mint('acme-shop.svc.id.goog');
    expect(decodeJwt(token).iss).toBe(ISSUER);
    const kube = (await (await fetch(`${sb.endpoints.kubernetes ?? ''}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(kube.issuer).toBe(ISSUER);
    const gke = (await (
      await fetch(
        `${sb.endpoints.container ?? ''}/v1/projects/acme-shop/locations/europe-west1/clusters/prod/.well-known/openid-configuration`,
      )
    ).json()) as { issuer: string; jwks_uri: string };
    expect(gke.issuer).toBe(ISSUER);
    for (const jwksUri of [kube.jwks_uri, gke.jwks_uri]) {
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUri)), {
        issuer: ISSUER,
        audience: 'acme-shop.svc.id.goog',
      });
      expect(payload.sub).toBe('system:serviceaccount:shop:cart');
    }
  });

  it('STS accepts a kubectl-minted token for the pool', async () => {
    const token = await mint('acme-shop.svc.id.goog');
    const res = await fetch(`${sb.endpoints.sts ?? ''}/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        audience: `identitynamespace:acme-shop.svc.id.goog:${ISSUER}`,
        scope: 'https://www.googleapis.com/auth/cloud-platform',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token: token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      }).toString(),
    });
    expect(res.status).toBe(200);
  });
});

describe('wi-doctor token verify against the sandbox', () => {
  const verify = async (
    file: string,
    options: Partial<TokenVerifyOptions>,
  ): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const sink = (append: (s: string) => void): Writable =>
      new Writable({
        write(chunk: Buffer, _enc, done) {
          append(chunk.toString());
          done();
        },
      });
    const io: TokenIo = { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env: { ...sb.env } };
    const code = await runTokenVerify({ file, format: 'json', ...options }, io);
    return { code, out, err };
  };

  it('--from-issuer discovers the GKE issuer through the container endpoint; --from-cluster reads the issuer', async () => {
    const file = join(dir, 'token.jwt');
    writeFileSync(file, await mint('acme-shop.svc.id.goog'));
    const byIssuer = await verify(file, { fromIssuer: true, expectIssuer: ISSUER });
    expect(byIssuer.err).toBe('');
    expect(byIssuer.code).toBe(0);
    expect(JSON.parse(byIssuer.out)).toMatchObject({
      ok: true,
      keySource: expect.stringMatching(
        /^http:\/\/127\.0\.0\.1:\d+\/v1\/projects\/acme-shop\/locations\/europe-west1\/clusters\/prod\/jwks$/,
      ),
    });
    const byCluster = await verify(file, { fromCluster: true });
    expect(byCluster.code).toBe(0);
    // Without the override, discovery would go to Google: the override is what reaches the sandbox.
    const elsewhere = await verify(file, {
      fromIssuer: true,
      expectIssuer: 'https://container.googleapis.com/v1/projects/other/locations/x/clusters/y',
    });
    expect(elsewhere.code).not.toBe(0);
  });
});

describe.skipIf(!HAS_KUBECTL)('kubectl', () => {
  let kubectl: Kubectl;
  beforeAll(() => {
    kubectl = kubectlFor(sb);
  });
  afterAll(() => {
    kubectl.dispose();
  });

  it('kubectl get --raw of the discovery document names the GKE issuer', async () => {
    const r = await kubectl(['get', '--raw', '/.well-known/openid-configuration']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      issuer: ISSUER,
      jwks_uri: `${sb.endpoints.kubernetes ?? ''}/openid/v1/jwks`,
    });
  });
});
