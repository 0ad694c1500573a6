// IAM Credentials v1: generateAccessToken, generateIdToken, signBlob and signJwt.

import { sign } from 'node:crypto';
import { googleError, googleNotFoundRoute, permissionDenied } from '../http/errors.js';
import { keyIdOf } from '../key-files.js';
import { str, readBody, RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { World } from '../world.js';
import { authenticate } from './common.js';
import { auditCredentials, mintForServiceAccount } from './credentials.js';
import { signingKey } from './keys.js';

const IAM_SCOPES = ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/iam'];

function callerProject(world: World, p: import('../iam/principal.js').Principal): string | undefined {
  if (p.kind === 'serviceAccount') return p.projectId || undefined;
  if (p.kind === 'ksa') return world.project(p.pool.replace(/\.svc\.id\.goog$/, ''))?.id;
  return undefined;
}

function insufficientScopes(method: string): SandboxResponse {
  return googleError(403, 'Request had insufficient authentication scopes.', 'PERMISSION_DENIED', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
      domain: 'googleapis.com',
      metadata: {
        service: 'iamcredentials.googleapis.com',
        method: `google.iam.credentials.v1.IAMCredentials.${method}`,
      },
    },
  ]);
}

export function iamCredentialsRoutes(world: World): RouteTable {
  const handler =
    (kind: 'access' | 'id') =>
    async (req: SandboxRequest): Promise<SandboxResponse> => {
      const auth = authenticate(world, req);
      if (!auth.ok) return auth.response;
      if (!auth.info.scopes.some((s) => IAM_SCOPES.includes(s)))
        return insufficientScopes(kind === 'access' ? 'GenerateAccessToken' : 'GenerateIdToken');
      const body = readBody(req);
      if (Array.isArray(body.delegates) && body.delegates.length > 0) {
        return googleError(400, 'The sandbox does not play delegation chains (delegates).');
      }
      const lifetime = typeof body.lifetime === 'string' ? Number(body.lifetime.replace(/s$/, '')) : undefined;
      const project = callerProject(world, auth.principal);
      const minted = await mintForServiceAccount(world, auth.principal, req.params.sa ?? '', {
        kind,
        scopes: Array.isArray(body.scope) ? body.scope.map(String) : [],
        ...(lifetime !== undefined ? { lifetimeSeconds: lifetime } : {}),
        audience: str(body.audience),
        includeEmail: body.includeEmail === true,
        userAgent: req.headers['user-agent'] ?? '',
        req,
        ...(project !== undefined ? { consumerProject: project } : {}),
      });
      if (!minted.ok) return minted.response;
      return {
        status: 200,
        json:
          kind === 'access' ? { accessToken: minted.token, expireTime: minted.expireTime } : { token: minted.token },
      };
    };
  /** signBlob / signJwt: signed with the account's Google-managed key, whose certificate Google publishes. */
  const signer =
    (what: 'blob' | 'jwt') =>
    async (req: SandboxRequest): Promise<SandboxResponse> => {
      const method = what === 'blob' ? 'SignBlob' : 'SignJwt';
      const permission = what === 'blob' ? 'iam.serviceAccounts.signBlob' : 'iam.serviceAccounts.signJwt';
      const auth = authenticate(world, req);
      if (!auth.ok) return auth.response;
      if (!auth.info.scopes.some((s) => IAM_SCOPES.includes(s))) return insufficientScopes(method);
      const body = readBody(req);
      if (Array.isArray(body.delegates) && body.delegates.length > 0)
        return googleError(400, 'The sandbox does not play delegation chains (delegates).');
      const payload = str(body.payload);
      let bytes: Buffer;
      if (what === 'blob') {
        if (payload === '' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload))
          return googleError(400, "Invalid value at 'payload' (TYPE_BYTES), Base64 decoding failed.");
        bytes = Buffer.from(payload, 'base64');
      } else {
        let claims: unknown;
        try {
          claims = JSON.parse(payload);
        } catch {
          claims = undefined;
        }
        // UNVERIFIED wording of both refusals; the rules are the API's (a JSON claims set; exp within 12 h).
        if (claims === null || typeof claims !== 'object' || Array.isArray(claims))
          return googleError(400, 'Payload must be a serialized JSON object that contains a JWT Claims Set.');
        const exp = (claims as Record<string, unknown>).exp;
        const now = Math.floor(world.now() / 1000);
        if (exp !== undefined && (typeof exp !== 'number' || exp < now || exp > now + 12 * 3600))
          return googleError(
            400,
            'The exp claim must be an integer timestamp, not in the past and at most 12 hours in the future.',
          );
        bytes = Buffer.from(payload);
      }
      const gsa = world.gsa(req.params.sa ?? '');
      if (!gsa) return permissionDenied(permission);
      const allowed = world.check(auth.principal, permission, world.gsaChain(gsa)).allowed;
      auditCredentials(world, gsa, auth.principal, method, allowed && !gsa.disabled, undefined, req);
      if (!allowed) return permissionDenied(permission);
      if (gsa.disabled) return googleError(400, 'Precondition check failed.', 'FAILED_PRECONDITION');
      const key = signingKey(gsa);
      if (!key) return googleError(400, 'Precondition check failed.', 'FAILED_PRECONDITION');
      const pair = await world.keyMaterial.pair(key);
      const keyId = keyIdOf(key);
      if (what === 'blob') {
        return {
          status: 200,
          json: { keyId, signedBlob: sign('RSA-SHA256', bytes, pair.privateKeyPem).toString('base64') },
        };
      }
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: keyId, typ: 'JWT' })).toString('base64url');
      const input = `${header}.${bytes.toString('base64url')}`;
      const signature = sign('RSA-SHA256', Buffer.from(input), pair.privateKeyPem).toString('base64url');
      return { status: 200, json: { keyId, signedJwt: `${input}.${signature}` } };
    };
  return new RouteTable(
    [
      {
        method: 'POST',
        path: '/v1/projects/{project}/serviceAccounts/{sa}:generateAccessToken',
        handler: handler('access'),
      },
      { method: 'POST', path: '/v1/projects/{project}/serviceAccounts/{sa}:generateIdToken', handler: handler('id') },
      { method: 'POST', path: '/v1/projects/{project}/serviceAccounts/{sa}:signBlob', handler: signer('blob') },
      { method: 'POST', path: '/v1/projects/{project}/serviceAccounts/{sa}:signJwt', handler: signer('jwt') },
    ],
    (req) => googleNotFoundRoute('iamcredentials', req.method, req.path),
  );
}
