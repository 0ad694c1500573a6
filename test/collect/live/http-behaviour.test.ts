// The call machinery against a tiny local HTTP fake: retries with backoff on 429/5xx honouring
// Retry-After, a timeout per call, 403/404 classification, the concurrency bound, pagination, headers
// and the redacted trace.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallRunner, describeFailure, parseRetryAfter, redactUrl } from '../../../src/collect/live/calls.js';
import type { RunnerOptions, TraceEvent } from '../../../src/collect/live/calls.js';
import { googleCredentials } from '../../../src/collect/live/credentials.js';
import { resolveEndpoints } from '../../../src/collect/live/endpoints.js';
import { GoogleApi } from '../../../src/collect/live/google.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

const TOKEN = 'ya29.fake-access-token-0123456789';
const EMAIL = 'cart@acme-shop.iam.gserviceaccount.com';

let server: Server;
let base = '';
let handler: Handler = (_req, res) => res.end('{}');
let count = 0;
const seen: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    count++;
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => handler(req, res, count));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  count = 0;
  seen.length = 0;
  handler = (_req, res) => res.end('{}');
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const googleError = (code: number, status: string, message: string) => ({ error: { code, status, message } });

function setup(options: Partial<RunnerOptions> = {}, billingProject?: string) {
  const sleeps: number[] = [];
  const trace: TraceEvent[] = [];
  const runner = new CallRunner({
    concurrency: 8,
    timeoutMs: 2000,
    baseDelayMs: 10,
    random: () => 0.5,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    onTrace: (e) => trace.push(e),
    ...options,
  });
  const endpoints = resolveEndpoints(
    {},
    {
      WI_DOCTOR_IAM_ENDPOINT: base,
      WI_DOCTOR_CLOUDRESOURCEMANAGER_ENDPOINT: base,
      WI_DOCTOR_STORAGE_ENDPOINT: base,
      WI_DOCTOR_LOGGING_ENDPOINT: base,
    },
  );
  const credentials = googleCredentials(billingProject ? { billingProject } : {}, {
    CLOUDSDK_AUTH_ACCESS_TOKEN: TOKEN,
  });
  return { google: new GoogleApi(credentials, endpoints, runner), runner, sleeps, trace };
}

describe('retries', () => {
  it('retries 429 until success, waiting at least Retry-After', async () => {
    handler = (_req, res, n) =>
      n <= 2
        ? json(res, 429, googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'), { 'retry-after': '3' })
        : json(res, 200, { bindings: [] });
    // Within the call's 10 s budget, the asked 3 s are honoured (past it, see the next test).
    const { google, runner, sleeps } = setup({ timeoutMs: 10_000 });
    const outcome = await google.serviceAccountPolicy(EMAIL, 'acme-shop');
    expect(outcome).toEqual({ ok: true, value: { bindings: [] } });
    expect(count).toBe(3);
    expect(runner.stats.retries).toBe(2);
    expect(runner.stats.calls.iam).toBe(3);
    // The jittered backoff (≤ 20 ms here) would be far shorter; the server asked for 3 s.
    expect(sleeps).toEqual([3000, 3000]);
  });

  it('does not wait past the call timeout for Retry-After: the fact is unknown with the advice', async () => {
    handler = (_req, res) =>
      json(res, 429, googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'), { 'retry-after': '3600' });
    const { google, sleeps } = setup({ timeoutMs: 3000 });
    const outcome = await google.serviceAccountPolicy(EMAIL, 'acme-shop');
    expect(sleeps).toEqual([]);
    expect(count).toBe(1);
    expect(outcome).toEqual({
      ok: false,
      kind: 'error',
      status: 429,
      message:
        '429 RESOURCE_EXHAUSTED: Quota exceeded (the server asked to retry after 3600 s, beyond the 3 s timeout)',
    });
  });

  it('backs off exponentially with jitter when no Retry-After is sent', async () => {
    handler = (_req, res, n) =>
      n <= 3 ? json(res, 503, googleError(503, 'UNAVAILABLE', 'try later')) : json(res, 200, {});
    const { google, sleeps } = setup({ random: () => 1 });
    expect((await google.project('acme-shop')).ok).toBe(true);
    expect(sleeps).toEqual([10, 20, 40]);
  });

  it('gives up after 4 attempts and says so', async () => {
    handler = (_req, res) => json(res, 503, googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.'));
    const { google, runner } = setup();
    const outcome = await google.projectPolicy('acme-shop');
    expect(count).toBe(4);
    expect(outcome).toEqual({
      ok: false,
      kind: 'error',
      status: 503,
      message: '503 UNAVAILABLE: The service is currently unavailable. (after 4 attempts)',
    });
    expect(runner.stats.failures).toBe(1);
  });

  it('does not retry a 400', async () => {
    handler = (_req, res) => json(res, 400, googleError(400, 'INVALID_ARGUMENT', 'bad'));
    const { google } = setup();
    const outcome = await google.project('acme-shop');
    expect(count).toBe(1);
    expect(outcome.ok).toBe(false);
  });
});

describe('classification', () => {
  it('403 names Google message and the missing permission', async () => {
    const message = `Permission 'iam.serviceAccounts.getIamPolicy' denied on resource (or it may not exist).`;
    handler = (_req, res) => json(res, 403, googleError(403, 'PERMISSION_DENIED', message));
    const { google } = setup();
    const outcome = await google.serviceAccountPolicy(EMAIL, 'acme-shop');
    expect(outcome).toEqual({
      ok: false,
      kind: 'error',
      status: 403,
      message: `403 PERMISSION_DENIED: ${message} (needs iam.serviceAccounts.getIamPolicy)`,
    });
    expect(count).toBe(1);
  });

  it('a refused log read names the permission of the log it reads', async () => {
    const message = `Permission denied for all log views`;
    handler = (_req, res) => json(res, 403, googleError(403, 'PERMISSION_DENIED', message));
    const { google } = setup();
    const admin = await google.logEntriesUpTo(['projects/acme-shop'], 'x', 10, 'logging.logEntries.list');
    const dataAccess = await google.logEntriesUpTo(['projects/acme-shop'], 'x', 10, 'logging.privateLogEntries.list');
    expect(admin).toMatchObject({
      ok: false,
      message: `403 PERMISSION_DENIED: ${message} (needs logging.logEntries.list)`,
    });
    expect(dataAccess).toMatchObject({ message: expect.stringMatching(/\(needs logging\.privateLogEntries\.list\)$/) });
  });

  it('404 is absent', async () => {
    handler = (_req, res) =>
      json(res, 404, googleError(404, 'NOT_FOUND', `Not found; Gaia id not found for email ${EMAIL}`));
    const { google } = setup();
    const outcome = await google.serviceAccount(EMAIL, 'acme-shop');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.kind).toBe('absent');
    expect(seen[0]?.url).toBe(`/v1/projects/acme-shop/serviceAccounts/${EMAIL}`);
  });

  it('a Kubernetes Status and an OAuth error read as their own words', () => {
    expect(
      describeFailure(403, { kind: 'Status', reason: 'Forbidden', message: 'pods is forbidden' }, 'list pods'),
    ).toBe('403 Forbidden: pods is forbidden (needs list pods)');
    expect(describeFailure(400, { error: 'invalid_target', error_description: 'The target service…' }, undefined)).toBe(
      '400 invalid_target: The target service…',
    );
  });
});

describe('timeouts and dead APIs', () => {
  it('a call that hangs times out, is not retried, and the next call still works', async () => {
    handler = (req, res, n) => {
      if (n === 1) return; // never answered
      json(res, 200, { projectId: 'acme-shop' });
    };
    const { google, trace } = setup({ timeoutMs: 150 });
    const started = Date.now();
    const hung = await google.project('acme-shop');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(hung).toMatchObject({ ok: false, kind: 'error', message: 'timed out after 0.15 s' });
    expect(trace.map((t) => t.status)).toEqual(['timeout']);
    expect((await google.project('acme-shop')).ok).toBe(true);
  });

  it('a refused connection is a network error after retries', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const runner = new CallRunner({ concurrency: 2, timeoutMs: 1000, baseDelayMs: 1 });
    const endpoints = resolveEndpoints({ iam: `http://127.0.0.1:${port}` }, {});
    const google = new GoogleApi(googleCredentials({}, { CLOUDSDK_AUTH_ACCESS_TOKEN: TOKEN }), endpoints, runner);
    const outcome = await google.serviceAccount(EMAIL, 'acme-shop');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.message).toMatch(/^network error: .*ECONNREFUSED.*\(after 4 attempts\)$/);
    expect(runner.stats.calls.iam).toBe(4);
  });
});

describe('concurrency, pagination, headers, trace', () => {
  it('never has more calls in flight than the bound', async () => {
    let inFlight = 0;
    let peak = 0;
    handler = (_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        json(res, 200, {});
      }, 30);
    };
    const { google, runner } = setup({ concurrency: 3 });
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => google.project(`p-${i}`)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(peak).toBe(3);
    expect(runner.stats.peakInFlight).toBe(3);
  });

  it('follows nextPageToken and merges the pages', async () => {
    handler = (req, res) => {
      const token = new URL(req.url ?? '', base).searchParams.get('pageToken');
      if (token === null)
        json(res, 200, { accounts: [{ email: 'a@acme-shop.iam.gserviceaccount.com' }], nextPageToken: 'p2' });
      else if (token === 'p2')
        json(res, 200, { accounts: [{ email: 'b@acme-shop.iam.gserviceaccount.com' }], nextPageToken: 'p3' });
      else json(res, 200, { accounts: [{ email: 'c@acme-shop.iam.gserviceaccount.com' }] });
    };
    const { google } = setup();
    const outcome = await google.serviceAccounts('acme-shop');
    expect(outcome.ok && outcome.value.map((a) => (a as { email: string }).email)).toEqual([
      'a@acme-shop.iam.gserviceaccount.com',
      'b@acme-shop.iam.gserviceaccount.com',
      'c@acme-shop.iam.gserviceaccount.com',
    ]);
    expect(count).toBe(3);
  });

  it('a failed later page fails the whole list', async () => {
    handler = (req, res) =>
      new URL(req.url ?? '', base).searchParams.get('pageToken') === null
        ? json(res, 200, { accounts: [{ email: 'a@acme-shop.iam.gserviceaccount.com' }], nextPageToken: 'p2' })
        : json(res, 403, googleError(403, 'PERMISSION_DENIED', 'denied'));
    const { google } = setup();
    const outcome = await google.serviceAccounts('acme-shop');
    expect(outcome).toMatchObject({ ok: false, status: 403 });
  });

  it('sends the token, the quota project and policy version 3; the trace shows neither the token nor headers', async () => {
    handler = (_req, res) => json(res, 200, { bindings: [] });
    const { google, trace } = setup({}, 'billing-proj');
    await google.serviceAccountPolicy(EMAIL, 'acme-shop');
    await google.bucketPolicy('acme-shop-assets');
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]?.headers['x-goog-user-project']).toBe('billing-proj');
    expect(seen[0]?.url).toContain('options.requestedPolicyVersion=3');
    expect(seen[1]?.url).toBe('/storage/v1/b/acme-shop-assets/iam?optionsRequestedPolicyVersion=3');
    expect(seen[1]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(trace).toHaveLength(2);
    expect(JSON.stringify(trace)).not.toContain(TOKEN);
    expect(trace[0]).toMatchObject({ method: 'POST', status: 200, attempt: 1 });
  });

  it('redacts credentials in traced URLs and reads Retry-After dates', () => {
    expect(redactUrl('https://x.test/a?access_token=abc&pageToken=zz&name=n')).toBe(
      'https://x.test/a?access_token=REDACTED&pageToken=REDACTED&name=n',
    );
    expect(redactUrl('https://user:pw@x.test/')).toBe('https://REDACTED@x.test/');
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('errors that are not HTTP', () => {
  it('missing credentials are said plainly and not retried', async () => {
    const runner = new CallRunner({ concurrency: 1, timeoutMs: 1000, baseDelayMs: 1 });
    let attempts = 0;
    const outcome = await runner.call({
      api: 'iam',
      method: 'GET',
      url: 'https://iam.googleapis.com/v1/x',
      attempt: () => {
        attempts++;
        return Promise.reject(
          new Error('Could not load the default credentials. Browse to https://… for more information.'),
        );
      },
    });
    expect(attempts).toBe(1);
    expect(outcome).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^no Google credentials: .*--access-token-file/),
    });
  });
});
