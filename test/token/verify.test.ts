// Signature verification with real keys (jose generateKeyPair RS256): a JWKS file, a JWKS URL and OIDC
// discovery from a loopback server.

import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterJwksUrl, verifyToken } from '../../src/token/verify.js';
import { NOW, NOW_S, POOL, b64url, claimsFor } from './jwt.js';

let privateKey: CryptoKey;
let otherKey: CryptoKey;
let publicJwk: JWK;
let jwksFile: string;
let server: http.Server;
let issuer: string;

async function sign(claims: Record<string, unknown>, kid = 'k1', key: CryptoKey = privateKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-verify-'));
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [publicJwk, { ...publicJwk, kid: 'k0' }] }));
  server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/openid/v1/jwks` }));
    } else if (req.url === '/openid/v1/jwks') res.end(JSON.stringify({ keys: [publicJwk] }));
    else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const failed = (r: { checks: { name: string; ok: boolean }[] }): string[] =>
  r.checks.filter((c) => !c.ok).map((c) => c.name);

describe('verifyToken', () => {
  it('verifies against a JWKS file', async () => {
    const r = await verifyToken(await sign(claimsFor()), { jwks: jwksFile, now: NOW, audience: POOL });
    expect(failed(r)).toEqual([]);
    expect(r).toMatchObject({ ok: true, alg: 'RS256', kid: 'k1', keySource: jwksFile });
  });

  it('verifies through OIDC discovery on the issuer, tolerating CRLF', async () => {
    const token = await sign(claimsFor('shop', 'cart', { iss: issuer }));
    const r = await verifyToken(`${token}\r\n`, { fromIssuer: true, issuer, audience: POOL, now: NOW });
    expect(failed(r)).toEqual([]);
    expect(r.keySource).toBe(`${issuer}/openid/v1/jwks`);
  });

  it('marks issuer and audience as not compared when no expected value is given (ok, but not a pass)', async () => {
    const r = await verifyToken(await sign(claimsFor()), { jwks: jwksFile, now: NOW });
    expect(r.ok).toBe(true);
    expect(r.checks.filter((c) => c.compared === false).map((c) => c.name)).toEqual(['issuer', 'audience']);
    const given = await verifyToken(await sign(claimsFor()), { jwks: jwksFile, now: NOW, audience: POOL });
    expect(given.checks.find((c) => c.name === 'audience')?.compared).toBeUndefined();
  });

  it('verifies against a JWKS URL', async () => {
    const r = await verifyToken(await sign(claimsFor()), { jwks: new URL(`${issuer}/openid/v1/jwks`), now: NOW });
    expect(r.ok).toBe(true);
  });

  it('an unknown kid names the kids the JWKS has', async () => {
    const r = await verifyToken(await sign(claimsFor(), 'k9'), { jwks: jwksFile, now: NOW });
    expect(r.ok).toBe(false);
    expect(r.error).toBe(`unknown kid \`k9\`: ${jwksFile} has \`k1\`, \`k0\``);
  });

  it('a signature by another key with the same kid is a bad signature', async () => {
    const r = await verifyToken(await sign(claimsFor(), 'k1', otherKey), { jwks: jwksFile, now: NOW });
    expect(failed(r)).toEqual(['signature']);
    expect(r.error).toMatch(/^bad signature: it does not match key `k1`/);
  });

  it('altered claims break the signature', async () => {
    const [h, , s] = (await sign(claimsFor())).split('.');
    const forged = `${h}.${b64url(claimsFor('kube-system', 'admin'))}.${s}`;
    const r = await verifyToken(forged, { jwks: jwksFile, now: NOW });
    expect(failed(r)).toContain('signature');
  });

  it('a wrong issuer fails, and discovery is not attempted for it', async () => {
    const token = await sign(claimsFor('shop', 'cart', { iss: 'http://127.0.0.1:1' }));
    const r = await verifyToken(token, { fromIssuer: true, issuer, now: NOW, timeoutMs: 500 });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^wrong issuer: `http:\/\/127\.0\.0\.1:1`, expected .*\(keys not fetched\)$/);
    expect(r.keySource).toBeUndefined();
  });

  it('a wrong issuer against a JWKS file fails the issuer check only', async () => {
    const r = await verifyToken(await sign(claimsFor()), { jwks: jwksFile, issuer, now: NOW });
    expect(failed(r)).toEqual(['issuer']);
    expect(r.error).toMatch(/^wrong issuer: issuer `https:\/\/container.googleapis.com\/.*` is not/);
  });

  it('refuses alg none', async () => {
    const r = await verifyToken(`${b64url({ alg: 'none' })}.${b64url(claimsFor())}.`, { jwks: jwksFile, now: NOW });
    expect(r).toMatchObject({ ok: false, alg: 'none' });
    expect(r.error).toMatch(/^alg `none` refused/);
  });

  it('refuses HS256 (key confusion)', async () => {
    const r = await verifyToken(`${b64url({ alg: 'HS256', kid: 'k1' })}.${b64url(claimsFor())}.c2ln`, {
      jwks: jwksFile,
      now: NOW,
    });
    expect(r.error).toMatch(/^alg `HS256` refused: a shared-secret MAC/);
  });

  it('an expired token has a good signature but fails the time check', async () => {
    const r = await verifyToken(await sign(claimsFor('shop', 'cart', { exp: NOW_S - 3600 })), {
      jwks: jwksFile,
      now: NOW,
    });
    expect(failed(r)).toEqual(['time']);
    expect(r.checks.find((c) => c.name === 'signature')?.ok).toBe(true);
  });

  it('a wrong audience fails the audience check', async () => {
    const r = await verifyToken(await sign(claimsFor()), {
      jwks: jwksFile,
      audience: 'acme-data.svc.id.goog',
      now: NOW,
    });
    expect(failed(r)).toEqual(['audience']);
  });

  it('key source problems are input errors', async () => {
    const missing = await verifyToken(await sign(claimsFor()), { jwks: '/nonexistent/jwks.json', now: NOW });
    expect(missing).toMatchObject({ ok: false, inputError: true, error: 'JWKS file /nonexistent/jwks.json: ENOENT' });
    const http404 = await verifyToken(await sign(claimsFor()), { jwks: `${issuer}/nope`, now: NOW });
    expect(http404.error).toBe(`JWKS ${issuer}/nope: HTTP 404`);
    const none = await verifyToken(await sign(claimsFor()), { now: NOW });
    expect(none.error).toMatch(/^no key source/);
  });

  it('a non-JWT is a structure failure', async () => {
    const r = await verifyToken('a.b', { jwks: jwksFile });
    expect(r).toMatchObject({ ok: false, inputError: true });
    expect(r.error).toMatch(/^not a JWT: expected 3 segments/);
  });

  it("builds GKE's cluster JWKS URL under an endpoint override", () => {
    const ref = { project: 'acme-shop', location: 'europe-west1', name: 'prod' };
    expect(clusterJwksUrl(ref).href).toBe(
      'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod/jwks',
    );
    expect(clusterJwksUrl(ref, 'http://127.0.0.1:9/base').href).toBe(
      'http://127.0.0.1:9/base/v1/projects/acme-shop/locations/europe-west1/clusters/prod/jwks',
    );
  });
});
