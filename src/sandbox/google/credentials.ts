// Token minting shared by the IAM Credentials API and the metadata server: the caller needs
// getAccessToken (resp. getOpenIdToken) on the target through IAM; a missing account and a missing binding
// look the same; every attempt on an existing account writes a Data Access entry when the
// target project's audit configs turn ADMIN_READ on.

import { SignJWT } from 'jose';
import { adminReadLogged } from '../audit.js';
import { googleError, permissionDenied } from '../http/errors.js';
import type { SandboxRequest, SandboxResponse } from '../http/router.js';
import type { Principal } from '../iam/principal.js';
import { CLOUD_PLATFORM } from '../tokens.js';
import type { GsaState, World } from '../world.js';
import { memberOf } from './common.js';
import { serviceDisabled } from './serviceusage.js';

export type Minted =
  { ok: true; token: string; expireTime: string; gsa: GsaState } | { ok: false; response: SandboxResponse };

export interface MintOptions {
  kind: 'access' | 'id';
  scopes?: string[];
  lifetimeSeconds?: number;
  audience?: string;
  includeEmail?: boolean;
  userAgent?: string;
  /** The project whose iamcredentials enablement decides (the caller's, or the cluster's for the metadata server). */
  consumerProject?: string;
  /** The HTTP request, for the audit entry's caller IP (absent when the metadata server calls). */
  req?: SandboxRequest;
}

export async function mintForServiceAccount(
  world: World,
  caller: Principal,
  target: string,
  o: MintOptions,
): Promise<Minted> {
  const permission = o.kind === 'access' ? 'iam.serviceAccounts.getAccessToken' : 'iam.serviceAccounts.getOpenIdToken';
  const consumer = o.consumerProject !== undefined ? world.project(o.consumerProject) : undefined;
  if (consumer && !consumer.services.has('iamcredentials.googleapis.com')) {
    return {
      ok: false,
      response: serviceDisabled(consumer, 'iamcredentials.googleapis.com', 'IAM Service Account Credentials API'),
    };
  }
  const gsa = world.gsa(target);
  if (!gsa) return { ok: false, response: permissionDenied(permission) };
  const lifetime = o.lifetimeSeconds ?? 3600;
  if (!(lifetime >= 1 && lifetime <= 3600)) {
    return {
      ok: false,
      response: googleError(
        400,
        'The lifetime must be between 1s and 3600s (longer lifetimes need an org policy exception).',
      ),
    };
  }
  const allowed = world.check(caller, permission, world.gsaChain(gsa)).allowed;
  auditCredentials(
    world,
    gsa,
    caller,
    o.kind === 'access' ? 'GenerateAccessToken' : 'GenerateIdToken',
    allowed && !gsa.disabled,
    o.userAgent,
    o.req,
  );
  if (!allowed) return { ok: false, response: permissionDenied(permission) };
  // UNVERIFIED exact text for a disabled target; all that is known is that requests fail.
  if (gsa.disabled)
    return { ok: false, response: googleError(400, 'Precondition check failed.', 'FAILED_PRECONDITION') };
  const expires = world.now() + lifetime * 1000;
  world.authenticated(gsa);
  if (o.kind === 'access') {
    const { token } = world.tokens.mint(
      {
        principal: { kind: 'serviceAccount', email: gsa.email, uniqueId: gsa.uniqueId, projectId: gsa.projectId },
        scopes: o.scopes && o.scopes.length > 0 ? o.scopes : [CLOUD_PLATFORM],
        kind: 'gsa',
        delegatedFrom: caller,
      },
      lifetime,
    );
    return { ok: true, token, expireTime: new Date(expires).toISOString().replace(/\.\d+Z$/, 'Z'), gsa };
  }
  const claims: Record<string, unknown> = { azp: gsa.uniqueId, sub: gsa.uniqueId };
  if (o.includeEmail) Object.assign(claims, { email: gsa.email, email_verified: true });
  const token = await googleIdToken(world, claims, o.audience ?? '', Math.min(lifetime, 3600));
  return { ok: true, token, expireTime: new Date(expires).toISOString(), gsa };
}

export async function googleIdToken(
  world: World,
  claims: Record<string, unknown>,
  audience: string,
  lifetime = 3600,
): Promise<string> {
  const iat = Math.floor(world.now() / 1000);
  const key = await world.googleKey;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer('https://accounts.google.com')
    .setAudience(audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime)
    .sign(key.privateKey);
}

/** The Data Access entry of a token (or signature) request, when the target's project logs them. */
export function auditCredentials(
  world: World,
  gsa: GsaState,
  caller: Principal,
  methodName: string,
  ok: boolean,
  userAgent: string | undefined,
  req?: SandboxRequest,
): void {
  const policy = world.policies.effective(`projects/${gsa.projectId}`) ?? {};
  if (!adminReadLogged(policy, memberOf(caller))) return;
  const requestType = `type.googleapis.com/google.iam.credentials.v1.${methodName}Request`;
  world.audit.dataAccess({
    projectId: gsa.projectId,
    serviceName: 'iamcredentials.googleapis.com',
    methodName,
    resourceName: `projects/-/serviceAccounts/${gsa.uniqueId}`,
    resource: {
      type: 'service_account',
      labels: { email_id: gsa.email, project_id: gsa.projectId, unique_id: gsa.uniqueId },
    },
    caller,
    ...(req ? { req } : {}),
    ...(userAgent !== undefined ? { userAgent } : {}),
    permission: CREDENTIAL_PERMISSIONS[methodName] ?? '',
    granted: ok,
    ...(ok ? {} : { status: { code: 7, message: 'PERMISSION_DENIED' } }),
    request: { '@type': requestType, name: `projects/-/serviceAccounts/${gsa.email}` },
  });
}

const CREDENTIAL_PERMISSIONS: Record<string, string> = {
  GenerateAccessToken: 'iam.serviceAccounts.getAccessToken',
  GenerateIdToken: 'iam.serviceAccounts.getOpenIdToken',
  SignBlob: 'iam.serviceAccounts.signBlob',
  SignJwt: 'iam.serviceAccounts.signJwt',
};
