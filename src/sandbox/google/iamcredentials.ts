// IAM Credentials v1: generateAccessToken and generateIdToken.

import { googleError, googleNotFoundRoute } from '../http/errors.js';
import { str, readBody, RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { World } from '../world.js';
import { authenticate } from './common.js';
import { mintForServiceAccount } from './credentials.js';

const IAM_SCOPES = ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/iam'];

function callerProject(world: World, p: import('../iam/principal.js').Principal): string | undefined {
  if (p.kind === 'serviceAccount') return p.projectId || undefined;
  if (p.kind === 'ksa') return world.project(p.pool.replace(/\.svc\.id\.goog$/, ''))?.id;
  return undefined;
}

export function iamCredentialsRoutes(world: World): RouteTable {
  const handler =
    (kind: 'access' | 'id') =>
    async (req: SandboxRequest): Promise<SandboxResponse> => {
      const auth = authenticate(world, req);
      if (!auth.ok) return auth.response;
      if (!auth.info.scopes.some((s) => IAM_SCOPES.includes(s))) {
        return googleError(403, 'Request had insufficient authentication scopes.', 'PERMISSION_DENIED', [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
            domain: 'googleapis.com',
            metadata: {
              service: 'iamcredentials.googleapis.com',
              method:
                kind === 'access'
                  ? 'google.iam.credentials.v1.IAMCredentials.GenerateAccessToken'
                  : 'google.iam.credentials.v1.IAMCredentials.GenerateIdToken',
            },
          },
        ]);
      }
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
        ...(project !== undefined ? { consumerProject: project } : {}),
      });
      if (!minted.ok) return minted.response;
      return {
        status: 200,
        json:
          kind === 'access' ? { accessToken: minted.token, expireTime: minted.expireTime } : { token: minted.token },
      };
    };
  return new RouteTable(
    [
      {
        method: 'POST',
        path: '/v1/projects/{project}/serviceAccounts/{sa}:generateAccessToken',
        handler: handler('access'),
      },
      { method: 'POST', path: '/v1/projects/{project}/serviceAccounts/{sa}:generateIdToken', handler: handler('id') },
    ],
    (req) => googleNotFoundRoute('iamcredentials', req.method, req.path),
  );
}
