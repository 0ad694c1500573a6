// The JWT-bearer grant (RFC 7523) of Google's OAuth2 token endpoint: a service-account key file signs an
// assertion, the endpoint verifies it against the account's keys and returns an access token (or, with a
// `target_audience` claim, an ID token) for the account, to which the sandbox's IAM semantics then apply.

import { verify } from 'node:crypto';
import type { SandboxResponse } from '../http/router.js';
import { userManagedKeys } from '../key-files.js';
import type { World } from '../world.js';
import { googleIdToken } from './credentials.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Audiences Google accepts in an assertion; clients (google-auth-library 10's gtoken) sign the first. */
const GOOGLE_TOKEN_AUDIENCES = [
  'https://oauth2.googleapis.com/token',
  'https://www.googleapis.com/oauth2/v4/token',
  'https://accounts.google.com/o/oauth2/token',
];

// Texts seen from Google (googleapis/google-cloud-python#10004, google-github-actions/setup-gcloud#76,
// googleapis/google-cloud-php#3622).
export const INVALID_SIGNATURE = 'Invalid JWT Signature.';
export const ACCOUNT_NOT_FOUND = 'Invalid grant: account not found';
export const NOT_SHORT_LIVED =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';
export const INVALID_SCOPE = 'Invalid OAuth scope or ID token audience provided.';

/** Clock skew tolerated for `iat` in the future, as token endpoints commonly allow. */
const SKEW_SECONDS = 300;

function oauthError(status: number, error: string, description: string): SandboxResponse {
  return { status, json: { error, error_description: description } };
}

interface Assertion {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signed: Buffer;
  signature: Buffer;
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseAssertion(jwt: string): Assertion | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  const [h = '', p = '', s = ''] = parts;
  const header = decodePart(h);
  const claims = decodePart(p);
  if (!header || !claims) return undefined;
  return { header, claims, signed: Buffer.from(`${h}.${p}`), signature: Buffer.from(s, 'base64url') };
}

export async function jwtBearerGrant(world: World, assertionText: string): Promise<SandboxResponse> {
  const a = parseAssertion(assertionText);
  // UNVERIFIED: Google's exact text for an assertion that is not a JWS.
  if (!a) return oauthError(400, 'invalid_grant', 'Invalid JWT: the assertion is not a signed JWT.');
  const iss = typeof a.claims.iss === 'string' ? a.claims.iss : '';
  const gsa = world.gsa(iss);
  if (!gsa) return oauthError(400, 'invalid_grant', ACCOUNT_NOT_FOUND);

  // gtoken sends no `kid`; with one, only that key is tried. Only keys whose key file was handed out can
  // have signed anything, so keys never asked for are skipped (and never generated here).
  const kid = typeof a.header.kid === 'string' ? a.header.kid : undefined;
  const candidates = userManagedKeys(gsa).filter((k) => kid === undefined || k.name.endsWith(`/keys/${kid}`));
  let signer: (typeof candidates)[number] | undefined;
  if (a.header.alg === 'RS256') {
    for (const key of candidates) {
      const pair = await world.keyMaterial.existing(key);
      if (pair && verify('RSA-SHA256', a.signed, pair.publicKey, a.signature)) {
        signer = key;
        break;
      }
    }
  }
  // A disabled key reads like a deleted one (UNVERIFIED for disabled keys; observed for rotated-out keys).
  if (!signer || signer.disabled) return oauthError(400, 'invalid_grant', INVALID_SIGNATURE);
  // UNVERIFIED: reported for disabled accounts as well as deleted ones (older answers said "Robot is disabled.").
  if (gsa.disabled) return oauthError(400, 'invalid_grant', ACCOUNT_NOT_FOUND);

  const audiences = [
    ...GOOGLE_TOKEN_AUDIENCES,
    world.oauth2TokenUrl,
    world.oauth2TokenUrl.replace(/\/token$/, '/oauth2/v4/token'),
  ];
  if (typeof a.claims.aud !== 'string' || !audiences.includes(a.claims.aud)) {
    // UNVERIFIED text.
    return oauthError(
      400,
      'invalid_grant',
      `Invalid JWT: Failed audience check. The right audience is ${GOOGLE_TOKEN_AUDIENCES[0] ?? ''}`,
    );
  }
  const now = Math.floor(world.now() / 1000);
  const { iat, exp } = a.claims;
  if (
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    exp <= now ||
    iat > now + SKEW_SECONDS ||
    exp - iat > 3600 ||
    exp <= iat
  )
    return oauthError(400, 'invalid_grant', NOT_SHORT_LIVED);
  if (a.claims.sub !== undefined && a.claims.sub !== iss) {
    // Domain-wide delegation is a Workspace feature the sandbox does not play.
    return oauthError(
      401,
      'unauthorized_client',
      'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
    );
  }

  world.authenticated(gsa);
  if (typeof a.claims.target_audience === 'string' && a.claims.target_audience !== '') {
    const idToken = await googleIdToken(
      world,
      { azp: gsa.email, sub: gsa.uniqueId, email: gsa.email, email_verified: true },
      a.claims.target_audience,
    );
    return { status: 200, json: { id_token: idToken } };
  }
  const scopes = (typeof a.claims.scope === 'string' ? a.claims.scope : '').split(/\s+/).filter((s) => s !== '');
  if (scopes.length === 0) return oauthError(400, 'invalid_scope', INVALID_SCOPE);
  const { token } = world.tokens.mint(
    {
      principal: { kind: 'serviceAccount', email: gsa.email, uniqueId: gsa.uniqueId, projectId: gsa.projectId },
      scopes,
      kind: 'gsa',
    },
    3600,
  );
  return { status: 200, json: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
}
