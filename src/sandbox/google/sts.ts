// Security Token Service v1 token exchange: a Kubernetes service-account JWT (audience = the
// pool) for a federated access token. Accepts the form-encoded snake_case request of google-auth-library
// and the JSON camelCase request of the generated @googleapis/sts client.

import { decodeProtectedHeader, importJWK, jwtVerify, errors as joseErrors } from 'jose';
import { stsError } from '../http/errors.js';
import { readBody, RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import { adminReadLogged } from '../audit.js';
import { ksaSubjectPrincipal, type Principal } from '../iam/principal.js';
import { CLOUD_PLATFORM } from '../tokens.js';
import type { ClusterState, World } from '../world.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const SUBJECT_TYPES = ['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'];
const INVALID_TARGET =
  'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.';
export const STS_THROTTLED =
  '[Security Token Service] The request was throttled due to rate limit. Please retry after a few seconds.';

function field(body: Record<string, unknown>, snake: string): string {
  const camel = snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  const v = body[snake] ?? body[camel];
  return typeof v === 'string' ? v : '';
}

/** `identitynamespace:POOL:CLUSTER_URL` (GKE) or `//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/providers/X`. */
function clustersForAudience(world: World, audience: string): ClusterState[] {
  const ns = /^identitynamespace:([^:]+):(https:\/\/container\.googleapis\.com\/v1\/.+)$/.exec(audience);
  if (ns) return world.clusters.filter((c) => c.workloadPool === ns[1] && world.clusterUrl(c) === ns[2]);
  const provider =
    /^\/\/iam\.googleapis\.com\/projects\/(\d+)\/locations\/global\/workloadIdentityPools\/([^/]+)\/providers\/[^/]+$/.exec(
      audience,
    );
  if (provider) {
    const pool = provider[2] ?? '';
    const owner = world.project(pool.replace(/\.svc\.id\.goog$/, ''));
    if (owner?.number !== provider[1]) return [];
    return world.clusters.filter((c) => c.workloadPool === pool);
  }
  return [];
}

/**
 * The Data Access entry of a token exchange, in the pool's project, when its audit configs log ADMIN_READ
 * for IAM. UNVERIFIED: the monitored resource and request fields of STS entries.
 */
export function auditExchange(
  world: World,
  principal: Principal,
  req: SandboxRequest | undefined,
  userAgent?: string,
): void {
  if (principal.kind !== 'ksa') return;
  const project = world.project(principal.pool.replace(/\.svc\.id\.goog$/, ''));
  if (!project) return;
  const policy = world.policies.effective(`projects/${project.id}`) ?? {};
  const subject = ksaSubjectPrincipal(principal);
  if (!adminReadLogged(policy, subject)) return;
  world.audit.dataAccess({
    projectId: project.id,
    serviceName: 'sts.googleapis.com',
    methodName: 'google.identity.sts.v1.SecurityTokenService.ExchangeToken',
    resourceName: `projects/${project.number}/locations/global/workloadIdentityPools/${principal.pool}`,
    resource: {
      type: 'audited_resource',
      labels: {
        service: 'sts.googleapis.com',
        method: 'google.identity.sts.v1.SecurityTokenService.ExchangeToken',
        project_id: project.id,
      },
    },
    caller: principal,
    ...(req ? { req } : {}),
    ...(userAgent !== undefined ? { userAgent } : {}),
    request: {
      '@type': 'type.googleapis.com/google.identity.sts.v1.ExchangeTokenRequest',
      audience: `identitynamespace:${principal.pool}:${principal.clusterUrl}`,
      grantType: TOKEN_EXCHANGE,
      requestedTokenType: ACCESS_TOKEN_TYPE,
      subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
    },
  });
}

export async function exchange(
  world: World,
  body: Record<string, unknown>,
  req?: SandboxRequest,
): Promise<SandboxResponse> {
  if (field(body, 'grant_type') !== TOKEN_EXCHANGE) {
    return stsError(400, 'unsupported_grant_type', `Invalid value for "grant_type". Expected "${TOKEN_EXCHANGE}".`);
  }
  if (field(body, 'requested_token_type') !== ACCESS_TOKEN_TYPE) {
    return stsError(
      400,
      'invalid_request',
      `Invalid value for "requested_token_type". Expected "${ACCESS_TOKEN_TYPE}".`,
    );
  }
  if (!SUBJECT_TYPES.includes(field(body, 'subject_token_type'))) {
    return stsError(400, 'invalid_request', 'Invalid value for "subject_token_type". Expected a JWT or ID token type.');
  }
  const subject = field(body, 'subject_token');
  if (subject === '') return stsError(400, 'invalid_request', 'The "subject_token" parameter is required.');
  const audience = field(body, 'audience');
  const clusters = clustersForAudience(world, audience);
  if (clusters.length === 0) return stsError(400, 'invalid_target', INVALID_TARGET);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(subject);
  } catch {
    return stsError(400, 'invalid_grant', 'Unable to parse the ID Token.');
  }
  if (!header.kid) return stsError(400, 'invalid_grant', 'The ID Token has no "kid" header.');
  if (header.alg !== 'RS256' && header.alg !== 'ES256')
    return stsError(400, 'invalid_grant', `Unsupported signing algorithm ${String(header.alg)}.`);
  const keys = await Promise.all(clusters.map((c) => c.key));
  const index = keys.findIndex((k) => k.kid === header.kid);
  const cluster = clusters[index];
  const signingKey = keys[index];
  if (!cluster || !signingKey)
    return stsError(400, 'invalid_grant', `Invalid JWT signature: no key with kid ${header.kid} at the issuer.`);
  const pool = cluster.workloadPool ?? '';
  let claims: Record<string, unknown>;
  try {
    const key = await importJWK(signingKey.publicJwk, 'RS256');
    const verified = await jwtVerify(subject, key, { currentDate: new Date(world.now()) });
    claims = verified.payload;
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) return stsError(400, 'invalid_grant', 'ID Token has expired.');
    return stsError(400, 'invalid_grant', 'Invalid JWT signature.');
  }
  if (claims.iss !== cluster.tokenIssuer) {
    return stsError(
      400,
      'invalid_grant',
      `The issuer in ID Token ${String(claims.iss)} does not match the expected ones: ${cluster.tokenIssuer}.`,
    );
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(pool)) {
    return stsError(
      400,
      'invalid_grant',
      `The audience in ID Token [${aud.map(String).join(', ')}] does not match the expected audience ${pool}.`,
    );
  }
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (!(exp - iat < 48 * 3600))
    return stsError(400, 'invalid_grant', 'The ID Token lifetime (exp - iat) must be less than 48 hours.');
  const sub = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(String(claims.sub));
  if (!sub) return stsError(400, 'invalid_grant', 'The ID Token subject is not a Kubernetes service account.');
  const k8s = claims['kubernetes.io'] as { serviceaccount?: { uid?: string } } | undefined;
  const base = world.ksaPrincipal(cluster, sub[1] ?? '', sub[2] ?? '');
  if (!base || base.kind !== 'ksa') return stsError(400, 'invalid_target', INVALID_TARGET);
  const principal: Principal = { ...base, uid: k8s?.serviceaccount?.uid ?? base.uid };
  const scope = field(body, 'scope');
  auditExchange(world, principal, req);
  const { token } = world.tokens.mint(
    { principal, scopes: scope ? scope.split(/[ ,]+/) : [CLOUD_PLATFORM], kind: 'federated' },
    3600,
    'ya29.d.sandbox-federated',
  );
  return {
    status: 200,
    json: { access_token: token, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: 3599 },
  };
}

export function stsRoutes(world: World): RouteTable {
  return new RouteTable(
    [{ method: 'POST', path: '/v1/token', handler: (req: SandboxRequest) => exchange(world, readBody(req), req) }],
    (req) => stsError(404, 'invalid_request', `The sandbox's sts API has no route for ${req.method} ${req.path}.`),
  );
}
