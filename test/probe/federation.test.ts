// The probe in Workload Identity Federation mode: an external_account file whose token file holds a KSA
// token from the sandbox's TokenRequest, and whose token_url / impersonation URL point at the sandbox.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import { CART_GSA, probe, result, step, testFlags } from './helpers.js';

const POOL = 'acme-shop.svc.id.goog';
const AUDIENCE = `identitynamespace:${POOL}:https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod`;

let sb: RunningSandbox;
let dir: string;

beforeAll(async () => {
  sb = await startSandbox({ scenario: fileURLToPath(new URL('../../scenarios/healthy.yaml', import.meta.url)) });
  dir = await mkdtemp(join(tmpdir(), 'wi-doctor-probe-'));
});
afterAll(async () => {
  await sb.stop();
  await rm(dir, { recursive: true, force: true });
});

async function tokenRequest(ksa: string, audiences: string[]): Promise<string> {
  const res = await fetch(`${sb.endpoints.kubernetes ?? ''}/api/v1/namespaces/shop/serviceaccounts/${ksa}/token`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${sb.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ spec: { audiences, expirationSeconds: 3600 } }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { status: { token: string } }).status.token;
}

/** Writes the token file and an external_account file; returns the credential file's path. */
async function credentials(
  name: string,
  token: string | undefined,
  impersonate: string | null = CART_GSA,
): Promise<string> {
  const tokenFile = join(dir, `${name}.token`);
  if (token !== undefined) await writeFile(tokenFile, token);
  const config = {
    type: 'external_account',
    audience: AUDIENCE,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: `${sb.endpoints.sts ?? ''}/v1/token`,
    credential_source: { file: tokenFile },
    ...(impersonate
      ? {
          service_account_impersonation_url: `${sb.endpoints.iamcredentials ?? ''}/v1/projects/-/serviceAccounts/${impersonate}:generateAccessToken`,
        }
      : {}),
  };
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(config));
  return path;
}

const fed = (credentialsFile: string, extra = {}) =>
  probe(testFlags(undefined, { credentials: credentialsFile, pod: 'shop/cart-7d9f8b6c5d-abcde', ...extra }), {
    WI_DOCTOR_STS_ENDPOINT: sb.endpoints.sts,
  });

describe('federation mode', () => {
  test('healthy: file, token file, STS exchange, impersonation, identity token', async () => {
    const file = await credentials('healthy', await tokenRequest('cart', [POOL]));
    const report = await fed(file, { expectGsa: CART_GSA, audience: 'https://cart.example' });
    expect(report.probe.mode).toBe('federation');
    expect(result(report, 'metadata-server-reachable').status).toBe('skip');
    expect(result(report, 'credential-config').status).toBe('pass');
    expect(step(report, 'credential-config', 'credential-file').message).toContain(`impersonating ${CART_GSA}`);
    expect(step(report, 'credential-config', 'token-claims').evidence?.sub).toBe('system:serviceaccount:shop:cart');
    expect(result(report, 'pod-identity').status).toBe('pass');
    expect(step(report, 'pod-access-token', 'sts-exchange').status).toBe('pass');
    expect(step(report, 'pod-access-token', 'impersonation').status).toBe('pass');
    expect(step(report, 'pod-access-token', 'identity-token').status).toBe('pass');
    expect(report.summary.fail).toBe(0);
    expect(JSON.stringify(report)).not.toMatch(/ya29\.|eyJ[A-Za-z0-9_-]{6,}\.eyJ/);
  });

  test('direct federation: the federated token is the credential and tests permissions', async () => {
    const file = await credentials('direct', await tokenRequest('api', [POOL]), null);
    const report = await fed(file, {
      need: ['resourcemanager.projects.get'],
      on: 'projects/acme-shop',
      crmUrl: sb.endpoints.cloudresourcemanager,
    });
    expect(step(report, 'pod-access-token', 'impersonation').status).toBe('skip');
    expect(result(report, 'pod-access-token').status).toBe('pass');
    expect(result(report, 'target-permission').status).toBe('fail');
  });

  test('expired token file: credential-config fails, and STS agrees', async () => {
    const cluster = sb.world.clusters[0];
    if (!cluster) throw new Error('no cluster');
    const key = await cluster.key;
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'cart' } } })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(cluster.tokenIssuer)
      .setSubject('system:serviceaccount:shop:cart')
      .setAudience([POOL])
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(key.privateKey);
    const report = await fed(await credentials('expired', expired));
    const config = result(report, 'credential-config');
    expect(config.status).toBe('fail');
    expect(step(report, 'credential-config', 'token-claims').message).toMatch(/expired \d+ s ago/);
    expect(step(report, 'pod-access-token', 'sts-exchange').status).toBe('fail');
    expect(step(report, 'pod-access-token', 'sts-exchange').message).toMatch(/expired/i);
  });

  test('wrong audience: warned locally, refused by STS, a credential-config failure', async () => {
    const file = await credentials('wrong-aud', await tokenRequest('cart', ['https://wrong.example']));
    const report = await fed(file);
    expect(step(report, 'credential-config', 'token-claims').status).toBe('warn');
    expect(step(report, 'credential-config', 'sts-verdict').status).toBe('fail');
    expect(result(report, 'credential-config').cause).toMatch(/audience/);
    expect(result(report, 'pod-access-token').status).toBe('fail');
  });

  test('missing token file: says ephemeral debug containers do not see the volume', async () => {
    const report = await fed(await credentials('missing', undefined));
    const config = result(report, 'credential-config');
    expect(config.status).toBe('fail');
    expect(config.cause).toMatch(/does not exist.*debug containers/);
    expect(result(report, 'pod-access-token').status).toBe('unknown');
  });

  test('malformed file and service-account keys', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ type: 'external_account', audience: AUDIENCE }));
    const report = await fed(bad);
    expect(result(report, 'credential-config').status).toBe('fail');
    expect(result(report, 'credential-config').cause).toMatch(/token_url/);
    const key = join(dir, 'key.json');
    await writeFile(
      key,
      JSON.stringify({ type: 'service_account', client_email: 'k@acme-shop.iam.gserviceaccount.com' }),
    );
    const keyReport = await probe(
      testFlags(undefined, { credentials: key, metadataHost: '127.0.0.1:1', timeout: 0.3, attempts: 1 }),
    );
    expect(keyReport.probe.mode).toBe('metadata');
    expect(result(keyReport, 'credential-config').status).toBe('warn');
    expect(result(keyReport, 'credential-config').cause).toMatch(/bypassed/);
  });
});
