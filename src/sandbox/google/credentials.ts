// Token minting shared by the IAM Credentials API and the metadata server: the caller needs
// getAccessToken (resp. getOpenIdToken) on the target through IAM; a missing account and a missing binding
// look the same; every attempt on an existing account writes a Data Access entry when the
// target project's audit configs turn ADMIN_READ on.

import { SignJWT } from 'jose';
import { adminReadLogged } from '../audit.js';
import { googleError, permissionDenied } from '../http/errors.js';
import type { SandboxResponse } from '../http/router.js';
import type { Principal } from '../iam/principal.js';
import { CLOUD_PLATFORM } from '../tokens.js';
import type { GsaState, World } from '../world.js';
import { authInfo, memberOf } from './common.js';
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
  audit(world, gsa, caller, o, allowed && !gsa.disabled);
  if (!allowed) return { ok: false, response: permissionDenied(permission) };
  // UNVERIFIED exact text for a disabled target: all that is documented is that requests fail.
  if (gsa.disabled)
    return { ok: false, response: googleError(400, 'Precondition check failed.', 'FAILED_PRECONDITION') };
  const expires = world.now() + lifetime * 1000;
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

function audit(world: World, gsa: GsaState, caller: Principal, o: MintOptions, ok: boolean): void {
  const policy = world.policies.effective(`projects/${gsa.projectId}`) ?? {};
  if (!adminReadLogged(policy, memberOf(caller))) return;
  world.audit.add(gsa.projectId, 'data_access', {
    severity: ok ? 'INFO' : 'ERROR',
    resource: {
      type: 'service_account',
      labels: { email_id: gsa.email, project_id: gsa.projectId, unique_id: gsa.uniqueId },
    },
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      serviceName: 'iamcredentials.googleapis.com',
      methodName: o.kind === 'access' ? 'GenerateAccessToken' : 'GenerateIdToken',
      resourceName: `projects/-/serviceAccounts/${gsa.uniqueId}`,
      authenticationInfo: ok ? authInfo(caller) : {},
      requestMetadata: { callerIp: '127.0.0.1', callerSuppliedUserAgent: o.userAgent ?? '' },
      status: ok ? {} : { code: 7, message: 'PERMISSION_DENIED' },
      request: {
        '@type': 'type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest',
        name: `projects/-/serviceAccounts/${gsa.email}`,
      },
    },
  });
}
