import { describe, expect, it } from 'vitest';
import type { ClaimExpectations } from '../../src/token/claims.js';
import { evaluateClaims, isApiServerAudience } from '../../src/token/claims.js';
import { formatDuration, relativeTo } from '../../src/token/time.js';
import { ISSUER, NOW, NOW_S, POOL, claimsFor } from './jwt.js';

const EXPECT: ClaimExpectations = { now: NOW, namespace: 'shop', ksa: 'cart', audience: POOL, issuer: ISSUER };

interface Case {
  name: string;
  claims: Record<string, unknown>;
  expect?: Partial<ClaimExpectations>;
  status: 'pass' | 'warn' | 'fail';
  rule?: string;
  message?: RegExp;
}

const without = (key: string): Record<string, unknown> => {
  return Object.fromEntries(Object.entries(claimsFor()).filter(([k]) => k !== key));
};

const cases: Case[] = [
  { name: 'a healthy token', claims: claimsFor(), status: 'pass' },
  {
    name: 'expired',
    claims: claimsFor('shop', 'cart', { exp: NOW_S - 3600 }),
    status: 'fail',
    rule: 'exp',
    message: /^expired at 2026-11-28 16:00:00 UTC \(1 h ago\)$/,
  },
  {
    name: 'expired within the skew',
    claims: claimsFor('shop', 'cart', { exp: NOW_S - 30 }),
    status: 'warn',
    rule: 'exp',
    message: /within the clock skew tolerance of 60 s/,
  },
  {
    name: 'expired beyond a smaller skew',
    claims: claimsFor('shop', 'cart', { exp: NOW_S - 30 }),
    expect: { skewSeconds: 10 },
    status: 'fail',
    rule: 'exp',
  },
  {
    name: 'expires within 5 min',
    claims: claimsFor('shop', 'cart', { exp: NOW_S + 120 }),
    status: 'warn',
    rule: 'exp',
    message: /in 2 min/,
  },
  {
    name: 'no exp (legacy Secret token)',
    claims: without('exp'),
    status: 'fail',
    rule: 'exp',
    message: /never expires/,
  },
  {
    name: 'exp not a number',
    claims: claimsFor('shop', 'cart', { exp: '1764349200' }),
    status: 'fail',
    rule: 'exp',
    message: /not a time in seconds/,
  },
  {
    name: 'not yet valid',
    claims: claimsFor('shop', 'cart', { nbf: NOW_S + 600 }),
    status: 'fail',
    rule: 'nbf',
    message: /not valid before .*\(in 10 min\)/,
  },
  { name: 'nbf within the skew', claims: claimsFor('shop', 'cart', { nbf: NOW_S + 30 }), status: 'pass' },
  {
    name: 'issued in the future',
    claims: claimsFor('shop', 'cart', { iat: NOW_S + 7200, exp: NOW_S + 9000 }),
    status: 'fail',
    rule: 'iat',
    message: /issued in the future.*\(in 2 h\)/,
  },
  {
    name: 'lifetime of 48 h or more',
    claims: claimsFor('shop', 'cart', { exp: NOW_S + 72 * 3600 }),
    status: 'warn',
    rule: 'lifetime',
    message: /lifetime 3 d .*STS refuses/,
  },
  {
    name: 'exp before iat',
    claims: claimsFor('shop', 'cart', { iat: NOW_S - 100, exp: NOW_S - 7200 }),
    status: 'fail',
    rule: 'lifetime',
  },
  {
    name: 'sub is no KSA',
    claims: claimsFor('shop', 'cart', { sub: '110169484474386276334' }),
    status: 'fail',
    rule: 'sub',
    message: /not `system:serviceaccount:NAMESPACE:NAME`/,
  },
  { name: 'no sub', claims: without('sub'), status: 'fail', rule: 'sub' },
  {
    name: 'sub and kubernetes.io disagree',
    claims: claimsFor('shop', 'cart', { sub: 'system:serviceaccount:shop:api' }),
    status: 'fail',
    rule: 'kubernetes.io',
    message: /`sub` names `shop\/api` but `kubernetes.io` has serviceaccount.name `cart`/,
  },
  {
    name: 'another namespace',
    claims: claimsFor('shop-prod', 'cart'),
    status: 'fail',
    rule: 'namespace',
    message: /namespace `shop-prod`, expected `shop`/,
  },
  {
    name: 'another KSA',
    claims: claimsFor('shop', 'default'),
    status: 'fail',
    rule: 'ksa',
    message: /KSA `default`, expected `cart`/,
  },
  {
    name: 'federation provider audience (the guide)',
    claims: claimsFor('shop', 'cart', {
      aud: [
        'https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/providers/p',
      ],
    }),
    status: 'fail',
    rule: 'aud',
    message: /does not include `acme-shop.svc.id.goog`: .*Federation provider/,
  },
  { name: 'audience as a plain string', claims: claimsFor('shop', 'cart', { aud: POOL }), status: 'pass' },
  {
    name: "another project's pool",
    claims: claimsFor('shop', 'cart', { aud: ['acme-data.svc.id.goog'] }),
    status: 'fail',
    rule: 'aud',
    message: /another project's pool/,
  },
  { name: 'no aud', claims: without('aud'), status: 'fail', rule: 'aud' },
  {
    name: 'issuer of the guide',
    claims: claimsFor('shop', 'cart', { iss: 'https://kubernetes.default.svc.cluster.local' }),
    status: 'fail',
    rule: 'iss',
    message: /self-managed cluster's default issuer/,
  },
  {
    name: 'issuer of another cluster',
    claims: claimsFor('shop', 'cart', { iss: ISSUER.replace('/prod', '/staging') }),
    status: 'fail',
    rule: 'iss',
    message: /cluster `staging` instead of `prod`/,
  },
  {
    name: 'issuer with a trailing slash',
    claims: claimsFor('shop', 'cart', { iss: `${ISSUER}/` }),
    status: 'fail',
    rule: 'iss',
    message: /trailing slash/,
  },
  {
    name: 'nothing expected but times',
    claims: claimsFor('shop-prod', 'x', { aud: ['y'] }),
    expect: { namespace: undefined, ksa: undefined, audience: undefined, issuer: undefined },
    status: 'pass',
  },
];

describe('evaluateClaims', () => {
  it.each(cases)('$name', ({ claims, expect: overrides, status, rule, message }) => {
    const evaluation = evaluateClaims(claims, { ...EXPECT, ...overrides });
    expect(evaluation.status, evaluation.cause).toBe(status);
    if (rule) {
      const finding = evaluation.findings.find((f) => f.rule === rule && f.status === status);
      expect(finding, JSON.stringify(evaluation.findings)).toBeDefined();
      if (message) expect(finding?.message).toMatch(message);
      const first = evaluation.findings.find((f) => f.status === status);
      expect(evaluation.cause).toContain(first?.message ?? '');
      expect(evaluation.evidence.notes?.join('\n')).toContain(finding?.message ?? '');
    } else {
      expect(evaluation.findings.filter((f) => f.status !== 'pass')).toEqual([]);
    }
  });

  it('counts further problems in the cause and shows human times in the evidence', () => {
    const e = evaluateClaims(
      claimsFor('shop-prod', 'cart', { iat: NOW_S - 7200, exp: NOW_S - 3600, aud: ['x'] }),
      EXPECT,
    );
    expect(e.cause).toMatch(/^token for KSA `shop-prod\/cart`: expired at .* \(and 2 more: see the notes\)$/);
    expect(e.evidence.actual).toMatchObject({ exp: '2026-11-28 16:00:00 UTC (1 h ago)', namespace: 'shop-prod' });
    expect(e.evidence.expected).toMatchObject({ namespace: 'shop', audience: POOL, issuer: ISSUER });
  });

  it('a pass names the KSA and the expiry', () => {
    expect(evaluateClaims(claimsFor(), EXPECT).cause).toBe(
      'token for KSA `shop/cart` is well formed, issuer and audience as expected and valid until 2026-11-28 17:50:00 UTC (in 50 min)',
    );
  });

  it('tells API server tokens from Workload Identity tokens', () => {
    expect(isApiServerAudience(claimsFor('shop', 'cart', { aud: [ISSUER] }))).toBe(true);
    expect(isApiServerAudience(claimsFor('shop', 'cart', { aud: ['https://kubernetes.default.svc'] }))).toBe(true);
    expect(isApiServerAudience(claimsFor())).toBe(false);
  });
});

describe('human times', () => {
  it.each([
    [0, '0 s'],
    [42, '42 s'],
    [3600, '1 h'],
    [3900, '1 h 5 min'],
    [90061, '1 d 1 h'],
  ])('%i s is %s', (s, text) => expect(formatDuration(s)).toBe(text));
  it('relative ages', () => {
    expect(relativeTo(NOW_S + 90, NOW)).toBe('in 1 min 30 s');
    expect(relativeTo(NOW_S - 7200, NOW)).toBe('2 h ago');
    expect(relativeTo(NOW_S, NOW)).toBe('now');
  });
});
