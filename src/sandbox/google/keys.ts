// Service-account keys (IAM v1 projects.serviceAccounts.keys): create (a real RSA key pair; the key file in
// `privateKeyData` gets tokens from the sandbox's token endpoint), list by key type, get (with the public
// certificate), disable, enable, delete. Google-managed (SYSTEM_MANAGED) keys sign signBlob/signJwt; the
// public certificates of every enabled key are served as Google serves them (x509 and JWK documents).

import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import type { ServiceAccountKey } from '../../model/gcp.js';
import { googleError } from '../http/errors.js';
import { str, readBody, type Route, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import { keyFileJson, keyIdOf } from '../key-files.js';
import type { GsaState, World } from '../world.js';
import { certificate, pem } from '../x509.js';
import { accountFor, auditAccount } from './iam.js';

const KEY_TYPES = ['USER_MANAGED', 'SYSTEM_MANAGED', 'KEY_TYPE_UNSPECIFIED'];
/** User-managed keys per account (IAM's quota). */
const MAX_USER_KEYS = 10;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function keyFor(g: GsaState, id: string): ServiceAccountKey | undefined {
  return g.keys.find((k) => keyIdOf(k) === id);
}

function keyNotFound(req: SandboxRequest): SandboxResponse {
  // UNVERIFIED: IAM's exact wording for a key that does not exist.
  return googleError(
    404,
    `Service account key ${req.params.key ?? ''} does not exist for service account ${req.params.sa ?? ''}.`,
    'NOT_FOUND',
  );
}

/** The key's X.509 certificate (PEM), self-signed by the key, valid as long as the key. */
export async function publicCertificate(world: World, g: GsaState, key: ServiceAccountKey): Promise<string> {
  const cached = world.keyCertificates.get(key.name);
  if (cached) return cached;
  const pair = await world.keyMaterial.pair(key);
  const privateKey = createPrivateKey(pair.privateKeyPem);
  const notBefore = new Date(Date.parse(key.validAfterTime ?? '2025-01-01T00:00:00Z'));
  const notAfter = new Date(Date.parse(key.validBeforeTime ?? '9999-12-31T23:59:59Z'));
  const cert = pem(
    certificate({
      subject: g.email,
      publicKey: createPublicKey(privateKey),
      privateKey,
      notBefore,
      notAfter,
      serial: Buffer.from(keyIdOf(key).slice(0, 32), 'hex'),
    }),
  );
  world.keyCertificates.set(key.name, cert);
  return cert;
}

/** Enabled keys of a live account: what Google's public-key documents list. */
export function publishedKeys(g: GsaState): ServiceAccountKey[] {
  return g.keys.filter((k) => !k.disabled);
}

/** The account's Google-managed signing key (every account has one). */
export function signingKey(g: GsaState): ServiceAccountKey | undefined {
  return g.keys.find((k) => k.keyType === 'SYSTEM_MANAGED' && !k.disabled);
}

export function keyRoutes(world: World, SA: string): Route[] {
  const KEY = `${SA}/keys/{key}`;
  const toggle =
    (verb: 'disable' | 'enable') =>
    (req: SandboxRequest): SandboxResponse => {
      const permission = `iam.serviceAccountKeys.${verb}`;
      const f = accountFor(world, req, permission);
      if (!f.ok) return f.response;
      const key = keyFor(f.gsa, req.params.key ?? '');
      if (!key) return keyNotFound(req);
      if (key.keyType === 'SYSTEM_MANAGED')
        // UNVERIFIED wording: Google-managed keys cannot be changed by callers.
        return googleError(
          400,
          `Key ${keyIdOf(key)} is managed by Google and cannot be ${verb}d.`,
          'FAILED_PRECONDITION',
        );
      if (verb === 'disable') key.disabled = true;
      else delete key.disabled;
      auditAccount(
        world,
        req,
        f.caller,
        f.gsa,
        verb === 'disable' ? 'DisableServiceAccountKey' : 'EnableServiceAccountKey',
        permission,
        {
          resourceName: `projects/${f.gsa.projectId}/serviceAccounts/${f.gsa.uniqueId}/keys/${keyIdOf(key)}`,
        },
      );
      return { status: 200, json: {} };
    };
  return [
    {
      method: 'GET',
      path: `${SA}/keys`,
      handler: (req) => {
        const f = accountFor(world, req, 'iam.serviceAccountKeys.list');
        if (!f.ok) return f.response;
        const types = req.query.getAll('keyTypes').flatMap((t) => t.split(','));
        const bad = types.find((t) => !KEY_TYPES.includes(t));
        if (bad !== undefined)
          return googleError(
            400,
            `Invalid value at 'key_types' (type.googleapis.com/google.iam.admin.v1.ListServiceAccountKeysRequest.KeyType), "${bad}"`,
          );
        const keys = f.gsa.keys.filter((k) => types.length === 0 || types.includes(k.keyType ?? ''));
        return { status: 200, json: keys.length > 0 ? { keys } : {} };
      },
    },
    {
      method: 'POST',
      path: `${SA}/keys`,
      handler: async (req) => {
        const f = accountFor(world, req, 'iam.serviceAccountKeys.create');
        if (!f.ok) return f.response;
        const body = readBody(req);
        const type = str(body.privateKeyType) || 'TYPE_GOOGLE_CREDENTIALS_FILE';
        const algorithm = str(body.keyAlgorithm) || 'KEY_ALG_RSA_2048';
        if (type !== 'TYPE_GOOGLE_CREDENTIALS_FILE')
          return googleError(400, `The sandbox writes JSON key files only (privateKeyType ${type} is not played).`);
        if (algorithm !== 'KEY_ALG_RSA_2048' && algorithm !== 'KEY_ALG_UNSPECIFIED')
          return googleError(400, `The sandbox makes RSA 2048 keys only (keyAlgorithm ${algorithm} is not played).`);
        if (f.gsa.keys.filter((k) => k.keyType === 'USER_MANAGED').length >= MAX_USER_KEYS)
          // UNVERIFIED: the text IAM answers once an account has its maximum of 10 user-managed keys.
          return googleError(400, 'Precondition check failed.', 'FAILED_PRECONDITION');
        const now = world.now();
        const key: ServiceAccountKey = {
          name: `projects/${f.gsa.projectId}/serviceAccounts/${f.gsa.email}/keys/${randomBytes(20).toString('hex')}`,
          keyType: 'USER_MANAGED',
          keyOrigin: 'GOOGLE_PROVIDED',
          keyAlgorithm: 'KEY_ALG_RSA_2048',
          validAfterTime: iso(now),
          validBeforeTime: '9999-12-31T23:59:59Z',
        };
        const file = await keyFileJson(world.keyMaterial, f.gsa, key, world.oauth2TokenUrl);
        f.gsa.keys.push(key);
        auditAccount(world, req, f.caller, f.gsa, 'CreateServiceAccountKey', 'iam.serviceAccountKeys.create', {
          resourceName: `projects/${f.gsa.projectId}/serviceAccounts/${f.gsa.uniqueId}/keys/${keyIdOf(key)}`,
          request: {
            '@type': 'type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest',
            name: `projects/-/serviceAccounts/${f.gsa.uniqueId}`,
            private_key_type: 2,
          },
          // The private key never reaches a log.
          response: {
            '@type': 'type.googleapis.com/google.iam.admin.v1.ServiceAccountKey',
            name: key.name,
            valid_after_time: { seconds: Math.floor(now / 1000) },
            valid_before_time: { seconds: 253402300799 },
            key_algorithm: 2,
            key_origin: 2,
            key_type: 1,
          },
        });
        return {
          status: 200,
          json: {
            ...key,
            privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
            privateKeyData: Buffer.from(JSON.stringify(file, null, 2)).toString('base64'),
          },
        };
      },
    },
    { method: 'POST', path: `${KEY}:disable`, handler: toggle('disable') },
    { method: 'POST', path: `${KEY}:enable`, handler: toggle('enable') },
    {
      method: 'GET',
      path: KEY,
      handler: async (req) => {
        const f = accountFor(world, req, 'iam.serviceAccountKeys.get');
        if (!f.ok) return f.response;
        const key = keyFor(f.gsa, req.params.key ?? '');
        if (!key) return keyNotFound(req);
        const publicType = req.query.get('publicKeyType') ?? 'TYPE_NONE';
        if (publicType === 'TYPE_NONE') return { status: 200, json: key };
        const cert = await publicCertificate(world, f.gsa, key);
        if (publicType === 'TYPE_X509_PEM_FILE')
          return { status: 200, json: { ...key, publicKeyData: Buffer.from(cert).toString('base64') } };
        if (publicType === 'TYPE_RAW_PUBLIC_KEY') {
          // UNVERIFIED: the raw form is served as the DER SubjectPublicKeyInfo.
          const spki = createPublicKey(cert).export({ type: 'spki', format: 'der' });
          return { status: 200, json: { ...key, publicKeyData: spki.toString('base64') } };
        }
        return googleError(400, `Invalid value at 'public_key_type', "${publicType}"`);
      },
    },
    {
      method: 'DELETE',
      path: KEY,
      handler: (req) => {
        const f = accountFor(world, req, 'iam.serviceAccountKeys.delete');
        if (!f.ok) return f.response;
        const key = keyFor(f.gsa, req.params.key ?? '');
        if (!key) return keyNotFound(req);
        if (key.keyType === 'SYSTEM_MANAGED')
          // UNVERIFIED wording.
          return googleError(
            400,
            `Key ${keyIdOf(key)} is managed by Google and cannot be deleted.`,
            'FAILED_PRECONDITION',
          );
        f.gsa.keys = f.gsa.keys.filter((k) => k !== key);
        auditAccount(world, req, f.caller, f.gsa, 'DeleteServiceAccountKey', 'iam.serviceAccountKeys.delete', {
          resourceName: `projects/${f.gsa.projectId}/serviceAccounts/${f.gsa.uniqueId}/keys/${keyIdOf(key)}`,
        });
        return { status: 200, json: {} };
      },
    },
  ];
}

/** `GET /robot/v1/metadata/x509/{email}`: `{keyId: PEM certificate}` for the account's enabled keys. */
export async function x509Document(world: World, email: string): Promise<SandboxResponse> {
  const g = world.gsa(email);
  // UNVERIFIED: the answer for an account that does not exist.
  if (!g) return googleError(404, `Service account ${email} not found.`, 'NOT_FOUND');
  const out: Record<string, string> = {};
  for (const k of publishedKeys(g)) out[keyIdOf(k)] = await publicCertificate(world, g, k);
  return { status: 200, json: out };
}

/** `GET /service_accounts/v1/metadata/jwk/{email}`: the same keys as a JWK set. */
export async function jwkDocument(world: World, email: string): Promise<SandboxResponse> {
  const g = world.gsa(email);
  if (!g) return googleError(404, `Service account ${email} not found.`, 'NOT_FOUND');
  const keys: Record<string, unknown>[] = [];
  for (const k of publishedKeys(g)) {
    const jwk = createPublicKey(await publicCertificate(world, g, k)).export({ format: 'jwk' });
    keys.push({ ...jwk, kid: keyIdOf(k), alg: 'RS256', use: 'sig' });
  }
  return { status: 200, json: { keys } };
}
