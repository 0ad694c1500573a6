// Service-account key files against the sandbox: google-auth-library signs a JWT-bearer assertion with the
// key file's private key, the sandbox's token endpoint verifies it and issues a token to which IAM applies.

import { iam } from '@googleapis/iam';
import { GoogleAuth, JWT, type AuthClient } from 'google-auth-library';
import { importPKCS8, SignJWT } from 'jose';
import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type KeyFileJson, type RunningSandbox, type Scenario } from '../../src/sandbox/index.js';
import { authFor, rootUrl } from './helpers.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const email = (id: string): string => `${id}@acme-shop.iam.gserviceaccount.com`;
const KEY = { auditor: 'a1'.repeat(20), auditor2: 'a2'.repeat(20), builder: 'b1'.repeat(20) };

const WORLD: Scenario = {
  projects: [
    {
      id: 'acme-shop',
      number: '123456789012',
      serviceAccounts: [
        { name: 'auditor', keys: [{ id: KEY.auditor }, { id: KEY.auditor2 }, { type: 'SYSTEM_MANAGED' }] },
        { name: 'builder', keys: [{ id: KEY.builder }] },
        { name: 'retired', disabled: true, keys: [{}] },
        { name: 'rotated', keys: [{ disabled: true }] },
        { name: 'doomed', keys: [{}] },
        { name: 'keyless' },
      ],
      policy: {
        bindings: [{ role: 'roles/iam.serviceAccountViewer', members: [`serviceAccount:${email('auditor')}`] }],
      },
    },
  ],
};

let sb: RunningSandbox;
beforeAll(async () => {
  sb = await startSandbox({ scenario: WORLD });
});
afterAll(async () => {
  await sb.stop();
});

/**
 * google-auth-library 10 ignores a key file's token_uri (its gtoken posts to and signs for Google's fixed
 * token URL), so the test sends that one request to the key file's token_uri, which is the sandbox's.
 */
function viaTokenUri(client: AuthClient, file: KeyFileJson): AuthClient {
  client.transporter.interceptors.request.add({
    resolved: (opts) => {
      if (String(opts.url) === 'https://oauth2.googleapis.com/token') opts.url = new URL(file.token_uri);
      return Promise.resolve(opts);
    },
  });
  return client;
}

async function tokenFromKeyFile(file: KeyFileJson): Promise<string> {
  // The key file comes from the sandbox under test, not from an untrusted source: the deprecation warns about the latter.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const auth = new GoogleAuth({ credentials: file, scopes: [CLOUD_PLATFORM] });
  const client = viaTokenUri(await auth.getClient(), file);
  const { token } = await client.getAccessToken();
  if (!token) throw new Error('no access token');
  return token;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('expected the token request to be refused');
}

async function postAssertion(assertion: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sb.endpoints.oauth2 ?? ''}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function assertion(
  file: KeyFileJson,
  claims: Record<string, unknown> = {},
  lifetime = 3600,
  iss = file.client_email,
  kid: string | null = file.private_key_id,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: CLOUD_PLATFORM, ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(kid !== null ? { kid } : {}) })
    .setIssuer(iss)
    .setAudience(file.token_uri)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetime)
    .sign(await importPKCS8(file.private_key, 'RS256'));
}

describe('key files', () => {
  test('have the shape of a Google key file, with the sandbox as token_uri and a working key pair', async () => {
    const file = await sb.keyFile(email('auditor'));
    const gsa = sb.world.gsa(email('auditor'));
    expect(Object.keys(file).sort()).toEqual(
      [
        'type',
        'project_id',
        'private_key_id',
        'private_key',
        'client_email',
        'client_id',
        'auth_uri',
        'token_uri',
        'auth_provider_x509_cert_url',
        'client_x509_cert_url',
        'universe_domain',
      ].sort(),
    );
    expect(file).toMatchObject({
      type: 'service_account',
      project_id: 'acme-shop',
      private_key_id: KEY.auditor,
      client_email: email('auditor'),
      client_id: gsa?.uniqueId,
      token_uri: `${sb.endpoints.oauth2 ?? 'missing'}/token`,
      universe_domain: 'googleapis.com',
    });
    expect(file.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(createPublicKey(file.private_key).asymmetricKeyDetails?.modulusLength).toBe(2048);

    // The same key file again; the account's second key is a different key pair.
    expect(await sb.keyFile(email('auditor'))).toEqual(file);
    const second = await sb.keyFile(email('auditor'), KEY.auditor2);
    expect(second.private_key_id).toBe(KEY.auditor2);
    expect(second.private_key).not.toBe(file.private_key);
  });

  test('the admin route serves the first key file; accounts without user-managed keys have none', async () => {
    const res = await fetch(`${sb.endpoints.iam ?? ''}/_sandbox/key-files/${encodeURIComponent(email('auditor'))}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(await sb.keyFile(email('auditor')));
    const none = await fetch(`${sb.endpoints.iam ?? ''}/_sandbox/key-files/${encodeURIComponent(email('keyless'))}`);
    expect(none.status).toBe(404);
    await expect(sb.keyFile(email('keyless'))).rejects.toThrow(/no user-managed key/);
    await expect(sb.keyFile(email('auditor'), 'f'.repeat(40))).rejects.toThrow(/no user-managed key/);
  });
});

describe('JWT-bearer grant', () => {
  test('GoogleAuth with a key file gets a token that IAM authorizes per policy', async () => {
    const auditorFile = await sb.keyFile(email('auditor'));
    const token = await tokenFromKeyFile(auditorFile);
    const info = await fetch(`${sb.endpoints.oauth2 ?? ''}/tokeninfo?access_token=${encodeURIComponent(token)}`);
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ email: email('auditor'), scope: CLOUD_PLATFORM });

    const asAuditor = iam({ version: 'v1', rootUrl: rootUrl(sb, 'iam'), auth: authFor(token) });
    const list = await asAuditor.projects.serviceAccounts.list({ name: 'projects/acme-shop' });
    expect(list.data.accounts?.map((a) => a.email)).toContain(email('builder'));

    // builder holds no role: its token is valid, and IAM refuses it.
    const builderToken = await tokenFromKeyFile(await sb.keyFile(email('builder')));
    const asBuilder = iam({ version: 'v1', rootUrl: rootUrl(sb, 'iam'), auth: authFor(builderToken) });
    const denied = await asBuilder.projects.serviceAccounts.list({ name: 'projects/acme-shop' }).then(
      () => 0,
      (e: unknown) => (e as { status?: number }).status ?? -1,
    );
    expect(denied).toBe(403);
  });

  test('a JWT client with the second key works too (no kid: every key of the account is tried)', async () => {
    const file = await sb.keyFile(email('auditor'), KEY.auditor2);
    const client = new JWT({ email: file.client_email, key: file.private_key, scopes: [CLOUD_PLATFORM] });
    viaTokenUri(client, file);
    const { token } = await client.getAccessToken();
    expect(token).toMatch(/^ya29\./);
  });

  test("a disabled account's key, a disabled key and a deleted account's key are refused", async () => {
    expect(await refusal(tokenFromKeyFile(await sb.keyFile(email('retired'))))).toMatch(
      /invalid_grant: Invalid grant: account not found/,
    );
    expect(await refusal(tokenFromKeyFile(await sb.keyFile(email('rotated'))))).toMatch(
      /invalid_grant: Invalid JWT Signature\./,
    );
    const doomedFile = await sb.keyFile(email('doomed'));
    expect(await tokenFromKeyFile(doomedFile)).toMatch(/^ya29\./);
    const doomed = sb.world.gsa(email('doomed'));
    if (!doomed) throw new Error('doomed account missing');
    sb.world.deleteGsa(doomed);
    expect(await refusal(tokenFromKeyFile(doomedFile))).toMatch(/invalid_grant: Invalid grant: account not found/);
  });

  test('a tampered, a foreign-signed or a long-lived assertion is refused; the untouched one is not', async () => {
    const file = await sb.keyFile(email('builder'));
    const good = await assertion(file);
    const ok = await postAssertion(good);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });

    // Same header and signature, a claim changed.
    const [h, p, s] = good.split('.');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: Number(claims.exp) - 1 })).toString('base64url');
    const tampered = await postAssertion(`${h ?? ''}.${forged}.${s ?? ''}`);
    expect(tampered).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });

    // Signed with builder's key but claiming to be auditor and auditor's key, with and without a kid.
    const auditorKey = (await sb.keyFile(email('auditor'))).private_key_id;
    for (const kid of [auditorKey, null]) {
      const jwt = await assertion(file, {}, 3600, email('auditor'), kid);
      const foreign = await postAssertion(jwt);
      expect(foreign.body.error_description).toBe('Invalid JWT Signature.');
    }

    const longLived = await postAssertion(await assertion(file, {}, 7200));
    expect(longLived.status).toBe(400);
    expect(String(longLived.body.error_description)).toMatch(/short-lived token \(60 minutes\)/);

    const noScope = await postAssertion(await assertion(file, { scope: '' }));
    expect(noScope.body.error).toBe('invalid_scope');
  });
});
