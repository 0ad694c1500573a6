// The probe's pieces that need no sandbox: the JWT decoder (property-based), NO_PROXY, retries that tell
// the startup race from a hard failure, bucket testPermissions, option parsing and exit codes.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { excludedByNoProxy, noProxyMatches } from '../../src/probe/environment.js';
import { refreshPoint } from '../../src/probe/federation.js';
import { decodeJwt } from '../../src/probe/jwt.js';
import { probeMain } from '../../src/probe/main.js';
import { parseProbeArgv, ProbeUsageError, resolveProbeOptions } from '../../src/probe/options.js';
import { permissionTarget } from '../../src/probe/permission.js';
import { probe, result, step, testFlags } from './helpers.js';

const b64url = (s: string): string => Buffer.from(s).toString('base64url');

describe('decodeJwt', () => {
  test('decodes header and claims; tolerates whitespace and CR', () => {
    const jwt = `${b64url('{"alg":"RS256","kid":"k"}')}.${b64url('{"sub":"system:serviceaccount:shop:cart","aud":["a"]}')}.c2ln`;
    const d = decodeJwt(`  ${jwt.slice(0, 10)}\r\n${jwt.slice(10)}\r\n`);
    expect(d.ok && d.value.claims.sub).toBe('system:serviceaccount:shop:cart');
    expect(d.ok && d.value.header.kid).toBe('k');
  });

  test('never throws; every malformed input gets a message naming the segment or the structure', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const d = decodeJwt(s);
        if (!d.ok) expect(d.error).toMatch(/segment|segments|empty/);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ maxLength: 40 }).filter((x) => !x.includes('.')),
          { minLength: 3, maxLength: 3 },
        ),
        (parts) => {
          const d = decodeJwt(parts.join('.'));
          if (!d.ok) expect(d.error).toMatch(/segment \d \((header|claims|signature)\)|not a JWT/);
        },
      ),
    );
  });

  test('precise errors, from the one JWT decoder', () => {
    expect(decodeJwt('a.b')).toEqual({ ok: false, error: "not a JWT: expected 3 segments separated by '.', found 2" });
    expect(decodeJwt('a.b.c.d.e').ok || decodeJwt('a.b.c.d.e')).toMatchObject({ error: expect.stringMatching(/JWE/) });
    const alg = b64url('{"alg":"RS256"}');
    const std = decodeJwt(`${alg}.ab+/.sig`);
    expect(!std.ok && std.error).toMatch(/segment 2 \(claims\): not base64url.*standard base64/);
    const notJson = decodeJwt(`${alg}.${b64url('nope')}.sig`);
    expect(!notJson.ok && notJson.error).toMatch(/^segment 2 \(claims\): not JSON/);
    const arr = decodeJwt(`${b64url('[1]')}.${b64url('{}')}.sig`);
    expect(!arr.ok && arr.error).toBe('segment 1 (header): a JSON array, expected an object');
    const unsigned = decodeJwt(`${alg}.${b64url('{}')}.`);
    expect(!unsigned.ok && unsigned.error).toMatch(/unsigned/);
  });
});

describe('NO_PROXY', () => {
  test.each([
    ['169.254.169.254', '169.254.169.254', true],
    ['169.254.0.0/16', '169.254.169.254', true],
    ['10.0.0.0/8', '169.254.169.254', false],
    ['.google.internal', 'metadata.google.internal', true],
    ['*.google.internal', 'metadata.google.internal', true],
    ['google.internal', 'metadata.google.internal', true],
    ['internal.example', 'metadata.google.internal', false],
    ['*', 'anything', true],
    ['metadata.google.internal:80', 'metadata.google.internal', true],
  ])('%s excludes %s: %s', (entry, host, expected) => {
    expect(noProxyMatches(entry, host)).toBe(expected);
  });
  test('comma lists', () => {
    expect(excludedByNoProxy('localhost, 169.254.169.254', '169.254.169.254')).toBe(true);
    expect(excludedByNoProxy(undefined, '169.254.169.254')).toBe(false);
  });
});

test('the kubelet refresh point: 80 % of the TTL, at most 24 h', () => {
  expect(refreshPoint(0, 3600)).toBe(2880);
  expect(refreshPoint(0, 48 * 3600)).toBe(24 * 3600);
});

describe('a fake metadata server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function fake(
    handler: (path: string, n: number) => { status: number; body: string; flavor?: boolean },
  ): Promise<string> {
    let n = 0;
    server = createServer((req, res) => {
      const a = handler(req.url ?? '', n++);
      res.writeHead(a.status, a.flavor === false ? {} : { 'Metadata-Flavor': 'Google' });
      res.end(a.body);
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    return `127.0.0.1:${(server?.address() as AddressInfo).port}`;
  }

  test('the startup race: 503s, then an answer, reported as such (warn, not pass or fail)', async () => {
    let tokenCalls = 0;
    const host = await fake((path) => {
      if (path.includes('/token')) {
        tokenCalls++;
        return tokenCalls <= 2
          ? { status: 503, body: 'not ready' }
          : { status: 200, body: '{"access_token":"ya29.abcdefghij","expires_in":3599,"token_type":"Bearer"}' };
      }
      if (path.includes('/email')) return { status: 200, body: 'cart@acme-shop.iam.gserviceaccount.com' };
      if (path.includes('project-id')) return { status: 200, body: 'acme-shop' };
      return { status: 404, body: 'Not Found' };
    });
    const report = await probe(testFlags(undefined, { metadataHost: host, attempts: 5 }));
    const token = step(report, 'pod-access-token', 'token');
    expect(token.attempts).toBe(3);
    expect(token.status).toBe('warn');
    expect(token.message).toMatch(/succeeded after 2 retries.*startup race/);
    expect(JSON.stringify(report)).not.toContain('abcdefghij');
  });

  test('an answer without Metadata-Flavor is not the metadata server', async () => {
    const host = await fake(() => ({ status: 200, body: 'hello', flavor: false }));
    const report = await probe(testFlags(undefined, { metadataHost: host }));
    expect(result(report, 'metadata-server-reachable').status).toBe('fail');
    expect(result(report, 'metadata-server-reachable').cause).toMatch(/without "Metadata-Flavor: Google"/);
    expect(result(report, 'pod-identity').status).toBe('unknown');
  });

  test('bucket testPermissions with the pod token', async () => {
    const host = await fake((path) => {
      if (path.includes('/token')) return { status: 200, body: '{"access_token":"tok","expires_in":3599}' };
      if (path.includes('/email')) return { status: 200, body: 'acme-shop.svc.id.goog' };
      if (path.includes('project-id')) return { status: 200, body: 'acme-shop' };
      if (path.startsWith('/storage/v1/b/acme-shop-assets/iam/testPermissions'))
        return { status: 200, body: '{"permissions":["storage.objects.get"]}' };
      return { status: 404, body: 'Not Found' };
    });
    const flags = testFlags(undefined, {
      metadataHost: host,
      storageUrl: `http://${host}`,
      on: '//storage.googleapis.com/projects/_/buckets/acme-shop-assets',
    });
    const ok = await probe({ ...flags, need: ['storage.objects.get'] });
    expect(result(ok, 'target-permission').status).toBe('pass');
    const missing = await probe({ ...flags, need: ['storage.objects.get', 'storage.objects.create'] });
    expect(result(missing, 'target-permission').status).toBe('fail');
    expect(result(missing, 'target-permission').cause).toMatch(/lacks storage\.objects\.create/);
  });

  test('connection refused: retried, then still failing', async () => {
    const report = await probe(testFlags(undefined, { metadataHost: '127.0.0.1:1', attempts: 2 }));
    const flavor = step(report, 'metadata-server-reachable', 'metadata-flavor');
    expect(flavor.status).toBe('fail');
    expect(flavor.message).toMatch(/ECONNREFUSED.*still failing after 2 attempts/);
    expect(step(report, 'metadata-server-reachable', 'tcp').message).toMatch(/ECONNREFUSED/);
  });
});

describe('options', () => {
  test('argv parsing: values, = form, lists, help', () => {
    expect(parseProbeArgv(['--format=json', '--need', 'a,b', '--need', 'c', '--hide-pass'])).toEqual({
      format: 'json',
      need: ['a', 'b', 'c'],
      hidePass: true,
    });
    expect(parseProbeArgv(['--help'])).toBe('help');
    expect(() => parseProbeArgv(['--nope'])).toThrow(ProbeUsageError);
    expect(() => parseProbeArgv(['--timeout'])).toThrow(/needs a value/);
  });
  test('addresses from flags, then WI_DOCTOR_* and GCE_METADATA_*', () => {
    const o = resolveProbeOptions({}, { GCE_METADATA_IP: '10.0.0.1', WI_DOCTOR_STS_ENDPOINT: 'http://127.0.0.1:9/' });
    expect(o.metadataHost).toBe('10.0.0.1');
    expect(o.metadataHostSource).toBe('GCE_METADATA_IP');
    expect(o.stsUrl).toBe('http://127.0.0.1:9');
    expect(resolveProbeOptions({}, {}).metadataHost).toBe('169.254.169.254');
    expect(resolveProbeOptions({}, {}).timeoutMs).toBe(3000);
    expect(() => resolveProbeOptions({ need: ['x'] }, {})).toThrow(/--on/);
    expect(() => resolveProbeOptions({ timeout: '-1' }, {})).toThrow(/positive/);
  });
  test('resource kinds testIamPermissions can reach', () => {
    expect(permissionTarget('projects/acme-shop')).toEqual({ kind: 'project', id: 'acme-shop' });
    expect(permissionTarget('//storage.googleapis.com/projects/_/buckets/b')).toEqual({ kind: 'bucket', name: 'b' });
    expect(permissionTarget('//pubsub.googleapis.com/projects/p/topics/t').kind).toBe('unsupported');
  });
  test('probeMain: exit 2 and one line for usage errors', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      env: {},
    };
    expect(await probeMain(['--format', 'xml'], io)).toBe(2);
    expect(err.join('')).toMatch(/^wi-doctor-probe: --format expects text or json/);
    expect(await probeMain(['--help'], io)).toBe(0);
    expect(out.join('')).toMatch(/Usage: wi-doctor-probe/);
  });
});
