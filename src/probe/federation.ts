// Workload Identity Federation mode: GOOGLE_APPLICATION_CREDENTIALS names an `external_account` file whose
// credential_source.file is a projected KSA token. The probe checks the file's shape, the token file (exists,
// readable, claims, age against the kubelet's refresh rule), then does what client libraries do: the STS
// exchange (form encoded) and, when the file says so, generateAccessToken on the GSA.

import { readFileSync, statSync } from 'node:fs';
import { describeFailure, googleErrorText, type HttpOutcome } from './http.js';
import { audiences, decodeJwt, numericClaim } from './jwt.js';
import { requestWithRetries, retryVerdict } from './retry.js';
import type { ProbeOptions, ProbeStep } from './types.js';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const DAY_S = 24 * 3600;
/** Slack on top of the kubelet's refresh point before a token counts as stale (sync periods, clock skew). */
const REFRESH_GRACE_S = 300;

export interface ExternalAccount {
  audience: string;
  subjectTokenType: string;
  tokenUrl: string;
  tokenFile: string;
  /** `text` (default) or `json` with the field holding the token. */
  format: { type: 'text' } | { type: 'json'; field: string };
  impersonationUrl: string | undefined;
  /** The GSA named in the impersonation URL. */
  gsa: string | undefined;
}

/** What GOOGLE_APPLICATION_CREDENTIALS holds, as the probe sees it. */
export type CredentialFile =
  | { kind: 'none' }
  | { kind: 'unreadable'; path: string; error: string }
  | { kind: 'invalid'; path: string; error: string }
  | { kind: 'service_account'; path: string; email: string | undefined }
  | { kind: 'other'; path: string; type: string }
  | { kind: 'external_account'; path: string; config: ExternalAccount | undefined; problems: string[] };

/** A JSON value for a message: strings and numbers as they are, anything else as a placeholder. */
function show(v: unknown, fallback = '?'): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : fallback;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

const IMPERSONATION = /\/v1\/projects\/[^/]+\/serviceAccounts\/([^/:]+):generateAccessToken$/;

export function readCredentialFile(path: string | undefined): CredentialFile {
  if (path === undefined) return { kind: 'none' };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { kind: 'unreadable', path, error: err.code === 'ENOENT' ? 'does not exist' : (err.code ?? err.message) };
  }
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    json = parsed as Record<string, unknown>;
  } catch {
    return { kind: 'invalid', path, error: 'is not a JSON object' };
  }
  const type = str(json.type) ?? '(no type)';
  if (type === 'service_account') return { kind: 'service_account', path, email: str(json.client_email) };
  if (type !== 'external_account') return { kind: 'other', path, type };
  const problems: string[] = [];
  const audience = str(json.audience);
  if (!audience) problems.push('no "audience"');
  const tokenUrl = str(json.token_url);
  if (!tokenUrl) problems.push('no "token_url"');
  const source = (json.credential_source ?? {}) as Record<string, unknown>;
  const tokenFile = str(source.file);
  if (!tokenFile) {
    const other = Object.keys(source).filter((k) => k !== 'format');
    problems.push(
      other.length > 0
        ? `credential_source has ${other.join(', ')}, not "file": the probe checks file sources (projected KSA tokens) only`
        : 'no "credential_source.file"',
    );
  }
  const fmt = (source.format ?? {}) as Record<string, unknown>;
  let format: ExternalAccount['format'] = { type: 'text' };
  if (fmt.type === 'json') {
    const field = str(fmt.subject_token_field_name);
    if (!field) problems.push('credential_source.format is json without subject_token_field_name');
    format = { type: 'json', field: field ?? '' };
  }
  const impersonationUrl = str(json.service_account_impersonation_url);
  let gsa: string | undefined;
  if (impersonationUrl) {
    const m = IMPERSONATION.exec(impersonationUrl);
    if (m) gsa = decodeURIComponent(m[1] ?? '').toLowerCase();
    else
      problems.push(
        `service_account_impersonation_url ${impersonationUrl} is not …/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken`,
      );
  }
  const config =
    audience && tokenUrl && tokenFile
      ? {
          audience,
          subjectTokenType: str(json.subject_token_type) ?? JWT_TYPE,
          tokenUrl,
          tokenFile,
          format,
          impersonationUrl,
          gsa,
        }
      : undefined;
  return { kind: 'external_account', path, config, problems };
}

/** The pool of an STS audience, and the token audiences a provider accepts by default. */
export function expectedTokenAudiences(audience: string): { pool: string | undefined; accepted: string[] } {
  const ns = /^identitynamespace:([^:]+):/.exec(audience);
  if (ns) return { pool: ns[1], accepted: [ns[1] ?? ''] };
  const provider =
    /^\/\/iam\.googleapis\.com\/(projects\/\d+\/locations\/global\/workloadIdentityPools\/([^/]+)\/providers\/[^/]+)$/.exec(
      audience,
    );
  if (provider)
    return {
      pool: provider[2],
      accepted: [provider[2] ?? '', `https://iam.googleapis.com/${provider[1] ?? ''}`, audience],
    };
  return { pool: undefined, accepted: [] };
}

/** Send a URL from the credential file to the configured base instead, keeping its path. */
export function rebase(url: string, base: string | undefined): string {
  if (base === undefined) return url;
  try {
    const u = new URL(url);
    return `${base}${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

function tokenUrlProblem(
  tokenUrl: string,
  configured: string | undefined,
): { status: 'pass' | 'warn' | 'fail'; text: string } {
  let u: URL;
  try {
    u = new URL(tokenUrl);
  } catch {
    return { status: 'fail', text: `token_url ${tokenUrl} is not a URL` };
  }
  if (!/\/v1(beta)?\/token$/.test(u.pathname))
    return { status: 'fail', text: `token_url ${tokenUrl} is not an STS token endpoint (…/v1/token)` };
  const known =
    /^sts(\.mtls)?\.googleapis\.com$/.test(u.hostname) || (configured !== undefined && tokenUrl.startsWith(configured));
  if (!known) return { status: 'warn', text: `token_url points at ${u.host}, not sts.googleapis.com` };
  return { status: 'pass', text: `token_url ${tokenUrl}` };
}

export interface FederationState {
  federatedToken?: string;
  accessToken?: string;
  identity?: string;
}

function fileStep(
  cfg: ExternalAccount,
  file: Extract<CredentialFile, { kind: 'external_account' }>,
  o: ProbeOptions,
): ProbeStep {
  const notes: string[] = [];
  let status: ProbeStep['status'] = 'pass';
  const t = tokenUrlProblem(cfg.tokenUrl, o.stsUrl);
  notes.push(t.text);
  if (t.status !== 'pass') status = t.status;
  const { pool } = expectedTokenAudiences(cfg.audience);
  if (pool === undefined) {
    status = 'fail';
    notes.push(
      `audience ${cfg.audience} is neither //iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/providers/P nor identitynamespace:POOL:PROVIDER`,
    );
  }
  if (cfg.subjectTokenType !== JWT_TYPE && cfg.subjectTokenType !== 'urn:ietf:params:oauth:token-type:id_token') {
    status = 'fail';
    notes.push(`subject_token_type ${cfg.subjectTokenType} is not a JWT type`);
  }
  const bad = notes.filter((_n, i) => i > 0 || t.status !== 'pass');
  return {
    check: 'credential-config',
    step: 'credential-file',
    status,
    message:
      status === 'pass'
        ? `${file.path}: external_account for pool ${pool ?? '?'}, token file ${cfg.tokenFile}${cfg.gsa ? `, impersonating ${cfg.gsa}` : ', no impersonation (direct federation)'}`
        : `${file.path}: ${bad.join('; ')}`,
    ms: 0,
    evidence: {
      path: file.path,
      audience: cfg.audience,
      token_url: cfg.tokenUrl,
      token_file: cfg.tokenFile,
      impersonation: cfg.gsa ?? null,
      notes,
    },
  };
}

function readSubjectToken(
  cfg: ExternalAccount,
): { ok: true; token: string; mtimeMs: number } | { ok: false; error: string } {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(cfg.tokenFile).mtimeMs;
    text = readFileSync(cfg.tokenFile, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT')
      return {
        ok: false,
        error: `${cfg.tokenFile} does not exist: the projected token volume is not mounted in this container (ephemeral debug containers do not see the app's volumes)`,
      };
    if (err.code === 'EACCES' || err.code === 'EPERM')
      return { ok: false, error: `${cfg.tokenFile} is not readable by this user (${err.code})` };
    return { ok: false, error: `${cfg.tokenFile}: ${err.code ?? err.message}` };
  }
  if (cfg.format.type === 'json') {
    try {
      const v = (JSON.parse(text) as Record<string, unknown>)[cfg.format.field];
      if (typeof v !== 'string')
        return { ok: false, error: `${cfg.tokenFile} has no string field ${cfg.format.field}` };
      text = v;
    } catch {
      return { ok: false, error: `${cfg.tokenFile} is not JSON (credential_source.format is json)` };
    }
  }
  if (text.trim() === '') return { ok: false, error: `${cfg.tokenFile} is empty` };
  return { ok: true, token: text.trim(), mtimeMs };
}

/** The kubelet refreshes a projected token once it is older than 80 % of its TTL or older than 24 h. */
export function refreshPoint(iat: number, exp: number): number {
  return iat + Math.min(0.8 * (exp - iat), DAY_S);
}

function claimsStep(cfg: ExternalAccount, token: string, mtimeMs: number, o: ProbeOptions): ProbeStep {
  const base = { check: 'credential-config' as const, step: 'token-claims', ms: 0 };
  const jwt = decodeJwt(token);
  if (!jwt.ok) return { ...base, status: 'fail', message: `the token file does not hold a JWT: ${jwt.error}` };
  const c = jwt.value.claims;
  const now = o.now() / 1000;
  const iat = numericClaim(c, 'iat');
  const exp = numericClaim(c, 'exp');
  const nbf = numericClaim(c, 'nbf');
  const aud = audiences(c);
  const k8s = (c['kubernetes.io'] ?? {}) as { namespace?: unknown; serviceaccount?: { name?: unknown } };
  const evidence: Record<string, unknown> = {
    iss: c.iss ?? null,
    sub: c.sub ?? null,
    aud,
    namespace: k8s.namespace ?? null,
    serviceaccount: k8s.serviceaccount?.name ?? null,
    iat: iat ?? null,
    exp: exp ?? null,
    file_age_s: Math.round(now - mtimeMs / 1000),
  };
  const problems: { status: 'fail' | 'warn'; text: string }[] = [];
  if (exp === undefined) problems.push({ status: 'fail', text: 'no exp claim' });
  else if (exp <= now)
    problems.push({
      status: 'fail',
      text: `expired ${Math.round(now - exp)} s ago: the kubelet is not refreshing the token file (or the file is a copy, not the projected volume)`,
    });
  if (nbf !== undefined && nbf > now + 60)
    problems.push({ status: 'fail', text: `not valid before ${new Date(nbf * 1000).toISOString()}` });
  if (iat !== undefined && exp !== undefined && exp > now) {
    const due = refreshPoint(iat, exp);
    evidence.refresh_due = new Date(due * 1000).toISOString();
    if (now > due + REFRESH_GRACE_S)
      problems.push({
        status: 'warn',
        text: `stale: issued ${Math.round(now - iat)} s ago, past the kubelet's refresh point (80 % of its ${exp - iat} s TTL or 24 h)`,
      });
  }
  const expected = expectedTokenAudiences(cfg.audience);
  if (expected.accepted.length > 0 && !aud.some((a) => expected.accepted.includes(a)))
    problems.push({
      status: 'warn',
      text: `audience ${JSON.stringify(aud)} is not ${expected.accepted.map((a) => JSON.stringify(a)).join(' or ')} (what the pool accepts unless the provider lists other audiences)`,
    });
  const worst = problems.some((p) => p.status === 'fail') ? 'fail' : problems.length > 0 ? 'warn' : 'pass';
  const who = typeof c.sub === 'string' ? c.sub : 'unknown subject';
  return {
    ...base,
    status: worst,
    message:
      worst === 'pass'
        ? `${who}, audience ${aud.join(', ')}, expires in ${exp !== undefined ? Math.round(exp - now) : '?'} s`
        : `token file (${who}): ${problems.map((p) => p.text).join('; ')}`,
    evidence,
  };
}

function outcomeError(o: ProbeOptions, out: HttpOutcome): string {
  if (out.ok) return `HTTP ${out.status}: ${googleErrorText(out.body)}`;
  return out.code === 'timeout'
    ? `no answer within ${o.timeoutMs} ms (timeout): egress to the Google API is blocked or slow`
    : describeFailure(out);
}

async function stsStep(
  cfg: ExternalAccount,
  subjectToken: string,
  o: ProbeOptions,
  state: FederationState,
): Promise<ProbeStep> {
  const url = rebase(cfg.tokenUrl, o.stsUrl);
  const body = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE,
    audience: cfg.audience,
    scope: CLOUD_PLATFORM,
    requested_token_type: ACCESS_TOKEN_TYPE,
    subject_token: subjectToken,
    subject_token_type: cfg.subjectTokenType,
  }).toString();
  const r = await requestWithRetries(
    {
      url,
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
      timeoutMs: o.timeoutMs,
    },
    o.attempts,
    o.retryWindowMs,
  );
  const base = { check: 'pod-access-token' as const, step: 'sts-exchange', ms: r.ms, attempts: r.attempts };
  const retry = retryVerdict(r);
  const out = r.outcome;
  if (!out.ok || out.status !== 200) {
    return {
      ...base,
      status: 'fail',
      message: `STS token exchange at ${url} failed: ${outcomeError(o, out)}${retry ? `; ${retry.text}` : ''}`,
      evidence: { url, ...(out.ok ? { status: out.status, error: googleErrorText(out.body) } : { error: out.code }) },
    };
  }
  let parsed: { access_token?: unknown; expires_in?: unknown };
  try {
    parsed = JSON.parse(out.body) as typeof parsed;
  } catch {
    return { ...base, status: 'fail', message: 'the STS answer is not JSON', evidence: { url } };
  }
  if (typeof parsed.access_token !== 'string')
    return { ...base, status: 'fail', message: 'the STS answer has no access_token', evidence: { url } };
  state.federatedToken = parsed.access_token;
  return {
    ...base,
    status: retry?.recovered ? 'warn' : 'pass',
    message: `STS exchanged the KSA token for a federated token (expires_in ${show(parsed.expires_in)} s; never printed)${retry ? `; ${retry.text}` : ''}`,
    evidence: { url, expires_in: parsed.expires_in ?? null },
  };
}

async function impersonationStep(
  cfg: ExternalAccount,
  o: ProbeOptions,
  state: FederationState,
  principal: string,
): Promise<ProbeStep> {
  const base = { check: 'pod-access-token' as const, step: 'impersonation' };
  if (!cfg.impersonationUrl || !cfg.gsa)
    return {
      ...base,
      status: 'skip',
      message: 'no service_account_impersonation_url: the federated token is the credential (direct federation)',
      ms: 0,
    };
  const url = rebase(cfg.impersonationUrl, o.iamCredentialsUrl);
  const r = await requestWithRetries(
    {
      url,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${state.federatedToken ?? ''}` },
      body: JSON.stringify({ scope: [CLOUD_PLATFORM], lifetime: '3600s' }),
      timeoutMs: o.timeoutMs,
    },
    o.attempts,
    o.retryWindowMs,
  );
  const out = r.outcome;
  if (!out.ok || out.status !== 200) {
    const text = out.ok ? googleErrorText(out.body) : '';
    const denied = /Permission 'iam\.serviceAccounts\.getAccessToken' denied/.test(text);
    return {
      ...base,
      status: 'fail',
      message: denied
        ? `generateAccessToken on ${cfg.gsa} refused (${text}): ${principal} is missing roles/iam.workloadIdentityUser on that GSA, or the GSA does not exist — IAM answers the same for both`
        : `generateAccessToken on ${cfg.gsa} failed: ${outcomeError(o, out)}`,
      ms: r.ms,
      attempts: r.attempts,
      evidence: { url, ...(out.ok ? { status: out.status, error: text } : { error: out.code }) },
    };
  }
  let parsed: { accessToken?: unknown; expireTime?: unknown };
  try {
    parsed = JSON.parse(out.body) as typeof parsed;
  } catch {
    parsed = {};
  }
  if (typeof parsed.accessToken !== 'string')
    return { ...base, status: 'fail', message: 'generateAccessToken answered without accessToken', ms: r.ms };
  state.accessToken = parsed.accessToken;
  return {
    ...base,
    status: 'pass',
    message: `access token for ${cfg.gsa} (expireTime ${show(parsed.expireTime)}; never printed)`,
    ms: r.ms,
    attempts: r.attempts,
    evidence: { url, expireTime: parsed.expireTime ?? null },
  };
}

async function idTokenStep(cfg: ExternalAccount, o: ProbeOptions, state: FederationState): Promise<ProbeStep> {
  const base = { check: 'pod-access-token' as const, step: 'identity-token' };
  if (o.audience === undefined)
    return { ...base, status: 'skip', message: 'no --audience: identity token not asked for', ms: 0 };
  if (!cfg.impersonationUrl || !cfg.gsa || state.federatedToken === undefined)
    return {
      ...base,
      status: 'skip',
      message: 'identity tokens need an impersonated GSA; direct federation has none',
      ms: 0,
    };
  const url = rebase(cfg.impersonationUrl, o.iamCredentialsUrl).replace(/:generateAccessToken$/, ':generateIdToken');
  const r = await requestWithRetries(
    {
      url,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${state.federatedToken}` },
      body: JSON.stringify({ audience: o.audience, includeEmail: true }),
      timeoutMs: o.timeoutMs,
    },
    o.attempts,
    o.retryWindowMs,
  );
  const out = r.outcome;
  if (!out.ok || out.status !== 200)
    return {
      ...base,
      status: 'fail',
      message: `generateIdToken failed: ${outcomeError(o, out)}`,
      ms: r.ms,
      attempts: r.attempts,
    };
  let token = '';
  try {
    const t = (JSON.parse(out.body) as { token?: unknown }).token;
    token = typeof t === 'string' ? t : '';
  } catch {
    // handled below
  }
  const jwt = decodeJwt(token);
  if (!jwt.ok)
    return { ...base, status: 'fail', message: `generateIdToken answered without a JWT: ${jwt.error}`, ms: r.ms };
  const aud = audiences(jwt.value.claims);
  return {
    ...base,
    status: aud.includes(o.audience) ? 'pass' : 'fail',
    message: aud.includes(o.audience)
      ? `identity token for audience ${o.audience}`
      : `identity token audience ${JSON.stringify(aud)} is not ${o.audience}`,
    ms: r.ms,
    attempts: r.attempts,
    evidence: { aud, email: jwt.value.claims.email ?? null, iss: jwt.value.claims.iss ?? null },
  };
}

/** The federated principal of a KSA token's subject, as IAM members name it. */
function principalOf(cfg: ExternalAccount, sub: string | undefined): string {
  const m =
    /^\/\/iam\.googleapis\.com\/(projects\/\d+\/locations\/global\/workloadIdentityPools\/[^/]+)\/providers\//.exec(
      cfg.audience,
    );
  if (m && sub) return `principal://iam.googleapis.com/${m[1] ?? ''}/subject/${sub}`;
  const ns = /^identitynamespace:([^:]+):/.exec(cfg.audience);
  const ksa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(sub ?? '');
  if (ns && ksa) return `serviceAccount:${ns[1] ?? ''}[${ksa[1] ?? ''}/${ksa[2] ?? ''}]`;
  return sub ?? 'the federated identity';
}

function identityStep(cfg: ExternalAccount, o: ProbeOptions, principal: string, state: FederationState): ProbeStep {
  const base = { check: 'pod-identity' as const, step: 'identity', ms: 0 };
  const identity = cfg.gsa ?? principal;
  state.identity = identity;
  const evidence = { actual: identity, ...(o.expectGsa !== undefined ? { expected: o.expectGsa } : {}) };
  if (o.expectGsa !== undefined && identity !== o.expectGsa) {
    return {
      ...base,
      status: 'fail',
      message: cfg.gsa
        ? `the credential file impersonates ${cfg.gsa}, not the expected ${o.expectGsa}`
        : `the credential file has no service_account_impersonation_url: the pod acts as ${principal}, not ${o.expectGsa}`,
      evidence,
    };
  }
  return {
    ...base,
    status: 'pass',
    message: cfg.gsa
      ? `the pod impersonates ${cfg.gsa}${o.expectGsa ? ', the expected GSA' : ''}`
      : `the pod acts as ${principal} (direct federation)`,
    evidence,
  };
}

/** Every federation-mode step, in order. STS refusing the token's audience or lifetime is a config problem. */
export async function federationSteps(
  file: Extract<CredentialFile, { kind: 'external_account' }>,
  o: ProbeOptions,
  state: FederationState,
): Promise<ProbeStep[]> {
  const cfg = file.config;
  if (!cfg) {
    return [
      {
        check: 'credential-config',
        step: 'credential-file',
        status: 'fail',
        message: `${file.path} is external_account but malformed: ${file.problems.join('; ')}`,
        ms: 0,
        evidence: { path: file.path, problems: file.problems },
      },
    ];
  }
  const steps: ProbeStep[] = [fileStep(cfg, file, o)];
  if (file.problems.length > 0)
    steps.push({
      check: 'credential-config',
      step: 'credential-file',
      status: 'fail',
      message: file.problems.join('; '),
      ms: 0,
    });
  const started = Date.now();
  const subject = readSubjectToken(cfg);
  if (!subject.ok) {
    steps.push({
      check: 'credential-config',
      step: 'token-file',
      status: 'fail',
      message: subject.error,
      ms: Date.now() - started,
      evidence: { path: cfg.tokenFile },
    });
    steps.push({
      check: 'pod-access-token',
      step: 'sts-exchange',
      status: 'unknown',
      message: 'not tried: no subject token',
      ms: 0,
    });
    return steps;
  }
  steps.push({
    check: 'credential-config',
    step: 'token-file',
    status: 'pass',
    message: `${cfg.tokenFile} readable, written ${Math.round((o.now() - subject.mtimeMs) / 1000)} s ago`,
    ms: Date.now() - started,
    evidence: { path: cfg.tokenFile, mtime: new Date(subject.mtimeMs).toISOString() },
  });
  steps.push(claimsStep(cfg, subject.token, subject.mtimeMs, o));
  const decoded = decodeJwt(subject.token);
  const sub = decoded.ok && typeof decoded.value.claims.sub === 'string' ? decoded.value.claims.sub : undefined;
  const principal = principalOf(cfg, sub);
  steps.push(identityStep(cfg, o, principal, state));
  const sts = await stsStep(cfg, subject.token, o, state);
  steps.push(sts);
  const stsError = show((sts.evidence as { error?: unknown } | undefined)?.error, '');
  if (sts.status === 'fail' && /audience|invalid_target|expired|lifetime|issuer/i.test(stsError)) {
    steps.push({
      check: 'credential-config',
      step: 'sts-verdict',
      status: 'fail',
      message: `STS refused the credential configuration or its token: ${stsError}`,
      ms: 0,
      evidence: { error: stsError },
    });
  }
  if (state.federatedToken === undefined) return steps;
  steps.push(await impersonationStep(cfg, o, state, principal));
  steps.push(await idTokenStep(cfg, o, state));
  if (state.accessToken === undefined && !cfg.impersonationUrl) state.accessToken = state.federatedToken;
  return steps;
}
