// Verify a JWT's signature against its issuer's keys (jose), then its issuer, audience and times. Keys come
// from a JWKS file, a JWKS URL, OIDC discovery on the token's own issuer, or GKE's cluster JWKS
// (`GET https://container.googleapis.com/v1/projects/P/locations/L/clusters/C/jwks`). Refuses
// `alg: none` and HMAC algorithms: Kubernetes and Google sign with public keys, and accepting a shared-secret
// algorithm would let a public key be used as an HMAC secret (key confusion).

import { readFile } from 'node:fs/promises';
import { compactVerify, errors, importJWK } from 'jose';
import type { JWK } from 'jose';
import type { ClusterRef } from '../model/facts.js';
import { clusterResourceName } from '../model/facts.js';
import { evaluateClaims } from './claims.js';
import { TokenError, decodeToken, normalizeTokenText } from './decode.js';

export interface VerifyOptions {
  /** A JWKS: an http(s) URL, or a file path. */
  jwks?: URL | string;
  /** OIDC discovery on the token's `iss`: `{iss}/.well-known/openid-configuration` → `jwks_uri`. */
  fromIssuer?: boolean;
  /**
   * The container API's base URL when it is not Google's (an endpoint override): a GKE issuer
   * (`https://container.googleapis.com/v1/projects/…`) is then discovered under it.
   */
  containerEndpoint?: string;
  audience?: string;
  issuer?: string;
  /** The clock for exp/nbf/iat (default: the current time). */
  now?: Date;
  skewSeconds?: number;
  /** Per HTTP request (default 10 s). */
  timeoutMs?: number;
}

export type VerifyCheckName = 'structure' | 'algorithm' | 'key' | 'signature' | 'issuer' | 'audience' | 'time';

export interface VerifyCheck {
  name: VerifyCheckName;
  ok: boolean;
  /** false when there was nothing to compare with (no --expect-… given): not a failure, and not a pass either. */
  compared?: false;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  alg?: string;
  kid?: string;
  /** Where the keys came from (file path or URL). */
  keySource?: string;
  checks: VerifyCheck[];
  /** The first failure, one line. */
  error?: string;
  /** True when the token or the keys could not be read at all (the CLI exits 2, not 1). */
  inputError?: boolean;
}

/** Public-key algorithms jose verifies; STS itself accepts only RS256 and ES256. */
const ALLOWED_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const STS_ALGS = ['RS256', 'ES256'];

/** GKE's cluster JWKS URL under a container API base URL (default Google's; endpoint overrides for tests). */
export function clusterJwksUrl(ref: ClusterRef, containerBase = 'https://container.googleapis.com/'): URL {
  const base = containerBase.endsWith('/') ? containerBase : `${containerBase}/`;
  return new URL(`v1/${clusterResourceName(ref)}/jwks`, base);
}

class KeySourceError extends Error {}

const GKE_ISSUER_BASE = 'https://container.googleapis.com/';

/** Where a token's issuer is discovered: the issuer itself, or a GKE issuer under an overridden container API. */
function discoveryBase(iss: string, containerEndpoint: string | undefined): string {
  if (containerEndpoint === undefined || containerEndpoint === GKE_ISSUER_BASE || !iss.startsWith(GKE_ISSUER_BASE))
    return iss;
  const base = containerEndpoint.endsWith('/') ? containerEndpoint : `${containerEndpoint}/`;
  return `${base}${iss.slice(GKE_ISSUER_BASE.length)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function fetchJson(url: string, what: string, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { Accept: 'application/json' } });
  } catch (e) {
    const reason =
      e instanceof Error ? (e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.message) : String(e);
    throw new KeySourceError(`${what} ${url}: ${reason}`);
  }
  if (!response.ok) throw new KeySourceError(`${what} ${url}: HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new KeySourceError(`${what} ${url}: not JSON`);
  }
}

function jwkList(json: unknown, source: string): JWK[] {
  if (!isRecord(json) || !Array.isArray(json.keys)) throw new KeySourceError(`${source}: not a JWKS (no "keys" list)`);
  return json.keys.filter(isRecord);
}

async function loadJwks(
  iss: unknown,
  options: VerifyOptions,
  timeoutMs: number,
): Promise<{ keys: JWK[]; source: string }> {
  const given = options.jwks;
  if (given !== undefined) {
    const asUrl = given instanceof URL ? given : /^https?:\/\//i.test(given) ? new URL(given) : undefined;
    if (asUrl) return { keys: jwkList(await fetchJson(asUrl.href, 'JWKS', timeoutMs), asUrl.href), source: asUrl.href };
    const path = String(given);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new KeySourceError(`JWKS file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KeySourceError(`JWKS file ${path}: not JSON`);
    }
    return { keys: jwkList(json, `JWKS file ${path}`), source: path };
  }
  if (options.fromIssuer) {
    if (typeof iss !== 'string' || !/^https?:\/\//i.test(iss)) {
      throw new KeySourceError(`OIDC discovery needs an http(s) issuer; the token's \`iss\` is ${JSON.stringify(iss)}`);
    }
    const discovery = `${discoveryBase(iss, options.containerEndpoint).replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const doc = await fetchJson(discovery, 'OIDC discovery', timeoutMs);
    if (!isRecord(doc)) throw new KeySourceError(`OIDC discovery ${discovery}: not a JSON object`);
    // OpenID Connect Discovery §4.3: the document's issuer must be the one it was fetched for.
    if (doc.issuer !== iss) {
      throw new KeySourceError(
        `OIDC discovery ${discovery}: its issuer is ${JSON.stringify(doc.issuer)}, not the token's \`${iss}\``,
      );
    }
    if (typeof doc.jwks_uri !== 'string') throw new KeySourceError(`OIDC discovery ${discovery}: no "jwks_uri"`);
    return { keys: jwkList(await fetchJson(doc.jwks_uri, 'JWKS', timeoutMs), doc.jwks_uri), source: doc.jwks_uri };
  }
  throw new KeySourceError('no key source: give --jwks URL|FILE, --from-issuer or --from-cluster');
}

const KTY_OF: Record<string, string> = { RS: 'RSA', PS: 'RSA', ES: 'EC', Ed: 'OKP' };

function usableFor(jwk: JWK, alg: string): boolean {
  const kty = KTY_OF[alg.slice(0, 2)];
  return jwk.kty === kty && (jwk.use === undefined || jwk.use === 'sig') && (jwk.alg === undefined || jwk.alg === alg);
}

function algorithmCheck(alg: unknown): VerifyCheck {
  if (alg === 'none') {
    return { name: 'algorithm', ok: false, message: 'alg `none` refused: an unsecured token proves nothing' };
  }
  if (typeof alg === 'string' && /^HS\d+$/.test(alg)) {
    return {
      name: 'algorithm',
      ok: false,
      message: `alg \`${alg}\` refused: a shared-secret MAC; Kubernetes and Google sign with public keys`,
    };
  }
  if (typeof alg !== 'string' || !ALLOWED_ALGS.includes(alg)) {
    return {
      name: 'algorithm',
      ok: false,
      message: `alg ${JSON.stringify(alg)} refused: not a supported signature algorithm`,
    };
  }
  const sts = STS_ALGS.includes(alg) ? '' : ' (STS accepts only RS256 and ES256)';
  return { name: 'algorithm', ok: true, message: `alg \`${alg}\`${sts}` };
}

const finish = (result: VerifyResult): VerifyResult => {
  const failed = result.checks.find((c) => !c.ok);
  return failed ? { ...result, ok: false, error: result.error ?? failed.message } : { ...result, ok: true };
};

export async function verifyToken(text: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const checks: VerifyCheck[] = [];
  let compact: string;
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    compact = normalizeTokenText(text).compact;
    ({ header, claims } = decodeToken(text));
  } catch (e) {
    if (!(e instanceof TokenError)) throw e;
    return finish({ ok: false, inputError: true, checks: [{ name: 'structure', ok: false, message: e.message }] });
  }
  checks.push({ name: 'structure', ok: true, message: 'a JWT: header, claims and signature' });
  const alg = typeof header.alg === 'string' ? header.alg : undefined;
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const base: VerifyResult = { ok: false, checks };
  if (alg !== undefined) base.alg = alg;
  if (kid !== undefined) base.kid = kid;

  const algCheck = algorithmCheck(header.alg);
  checks.push(algCheck);
  if (!algCheck.ok || alg === undefined) return finish(base);

  // Never fetch keys from an issuer that is not the expected one: the token chose that URL.
  if (options.fromIssuer && options.issuer !== undefined && claims.iss !== options.issuer) {
    checks.push({
      name: 'issuer',
      ok: false,
      message: `wrong issuer: \`${String(claims.iss)}\`, expected \`${options.issuer}\` (keys not fetched)`,
    });
    return finish(base);
  }

  let keys: JWK[];
  try {
    const loaded = await loadJwks(claims.iss, options, options.timeoutMs ?? 10_000);
    keys = loaded.keys;
    base.keySource = loaded.source;
  } catch (e) {
    if (!(e instanceof KeySourceError)) throw e;
    checks.push({ name: 'key', ok: false, message: e.message });
    return finish({ ...base, inputError: true });
  }

  const source = base.keySource ?? 'the JWKS';
  const kids = keys.map((k) => (typeof k.kid === 'string' ? `\`${k.kid}\`` : '(no kid)'));
  const candidates = kid !== undefined ? keys.filter((k) => k.kid === kid) : keys.filter((k) => usableFor(k, alg));
  if (candidates.length === 0) {
    const message =
      kid !== undefined
        ? `unknown kid \`${kid}\`: ${source} has ${kids.length ? kids.join(', ') : 'no keys'}`
        : `no \`kid\` in the header and no ${KTY_OF[alg.slice(0, 2)] ?? ''} key for \`${alg}\` in ${source}`;
    checks.push({ name: 'key', ok: false, message });
    return finish(base);
  }
  const mismatched = candidates.find((k) => k.alg !== undefined && k.alg !== alg);
  if (mismatched && candidates.length === 1) {
    checks.push({
      name: 'key',
      ok: false,
      message: `key \`${kid ?? ''}\` of ${source} is for \`${mismatched.alg ?? ''}\`, the token says \`${alg}\``,
    });
    return finish(base);
  }
  const noKid = kid === undefined ? ' (no `kid` in the header: STS requires one)' : '';
  checks.push({
    name: 'key',
    ok: true,
    message: `${candidates.length === 1 ? 'one key' : `${candidates.length} keys`} of ${source} match${noKid}`,
  });

  let verified = false;
  let failure = `bad signature: it does not match ${kid !== undefined ? `key \`${kid}\`` : 'any key'} of ${source}`;
  for (const jwk of candidates) {
    try {
      const key = await importJWK(jwk, alg);
      await compactVerify(compact, key, { algorithms: [alg] });
      verified = true;
      break;
    } catch (e) {
      if (e instanceof errors.JWSSignatureVerificationFailed) continue;
      const message = e instanceof Error ? e.message : String(e);
      failure = e instanceof errors.JWSInvalid ? `not a valid JWS: ${message}` : `key or token unusable: ${message}`;
    }
  }
  checks.push(
    verified
      ? {
          name: 'signature',
          ok: true,
          message: `signature verified with ${kid !== undefined ? `key \`${kid}\`` : 'a key'} of ${source}`,
        }
      : { name: 'signature', ok: false, message: failure },
  );

  const now = options.now ?? new Date();
  const evaluation = evaluateClaims(claims, {
    now,
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
    ...(options.skewSeconds !== undefined ? { skewSeconds: options.skewSeconds } : {}),
  });
  const byRule = (rules: string[]) => evaluation.findings.filter((f) => rules.includes(f.rule));
  const issuer = byRule(['iss']);
  checks.push(
    issuer.some((f) => f.status === 'fail')
      ? { name: 'issuer', ok: false, message: `wrong issuer: ${issuer.map((f) => f.message).join('; ')}` }
      : options.issuer !== undefined
        ? { name: 'issuer', ok: true, message: `issuer \`${options.issuer}\`` }
        : {
            name: 'issuer',
            ok: true,
            compared: false,
            message: `issuer \`${String(claims.iss)}\` not compared (give --expect-issuer)`,
          },
  );
  const aud = byRule(['aud']);
  checks.push(
    aud.some((f) => f.status === 'fail')
      ? { name: 'audience', ok: false, message: aud.map((f) => f.message).join('; ') }
      : options.audience !== undefined
        ? { name: 'audience', ok: true, message: `audience includes \`${options.audience}\`` }
        : {
            name: 'audience',
            ok: true,
            compared: false,
            message: `audience ${JSON.stringify(claims.aud)} not compared (give --expect-audience)`,
          },
  );
  const time = byRule(['exp', 'nbf', 'iat', 'lifetime']);
  const timeFailures = time.filter((f) => f.status === 'fail');
  checks.push({
    name: 'time',
    ok: timeFailures.length === 0,
    message: (timeFailures.length > 0 ? timeFailures : time.filter((f) => f.rule === 'exp' || f.status === 'warn'))
      .map((f) => f.message)
      .join('; '),
  });
  return finish(base);
}
