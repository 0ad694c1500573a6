// Reads shared by the collectors of a fleet run: the same read is made once, whoever asks; two log queries
// (their filters are in the request body, not the path) are never taken for one.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CallRunner } from '../../src/collect/live/calls.js';
import type { CallOutcome } from '../../src/collect/live/calls.js';
import { googleCredentials } from '../../src/collect/live/credentials.js';
import { resolveEndpoints } from '../../src/collect/live/endpoints.js';
import { GoogleApi } from '../../src/collect/live/google.js';

let server: Server;
let base = '';
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url?.includes('entries:list') ? { entries: [{ insertId: body }] } : { bindings: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function api(): GoogleApi {
  const runner = new CallRunner({ concurrency: 4, timeoutMs: 2000, baseDelayMs: 1 });
  const endpoints = resolveEndpoints(
    {},
    { WI_DOCTOR_CLOUDRESOURCEMANAGER_ENDPOINT: base, WI_DOCTOR_LOGGING_ENDPOINT: base },
  );
  const credentials = googleCredentials({}, { CLOUDSDK_AUTH_ACCESS_TOKEN: 'ya29.test-token-not-real' });
  return new GoogleApi(credentials, endpoints, runner, new Map());
}

const value = <T>(o: CallOutcome<T>): T => {
  if (!o.ok) throw new Error(o.message);
  return o.value;
};

it('a read two collectors ask for is made once', async () => {
  seen.length = 0;
  const google = api();
  const [a, b] = await Promise.all([google.projectPolicy('acme-shop'), google.projectPolicy('acme-shop')]);
  expect(value(a)).toEqual(value(b));
  expect(seen.filter((s) => s.includes('acme-shop:getIamPolicy'))).toHaveLength(1);
});

it('two log queries with different filters are two calls with their own answers', async () => {
  seen.length = 0;
  const google = api();
  const first = value(await google.logEntries('acme-shop', 'protoPayload.methodName="A"', 10));
  const second = value(await google.logEntries('acme-shop', 'protoPayload.methodName="B"', 10));
  expect(seen.filter((s) => s.includes('entries:list'))).toHaveLength(2);
  expect(JSON.stringify(first)).toContain('methodName=\\\\\\"A');
  expect(JSON.stringify(second)).toContain('methodName=\\\\\\"B');
});
