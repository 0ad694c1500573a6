// Service-account keys and signatures with the real gcloud: a created key file gets tokens from the sandbox's
// token endpoint; --managed-by filters; disable/enable/delete; signBlob/signJwt verify with the published certs.

import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HAS_CURL, HAS_GCLOUD, startCli, type Cli } from './gcloud-helpers.js';
import { CART_GSA } from './helpers.js';

describe.skipIf(!HAS_GCLOUD)('service-account keys through gcloud', { timeout: 180_000 }, () => {
  let cli: Cli;
  let keyId = '';
  beforeAll(async () => {
    cli = await startCli('healthy');
    await cli.gcloud(
      'iam',
      'service-accounts',
      'keys',
      'create',
      join(cli.dir, 'key.json'),
      `--iam-account=${CART_GSA}`,
    );
    const file = JSON.parse(await readFile(join(cli.dir, 'key.json'), 'utf8')) as { private_key_id: string };
    keyId = file.private_key_id;
  }, 120_000);
  afterAll(async () => {
    await cli.stop();
  });

  const list = async (managedBy: string): Promise<{ name: string; keyType: string; disabled?: boolean }[]> =>
    JSON.parse(
      await cli.gcloud(
        'iam',
        'service-accounts',
        'keys',
        'list',
        `--iam-account=${CART_GSA}`,
        `--managed-by=${managedBy}`,
        '--format=json',
      ),
    ) as { name: string; keyType: string; disabled?: boolean }[];

  test('the key file holds a real RSA key that gets a token for the account', async () => {
    const file = JSON.parse(await readFile(join(cli.dir, 'key.json'), 'utf8')) as Record<string, string>;
    expect(file.type).toBe('service_account');
    expect(file.client_email).toBe(CART_GSA);
    expect(createPublicKey(file.private_key ?? '').asymmetricKeyDetails?.modulusLength).toBe(2048);
    const env = { ...cli.env };
    delete env.CLOUDSDK_AUTH_ACCESS_TOKEN;
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const run = promisify(execFile);
    await run('gcloud', ['auth', 'activate-service-account', `--key-file=${join(cli.dir, 'key.json')}`], { env });
    const token = (await run('gcloud', ['auth', 'print-access-token'], { env })).stdout.trim();
    const info = (await (await fetch(`${cli.sb.endpoints.oauth2 ?? ''}/tokeninfo?access_token=${token}`)).json()) as {
      email: string;
    };
    expect(info.email).toBe(CART_GSA);
  });

  test('--managed-by user|system|any; disable, enable and delete', async () => {
    // Three reads of the same state: concurrent (gcloud takes a second to start).
    const [user, system, any] = await Promise.all([list('user'), list('system'), list('any')]);
    expect(user.map((k) => k.name.split('/').pop())).toEqual([keyId]);
    expect(system.every((k) => k.keyType === 'SYSTEM_MANAGED')).toBe(true);
    expect(system).toHaveLength(1);
    expect(any).toHaveLength(2);
    await cli.gcloud('iam', 'service-accounts', 'keys', 'disable', keyId, `--iam-account=${CART_GSA}`);
    expect((await list('user'))[0]?.disabled).toBe(true);
    await cli.gcloud('iam', 'service-accounts', 'keys', 'enable', keyId, `--iam-account=${CART_GSA}`);
    expect((await list('user'))[0]?.disabled).toBeUndefined();
    await cli.gcloud('iam', 'service-accounts', 'keys', 'delete', keyId, `--iam-account=${CART_GSA}`);
    expect(await list('user')).toEqual([]);
    const logged = JSON.parse(
      await cli.gcloud('logging', 'read', 'protoPayload.methodName:ServiceAccountKey', '--format=json'),
    ) as { protoPayload: { methodName: string; response?: Record<string, unknown> } }[];
    expect(logged.map((e) => e.protoPayload.methodName.replace('google.iam.admin.v1.', '')).sort()).toEqual([
      'CreateServiceAccountKey',
      'DeleteServiceAccountKey',
      'DisableServiceAccountKey',
      'EnableServiceAccountKey',
    ]);
    expect(JSON.stringify(logged)).not.toContain('PRIVATE KEY');
  });

  test.skipIf(!HAS_CURL)('sign-blob and sign-jwt verify with the account’s published certificate', async () => {
    await cli.gcloud(
      'iam',
      'service-accounts',
      'add-iam-policy-binding',
      CART_GSA,
      '--role=roles/iam.serviceAccountTokenCreator',
      '--member=user:admin@example.com',
    );
    const input = join(cli.dir, 'blob.txt');
    await import('node:fs/promises').then((fs) => fs.writeFile(input, 'hello sandbox'));
    const blobOut = await cli.gcloudResult(
      'iam',
      'service-accounts',
      'sign-blob',
      `--iam-account=${CART_GSA}`,
      input,
      join(cli.dir, 'blob.sig'),
    );
    expect(blobOut.code).toBe(0);
    const usedKey = /using key \[([0-9a-f]+)\]/.exec(blobOut.stderr)?.[1] ?? '';
    const certs = JSON.parse(
      await cli.curl(`${cli.sb.endpoints.oauth2 ?? ''}/robot/v1/metadata/x509/${encodeURIComponent(CART_GSA)}`),
    ) as Record<string, string>;
    const cert = new X509Certificate(certs[usedKey] ?? '');
    const signature = await readFile(join(cli.dir, 'blob.sig'));
    expect(verify('RSA-SHA256', Buffer.from('hello sandbox'), cert.publicKey, signature)).toBe(true);

    const claims = join(cli.dir, 'claims.json');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(claims, JSON.stringify({ sub: CART_GSA, aud: 'https://example.com' })),
    );
    await cli.gcloud(
      'iam',
      'service-accounts',
      'sign-jwt',
      `--iam-account=${CART_GSA}`,
      claims,
      join(cli.dir, 'out.jwt'),
    );
    const jwt = (await readFile(join(cli.dir, 'out.jwt'), 'utf8')).trim();
    const [h = '', p = '', sig = ''] = jwt.split('.');
    const jwks = JSON.parse(
      await cli.curl(
        `${cli.sb.endpoints.oauth2 ?? ''}/service_accounts/v1/metadata/jwk/${encodeURIComponent(CART_GSA)}`,
      ),
    ) as { keys: { kid: string }[] };
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string };
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    expect(jwk).toBeDefined();
    const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    expect(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url'))).toBe(true);
    expect(JSON.parse(Buffer.from(p, 'base64url').toString())).toEqual({ sub: CART_GSA, aud: 'https://example.com' });
  });
});
