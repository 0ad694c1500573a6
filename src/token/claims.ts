// The `token-claims` evaluation as a pure function of the claims and what is expected: times against `now` with a clock skew tolerance, the KSA identity in
// `sub` and `kubernetes.io`, the audience and the issuer. The check and `wi-doctor token decode` share it.

import type { Evidence } from '../model/results.js';
import { describeEpoch, formatDuration } from './time.js';

/** Tolerated difference between the issuer's clock and ours (jose, kube-apiserver and STS use similar). */
export const DEFAULT_SKEW_SECONDS = 60;
/** Warn when the token expires sooner than this: a caller that does not refresh is about to fail. */
export const EXPIRY_WARNING_SECONDS = 5 * 60;
/** STS refuses subject tokens with `exp - iat` of 48 h or more. */
export const STS_MAX_LIFETIME_SECONDS = 48 * 3600;

export interface ClaimExpectations {
  /** The only clock: facts.now, or the command's time. */
  now: Date;
  namespace?: string;
  ksa?: string;
  audience?: string;
  issuer?: string;
  /** Clock skew tolerance in seconds (default 60). */
  skewSeconds?: number;
}

export type FindingStatus = 'pass' | 'warn' | 'fail';

export interface ClaimFinding {
  /** What was looked at: exp, nbf, iat, lifetime, sub, kubernetes.io, namespace, ksa, aud, iss. */
  rule: string;
  status: FindingStatus;
  /** One line, real values in backticks. */
  message: string;
}

export interface TokenIdentity {
  namespace: string;
  name: string;
}

export interface ClaimsEvaluation {
  status: FindingStatus;
  /** One sentence: the first failure (and how many more), or what was established. */
  cause: string;
  findings: ClaimFinding[];
  /** The KSA the token is for (from `sub`), when it names one. */
  identity: TokenIdentity | undefined;
  evidence: Evidence;
}

const SUB = /^system:serviceaccount:([^:]+):([^:]+)$/;
const GKE_ISSUER =
  /^https:\/\/container\.googleapis\.com\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)$/;
/** Audiences of the Kubernetes API server itself (self-managed defaults). */
const API_SERVER_AUDIENCES = [
  'https://kubernetes.default.svc',
  'https://kubernetes.default.svc.cluster.local',
  'kubernetes.default.svc',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const code = (value: unknown): string => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

/** The KSA named by `sub` (`system:serviceaccount:NS:NAME`). */
export function subIdentity(claims: Record<string, unknown>): TokenIdentity | undefined {
  const m = typeof claims.sub === 'string' ? SUB.exec(claims.sub) : null;
  return m?.[1] && m[2] ? { namespace: m[1], name: m[2] } : undefined;
}

/** The KSA named by the `kubernetes.io` claim (Kubernetes ≥ 1.21 bound tokens). */
export function kubernetesIoIdentity(claims: Record<string, unknown>): Partial<TokenIdentity> | undefined {
  const k = claims['kubernetes.io'];
  if (!isRecord(k)) return undefined;
  const sa = isRecord(k.serviceaccount) ? k.serviceaccount : {};
  const out: Partial<TokenIdentity> = {};
  if (typeof k.namespace === 'string') out.namespace = k.namespace;
  if (typeof sa.name === 'string') out.name = sa.name;
  return out;
}

/** The KSA a token is for: `sub`, else the `kubernetes.io` claim. */
export function tokenIdentity(claims: Record<string, unknown>): TokenIdentity | undefined {
  const fromSub = subIdentity(claims);
  if (fromSub) return fromSub;
  const k = kubernetesIoIdentity(claims);
  return k?.namespace && k.name ? { namespace: k.namespace, name: k.name } : undefined;
}

/** `aud` as a list (a string is a list of one); non-strings are dropped. */
export function audiencesOf(claims: Record<string, unknown>): string[] {
  const aud = claims.aud;
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

/** True when the token is meant for the Kubernetes API server (its issuer, or a self-managed default), not for Google. */
export function isApiServerAudience(claims: Record<string, unknown>): boolean {
  const auds = audiencesOf(claims);
  const iss = typeof claims.iss === 'string' ? claims.iss : undefined;
  return auds.some((a) => API_SERVER_AUDIENCES.includes(a) || (iss !== undefined && a === iss));
}

export function parseGkeIssuer(iss: string): { project: string; location: string; cluster: string } | undefined {
  const m = GKE_ISSUER.exec(iss);
  return m?.[1] && m[2] && m[3] ? { project: m[1], location: m[2], cluster: m[3] } : undefined;
}

/** Why an issuer differs from the expected one, in words, when it is a near miss. */
function issuerHint(actual: string, expected: string): string {
  if (actual.replace(/\/+$/, '') === expected.replace(/\/+$/, ''))
    return ': they differ only by a trailing slash, and issuers are compared exactly';
  if (API_SERVER_AUDIENCES.includes(actual)) {
    return ": that is a self-managed cluster's default issuer, not GKE's";
  }
  const a = parseGkeIssuer(actual);
  const e = parseGkeIssuer(expected);
  if (a && e) {
    const diffs = (['project', 'location', 'cluster'] as const)
      .filter((k) => a[k] !== e[k])
      .map((k) => `${k} \`${a[k]}\` instead of \`${e[k]}\``);
    return `: a token of another GKE cluster (${diffs.join(', ')})`;
  }
  return '';
}

function audienceHint(auds: string[], expected: string): string {
  if (auds.some((a) => /workloadIdentityPools\/.*\/providers\//.test(a))) {
    return ': that is a Workload Identity Federation provider audience; GKE Workload Identity uses the pool name';
  }
  if (auds.some((a) => API_SERVER_AUDIENCES.includes(a) || a.startsWith('https://container.googleapis.com/'))) {
    return ': it is a token for the Kubernetes API server';
  }
  if (auds.some((a) => a.endsWith('.svc.id.goog'))) return `: a token for another project's pool, not \`${expected}\``;
  return '';
}

interface TimeClaims {
  exp: number | undefined;
  iat: number | undefined;
  nbf: number | undefined;
}

function timeFindings(claims: Record<string, unknown>, now: Date, skew: number, out: ClaimFinding[]): TimeClaims {
  const nowS = now.getTime() / 1000;
  const read = (name: 'exp' | 'iat' | 'nbf'): number | undefined => {
    const v = claims[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      out.push({
        rule: name,
        status: 'fail',
        message: `\`${name}\` is ${code(v)}, not a time in seconds (NumericDate)`,
      });
      return undefined;
    }
    return v;
  };
  const times: TimeClaims = { exp: read('exp'), iat: read('iat'), nbf: read('nbf') };
  const { exp, iat, nbf } = times;

  if (claims.exp === undefined) {
    out.push({
      rule: 'exp',
      status: 'fail',
      message:
        'no `exp`: the token never expires (a legacy Secret-based token?), and STS refuses subject tokens without one',
    });
  } else if (exp !== undefined) {
    const when = describeEpoch(exp, now);
    if (nowS >= exp + skew) out.push({ rule: 'exp', status: 'fail', message: `expired at ${when}` });
    else if (nowS >= exp) {
      out.push({
        rule: 'exp',
        status: 'warn',
        message: `expired at ${when}, within the clock skew tolerance of ${skew} s`,
      });
    } else if (exp - nowS < EXPIRY_WARNING_SECONDS) {
      out.push({
        rule: 'exp',
        status: 'warn',
        message: `expires at ${when}: a caller that does not re-read the token file fails then`,
      });
    } else out.push({ rule: 'exp', status: 'pass', message: `valid until ${when}` });
  }
  if (nbf !== undefined) {
    if (nbf > nowS + skew) {
      out.push({
        rule: 'nbf',
        status: 'fail',
        message: `not valid before ${describeEpoch(nbf, now)} (beyond the clock skew tolerance of ${skew} s)`,
      });
    } else out.push({ rule: 'nbf', status: 'pass', message: `valid since ${describeEpoch(nbf, now)}` });
  }
  if (iat !== undefined) {
    if (iat > nowS + skew) {
      out.push({
        rule: 'iat',
        status: 'fail',
        message: `issued in the future, at ${describeEpoch(iat, now)}: the issuer's clock or this machine's is wrong`,
      });
    } else out.push({ rule: 'iat', status: 'pass', message: `issued at ${describeEpoch(iat, now)}` });
  }
  if (exp !== undefined && iat !== undefined) {
    const lifetime = exp - iat;
    if (lifetime <= 0) {
      out.push({ rule: 'lifetime', status: 'fail', message: '`exp` is not after `iat`: the token was never valid' });
    } else if (lifetime >= STS_MAX_LIFETIME_SECONDS) {
      out.push({
        rule: 'lifetime',
        status: 'warn',
        message: `lifetime ${formatDuration(lifetime)} (\`exp - iat\`) is 48 h or more: STS refuses such subject tokens`,
      });
    } else out.push({ rule: 'lifetime', status: 'pass', message: `lifetime ${formatDuration(lifetime)}` });
  }
  return times;
}

function identityFindings(
  claims: Record<string, unknown>,
  expect: ClaimExpectations,
  out: ClaimFinding[],
): TokenIdentity | undefined {
  const identity = subIdentity(claims);
  if (claims.sub === undefined) out.push({ rule: 'sub', status: 'fail', message: 'no `sub` claim' });
  else if (!identity) {
    out.push({
      rule: 'sub',
      status: 'fail',
      message: `\`sub\` is ${code(claims.sub)}, not \`system:serviceaccount:NAMESPACE:NAME\`: not a Kubernetes service account token`,
    });
  } else out.push({ rule: 'sub', status: 'pass', message: `for KSA \`${identity.namespace}/${identity.name}\`` });

  const k = kubernetesIoIdentity(claims);
  if (!k) {
    const legacy = claims['kubernetes.io/serviceaccount/namespace'] !== undefined;
    out.push({
      rule: 'kubernetes.io',
      status: 'pass',
      message: legacy
        ? 'legacy Secret-based token claims (`kubernetes.io/serviceaccount/…`), not a projected token'
        : 'no `kubernetes.io` claim to compare with `sub`',
    });
  } else if (identity) {
    const mismatches: string[] = [];
    if (k.namespace !== identity.namespace) mismatches.push(`namespace ${code(k.namespace ?? null)}`);
    if (k.name !== identity.name) mismatches.push(`serviceaccount.name ${code(k.name ?? null)}`);
    out.push(
      mismatches.length > 0
        ? {
            rule: 'kubernetes.io',
            status: 'fail',
            message: `\`sub\` names \`${identity.namespace}/${identity.name}\` but \`kubernetes.io\` has ${mismatches.join(' and ')}: Kubernetes never mints such a token`,
          }
        : { rule: 'kubernetes.io', status: 'pass', message: '`kubernetes.io` agrees with `sub`' },
    );
  }

  const actual = identity ?? tokenIdentity(claims);
  if (expect.namespace !== undefined) {
    out.push(
      actual?.namespace === expect.namespace
        ? { rule: 'namespace', status: 'pass', message: `namespace \`${expect.namespace}\` as expected` }
        : {
            rule: 'namespace',
            status: 'fail',
            message: actual
              ? `the token is for namespace \`${actual.namespace}\`, expected \`${expect.namespace}\``
              : `the token names no namespace, expected \`${expect.namespace}\``,
          },
    );
  }
  if (expect.ksa !== undefined) {
    out.push(
      actual?.name === expect.ksa
        ? { rule: 'ksa', status: 'pass', message: `KSA \`${expect.ksa}\` as expected` }
        : {
            rule: 'ksa',
            status: 'fail',
            message: actual
              ? `the token is for KSA \`${actual.name}\`, expected \`${expect.ksa}\``
              : `the token names no KSA, expected \`${expect.ksa}\``,
          },
    );
  }
  return actual;
}

function audienceAndIssuerFindings(
  claims: Record<string, unknown>,
  expect: ClaimExpectations,
  out: ClaimFinding[],
): void {
  const auds = audiencesOf(claims);
  if (claims.aud === undefined) out.push({ rule: 'aud', status: 'fail', message: 'no `aud` claim' });
  else if (auds.length === 0)
    out.push({
      rule: 'aud',
      status: 'fail',
      message: `\`aud\` is ${code(claims.aud)}, not a string or a list of strings`,
    });
  else if (expect.audience !== undefined) {
    const shown = auds.map((a) => `\`${a}\``).join(', ');
    out.push(
      auds.includes(expect.audience)
        ? { rule: 'aud', status: 'pass', message: `audience includes \`${expect.audience}\`` }
        : {
            rule: 'aud',
            status: 'fail',
            message: `audience ${shown} does not include \`${expect.audience}\`${audienceHint(auds, expect.audience)}`,
          },
    );
  }
  if (claims.iss === undefined) out.push({ rule: 'iss', status: 'fail', message: 'no `iss` claim' });
  else if (typeof claims.iss !== 'string')
    out.push({ rule: 'iss', status: 'fail', message: `\`iss\` is ${code(claims.iss)}, not a string` });
  else if (expect.issuer !== undefined) {
    out.push(
      claims.iss === expect.issuer
        ? { rule: 'iss', status: 'pass', message: `issuer \`${expect.issuer}\` as expected` }
        : {
            rule: 'iss',
            status: 'fail',
            message: `issuer \`${claims.iss}\` is not \`${expect.issuer}\`${issuerHint(claims.iss, expect.issuer)}`,
          },
    );
  }
}

const worst = (findings: readonly ClaimFinding[]): FindingStatus =>
  findings.some((f) => f.status === 'fail') ? 'fail' : findings.some((f) => f.status === 'warn') ? 'warn' : 'pass';

/** Evaluate a token's claims against what is expected. Pure: `expect.now` is the only clock. */
export function evaluateClaims(claims: Record<string, unknown>, expect: ClaimExpectations): ClaimsEvaluation {
  const skew = expect.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const findings: ClaimFinding[] = [];
  const times = timeFindings(claims, expect.now, skew, findings);
  const identity = identityFindings(claims, expect, findings);
  audienceAndIssuerFindings(claims, expect, findings);

  const status = worst(findings);
  const problems = findings.filter((f) => f.status === status && status !== 'pass');
  const who = identity ? `KSA \`${identity.namespace}/${identity.name}\`` : 'the token';
  let cause: string;
  if (status === 'pass') {
    const until = times.exp !== undefined ? ` and valid until ${describeEpoch(times.exp, expect.now)}` : '';
    const checked = [
      expect.issuer !== undefined ? 'issuer' : undefined,
      expect.audience !== undefined ? 'audience' : undefined,
    ].filter((s): s is string => s !== undefined);
    cause = `token for ${who} is well formed${checked.length ? `, ${checked.join(' and ')} as expected` : ''}${until}`;
  } else {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: see the notes)` : '';
    cause = `token for ${who}: ${problems[0]?.message ?? 'problem'}${more}`;
  }

  const expected: Record<string, unknown> = {};
  if (expect.namespace !== undefined) expected.namespace = expect.namespace;
  if (expect.ksa !== undefined) expected.ksa = expect.ksa;
  if (expect.audience !== undefined) expected.audience = expect.audience;
  if (expect.issuer !== undefined) expected.issuer = expect.issuer;
  expected.validAt = `${describeEpoch(expect.now.getTime() / 1000, expect.now).replace(' (now)', '')} ± ${skew} s`;

  const actual: Record<string, unknown> = {};
  for (const key of ['sub', 'aud', 'iss'] as const) if (claims[key] !== undefined) actual[key] = claims[key];
  const k = kubernetesIoIdentity(claims);
  if (k?.namespace !== undefined) actual.namespace = k.namespace;
  if (k?.name !== undefined) actual.serviceaccount = k.name;
  for (const key of ['iat', 'nbf', 'exp'] as const) {
    const v = times[key];
    if (v !== undefined) actual[key] = describeEpoch(v, expect.now);
    else if (claims[key] !== undefined) actual[key] = claims[key];
  }
  const notes = findings.filter((f) => f.status !== 'pass').map((f) => `${f.status}: ${f.message}`);
  const evidence: Evidence = { expected, actual };
  if (notes.length > 0) evidence.notes = notes;
  return { status, cause, findings, identity, evidence };
}
