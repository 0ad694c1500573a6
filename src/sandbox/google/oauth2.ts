// OAuth 2.0 token endpoint (refresh tokens of declared callers, JWT-bearer assertions signed with key files)
// and tokeninfo.

import { str, RouteTable, readBody, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { World } from '../world.js';
import { JWT_BEARER, jwtBearerGrant } from './jwt-bearer.js';
import { jwkDocument, x509Document } from './keys.js';

function oauthError(status: number, error: string, description: string): SandboxResponse {
  return { status, json: { error, error_description: description } };
}

function tokenInfo(world: World, req: SandboxRequest): SandboxResponse {
  const token = req.query.get('access_token') ?? str(readBody(req).access_token);
  const info = world.tokens.lookup(token);
  if (!info) return oauthError(400, 'invalid_token', 'Invalid Value');
  const p = info.principal;
  const expiresIn = Math.max(0, Math.floor((Math.min(info.expiresAt, world.now() + 3600_000) - world.now()) / 1000));
  const out: Record<string, unknown> = {
    azp: p.kind === 'serviceAccount' ? p.uniqueId : 'sandbox',
    aud: p.kind === 'serviceAccount' ? p.uniqueId : 'sandbox',
    scope: info.scopes.join(' '),
    exp: String(Math.floor(world.now() / 1000) + expiresIn),
    expires_in: String(expiresIn),
    access_type: 'online',
  };
  if (p.kind !== 'ksa')
    Object.assign(out, {
      email: p.email,
      email_verified: 'true',
      sub: p.kind === 'serviceAccount' ? p.uniqueId : p.email,
    });
  return { status: 200, json: out };
}

export function oauth2Routes(world: World): RouteTable {
  const token = async (req: SandboxRequest): Promise<SandboxResponse> => {
    const body = readBody(req);
    if (body.grant_type === JWT_BEARER) return jwtBearerGrant(world, str(body.assertion));
    if (body.grant_type === 'refresh_token') {
      const callerToken = world.refreshTokens.get(str(body.refresh_token));
      if (callerToken === undefined) return oauthError(400, 'invalid_grant', 'Bad Request');
      return {
        status: 200,
        json: {
          access_token: callerToken,
          expires_in: 3599,
          token_type: 'Bearer',
          scope: 'https://www.googleapis.com/auth/cloud-platform',
        },
      };
    }
    return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${str(body.grant_type)}`);
  };
  return new RouteTable(
    [
      { method: 'POST', path: '/token', handler: token },
      { method: 'POST', path: '/oauth2/v4/token', handler: token },
      { method: 'GET', path: '/tokeninfo', handler: (req) => tokenInfo(world, req) },
      { method: 'POST', path: '/tokeninfo', handler: (req) => tokenInfo(world, req) },
      // Public keys of service accounts, as www.googleapis.com serves them (a key file's client_x509_cert_url).
      {
        method: 'GET',
        path: '/robot/v1/metadata/x509/{email}',
        handler: (req) => x509Document(world, req.params.email ?? ''),
      },
      {
        method: 'GET',
        path: '/service_accounts/v1/metadata/jwk/{email}',
        handler: (req) => jwkDocument(world, req.params.email ?? ''),
      },
      {
        method: 'GET',
        path: '/oauth2/v3/certs',
        handler: async () => ({ status: 200, json: { keys: [(await world.googleKey).publicJwk] } }),
      },
    ],
    (req) => oauthError(404, 'not_found', `The sandbox's oauth2 endpoint has no route for ${req.method} ${req.path}.`),
  );
}
