import { expect } from 'vitest';
import check from '../../src/checks/token-claims.js';
import { describeCheck } from '../helpers/check-table.js';
import { ISSUER, NOW_S, claimsFor, jwt } from '../token/jwt.js';

// examples/healthy was collected at 2026-11-28T17:00:00Z: the tokens' times are relative to that.
const cart = { ksa: ['shop/cart'] };

describeCheck(check, [
  {
    name: 'no token in the bundle is not requested',
    subject: cart,
    expect: { status: 'skip', cause: /^not requested: add a token file to the bundle's token\/ folder/ },
  },
  {
    name: 'a healthy token for the KSA passes',
    subject: cart,
    patch: (b) => b.set('token/cart.jwt', `${jwt()}\r\n`),
    expect: {
      status: 'pass',
      cause: /^token for KSA `shop\/cart` is well formed, issuer and audience as expected and valid until/,
    },
  },
  {
    name: 'an expired token fails with the time and a fix',
    subject: cart,
    patch: (b) => b.set('token/cart.jwt', jwt(claimsFor('shop', 'cart', { iat: NOW_S - 10800, exp: NOW_S - 7200 }))),
    expect: {
      status: 'fail',
      cause: /^`token\/cart.jwt`: token for KSA `shop\/cart`: expired at 2026-11-28 15:00:00 UTC \(2 h ago\)$/,
      fix: ['manual'],
      evidence: (e) => expect(e.actual).toMatchObject({ exp: '2026-11-28 15:00:00 UTC (2 h ago)' }),
    },
  },
  {
    name: 'a token not yet valid fails',
    subject: cart,
    patch: (b) => b.set('token/cart.jwt', jwt(claimsFor('shop', 'cart', { nbf: NOW_S + 3600 }))),
    expect: { status: 'fail', cause: /not valid before/ },
  },
  {
    name: 'a token issued in the future fails',
    subject: cart,
    patch: (b) => b.set('token/cart.jwt', jwt(claimsFor('shop', 'cart', { iat: NOW_S + 1800, exp: NOW_S + 5400 }))),
    expect: { status: 'fail', cause: /issued in the future/ },
  },
  {
    name: 'a token about to expire warns',
    subject: cart,
    patch: (b) => b.set('token/cart.jwt', jwt(claimsFor('shop', 'cart', { exp: NOW_S + 200 }))),
    expect: { status: 'warn', cause: /expires at .*\(in 3 min 20 s\)/ },
  },
  {
    name: 'a federation-provider audience is wrong for GKE',
    subject: cart,
    patch: (b) =>
      b.set(
        'token/cart.jwt',
        jwt(
          claimsFor('shop', 'cart', {
            aud: 'https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/providers/k8s',
          }),
        ),
      ),
    expect: { status: 'fail', cause: /does not include `acme-shop.svc.id.goog`/, fix: ['manual'] },
  },
  {
    name: "an API server token's audience is not compared",
    subject: cart,
    patch: (b) => b.set('token/cart.jwt', jwt(claimsFor('shop', 'cart', { aud: [ISSUER] }))),
    expect: {
      status: 'pass',
      evidence: (e) =>
        expect(e.notes?.join('\n')).toMatch(/audience not compared: the token is for the Kubernetes API server/),
    },
  },
  {
    name: "another cluster's issuer fails",
    subject: cart,
    patch: (b) =>
      b.set('token/cart.jwt', jwt(claimsFor('shop', 'cart', { iss: ISSUER.replace('europe-west1', 'us-central1') }))),
    expect: { status: 'fail', cause: /location `us-central1` instead of `europe-west1`/ },
  },
  {
    name: 'a named subject is checked against a token of another namespace',
    subject: cart,
    patch: (b) => b.set('token/cart.jwt', jwt(claimsFor('shop-prod', 'cart'))),
    expect: { status: 'fail', cause: /the token is for namespace `shop-prod`, expected `shop`/ },
  },
  {
    name: 'under --all, a token of another KSA does not touch this one',
    subject: { all: true },
    patch: (b) => b.set('token/x.jwt', jwt(claimsFor('shop', 'api'))),
    expect: (results) => {
      const forCart = results.find((r) => r.subject === 'shop/cart');
      expect(forCart?.status).toBe('skip');
      expect(forCart?.cause).toMatch(
        /no token for KSA `shop\/cart` in the bundle \(tokens: `token\/x.jwt` \(`shop\/api`\)\)/,
      );
    },
  },
  {
    name: 'sub and kubernetes.io that disagree fail',
    subject: cart,
    patch: (b) => b.set('token/cart.jwt', jwt(claimsFor('shop', 'api', { sub: 'system:serviceaccount:shop:cart' }))),
    expect: { status: 'fail', cause: /`kubernetes.io` has serviceaccount.name `api`/ },
  },
  {
    name: 'a file that is no JWT fails with the precise reason',
    subject: cart,
    patch: (b) => b.set('token/cart.jwt', 'eyJhbGciOiJSUzI1NiJ9.not+base64.sig'),
    expect: {
      status: 'fail',
      cause: /^`token\/cart.jwt` is not a JWT: segment 2 \(claims\): not base64url at character 4/,
    },
  },
  {
    name: 'the worst of several tokens decides, the others are noted',
    subject: cart,
    patch: (b) => {
      b.set('token/a.jwt', jwt());
      b.set('token/b.jwt', jwt(claimsFor('shop', 'cart', { iat: NOW_S - 10800, exp: NOW_S - 7200 })));
    },
    expect: {
      status: 'fail',
      cause: /^`token\/b.jwt`: .*expired/,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/`token\/a.jwt`: pass/),
    },
  },
]);
