// Test tokens: unsigned JWT text with a fake signature (decode and claims tests) and the shared world's claims.

export const NOW = new Date('2026-11-28T17:00:00Z');
export const NOW_S = NOW.getTime() / 1000;
export const ISSUER = 'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod';
export const POOL = 'acme-shop.svc.id.goog';
/** 256 bytes, as an RS256 signature with a 2048-bit key. */
export const SIGNATURE = Buffer.alloc(256, 7).toString('base64url');

export const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function claimsFor(
  namespace = 'shop',
  name = 'cart',
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    aud: [POOL],
    exp: NOW_S + 3000,
    iat: NOW_S - 600,
    nbf: NOW_S - 600,
    iss: ISSUER,
    'kubernetes.io': {
      namespace,
      pod: { name: 'cart-7d9f8b6c5d-abcde', uid: '9d1b0a44-6c3e-4a4e-9a53-0f3f0e1f2a11' },
      serviceaccount: { name, uid: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f' },
    },
    sub: `system:serviceaccount:${namespace}:${name}`,
    ...overrides,
  };
}

export const HEADER = { alg: 'RS256', kid: 'k1', typ: 'JWT' };

export function jwt(
  claims: Record<string, unknown> = claimsFor(),
  header: Record<string, unknown> = HEADER,
  signature = SIGNATURE,
): string {
  return `${b64url(header)}.${b64url(claims)}.${signature}`;
}
