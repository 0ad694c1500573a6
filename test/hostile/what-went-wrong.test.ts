// Issue "hostile and malformed input", each item of "what went wrong" reproduced through the CLI on a copy of
// an example bundle. Each test here failed before the input boundary was made strict; the classes behind them
// are covered more widely by the validation, engine-rule and fuzz tests.

import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerProblem } from '../../src/collect/bundle/facts.js';
import { CallRunner } from '../../src/collect/live/calls.js';
import { googleCredentials } from '../../src/collect/live/credentials.js';
import { resolveEndpoints } from '../../src/collect/live/endpoints.js';
import { GoogleApi } from '../../src/collect/live/google.js';
import {
  CONTROL,
  checkJson,
  copyExample,
  editJson,
  readJson,
  runCli,
  scratch,
  statusOf,
  writeJson,
} from './helpers.js';
import { jwt, claimsFor } from '../token/jwt.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());
let n = 0;
const copy = (example: string) => copyExample(example, tmp.dir, `${example}-${n++}`);

type Item = { metadata: Record<string, unknown>; spec?: Record<string, unknown> } & Record<string, unknown>;
type List = { items: Item[] };
const itemNamed = (list: List, name: string): Item => {
  const found = list.items.find((i) => i.metadata.name === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
};

describe('1. false passes on corrupted facts', () => {
  it('a k8s file that is a symlink out of the bundle is reported, not skipped: the check is not a pass', async () => {
    const bundle = copy('netpol-blocks-metadata');
    const outside = join(tmp.dir, `outside-${n++}.json`);
    writeJson(outside, readJson(join(bundle, 'k8s/networkpolicies.json')));
    rmSync(join(bundle, 'k8s/networkpolicies.json'));
    symlinkSync(outside, join(bundle, 'k8s/networkpolicies.json'));
    const { code, report, stderr } = await checkJson(bundle);
    expect(code).not.toBe(2);
    expect(statusOf(report, 'network-policy-metadata', 'shop/cart')).toBe('unknown');
    expect(stderr).toMatch(/k8s\/networkpolicies\.json: .*symlink.*outside the bundle/);
  });

  it('a List whose items is not an array is unreadable, not empty', async () => {
    const bundle = copy('netpol-blocks-metadata');
    editJson(bundle, 'k8s/networkpolicies.json', (json) => ({ ...json, items: { oops: true } }));
    const { report, stderr } = await checkJson(bundle);
    expect(statusOf(report, 'network-policy-metadata', 'shop/cart')).toBe('unknown');
    expect(stderr).toContain('k8s/networkpolicies.json: items: must be array');
  });

  it('--all on a service-account list that is not a list does not find 0 subjects and exit 0', async () => {
    const bundle = copy('healthy');
    editJson(bundle, 'k8s/serviceaccounts.json', (json) => ({ ...json, items: 'none' }));
    const { code, stderr } = await checkJson(bundle);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /--all needs the Kubernetes service accounts: .*k8s\/serviceaccounts\.json: items: must be array/,
    );
  });

  it('an unparseable startTime does not make pods-restarted-after-change pass', async () => {
    const bundle = copy('pods-not-restarted');
    editJson(bundle, 'k8s/pods.json', (json) => {
      const status = itemNamed(json as unknown as List, 'cart-7d9f8b6c5d-abcde').status as Record<string, unknown>;
      status.startTime = 'last tuesday';
    });
    const { report } = await checkJson(bundle);
    expect(statusOf(report, 'pods-restarted-after-change', 'shop/cart')).toBe('unknown');
  });

  it('"disabled": "true" (a string) does not read as enabled', async () => {
    const bundle = copy('gsa-disabled');
    for (const path of [
      'gcp/service-accounts/cart@acme-shop.iam.gserviceaccount.com.json',
      'gcp/projects/acme-shop.service-accounts.json',
    ]) {
      editJson(bundle, path, (json) => {
        const accounts = Array.isArray(json) ? (json as Record<string, unknown>[]) : [json];
        for (const a of accounts) if (a.disabled === true) a.disabled = 'true';
        return json;
      });
    }
    const { report } = await checkJson(bundle);
    expect(statusOf(report, 'gsa-enabled', 'shop/cart')).not.toBe('pass');
  });

  it('hostNetwork: "true" (a string) does not read as false', async () => {
    const bundle = copy('host-network');
    editJson(bundle, 'k8s/pods.json', (json) => {
      const spec = itemNamed(json as unknown as List, 'cart-7d9f8b6c5d-abcde').spec ?? {};
      spec.hostNetwork = 'true';
    });
    editJson(bundle, 'k8s/deployments.json', (json) => {
      const spec = itemNamed(json as unknown as List, 'cart').spec as { template: { spec: Record<string, unknown> } };
      spec.template.spec.hostNetwork = 'true';
    });
    const { report } = await checkJson(bundle);
    expect(statusOf(report, 'host-network', 'shop/cart')).toBe('unknown');
  });
});

describe('2. one wrong-typed field does not end the run', () => {
  const noCrash = (run: { code: number; stderr: string }) => {
    expect(run.stderr).not.toMatch(/unexpected error|internal error|is not a function/);
    expect([0, 1]).toContain(run.code);
  };

  it('workloadPool a number: the cluster file is named, the rest of the report stays', async () => {
    const bundle = copy('healthy');
    editJson(bundle, 'gcp/cluster.json', (json) => {
      json.workloadIdentityConfig = { workloadPool: 42 };
    });
    const run = await checkJson(bundle);
    noCrash(run);
    expect(run.stderr).toContain('gcp/cluster.json: workloadIdentityConfig.workloadPool: must be string');
    expect(
      statusOf(run.report, 'cluster-workload-pool', 'projects/acme-shop/locations/europe-west1/clusters/prod'),
    ).toBe('unknown');
    expect(statusOf(run.report, 'ksa-exists', 'shop/cart')).toBe('pass');
  });

  it('an annotation value that is a number', async () => {
    const bundle = copy('healthy');
    editJson(bundle, 'k8s/serviceaccounts.json', (json) => {
      const ksa = itemNamed(json as unknown as List, 'cart');
      (ksa.metadata.annotations as Record<string, unknown>)['iam.gke.io/gcp-service-account'] = 7;
    });
    const run = await checkJson(bundle, ['--ksa', 'shop/cart']);
    noCrash(run);
    expect(run.stderr).toMatch(
      /k8s\/serviceaccounts\.json: items\[\d+\]\.metadata\.annotations\.iam\.gke\.io\/gcp-service-account: must be string/,
    );
    expect(statusOf(run.report, 'ksa-annotation', 'shop/cart')).toBe('unknown');
  });

  it("a pod's spec: null and ownerReferences a string", async () => {
    const bundle = copy('healthy');
    editJson(bundle, 'k8s/pods.json', (json) => {
      const list = json as unknown as List;
      const cart = list.items.find((i) => String(i.metadata.name).startsWith('cart-'));
      const api = list.items.find((i) => String(i.metadata.name).startsWith('api-'));
      if (!cart || !api) throw new Error('pods');
      cart.spec = null as unknown as Record<string, unknown>;
      api.metadata.ownerReferences = 'ReplicaSet/api';
    });
    const run = await checkJson(bundle);
    noCrash(run);
    expect(run.stderr).toMatch(/k8s\/pods\.json: items\[\d+\]\.spec: must be object/);
    expect(run.stderr).toMatch(/k8s\/pods\.json: items\[\d+\]\.metadata\.ownerReferences: must be array/);
  });

  it('100,000 nested brackets: a note naming the file, no stack overflow', async () => {
    const bundle = copy('healthy');
    writeFileSync(join(bundle, 'k8s/pods.json'), '['.repeat(100_000));
    const run = await checkJson(bundle);
    noCrash(run);
    expect(run.stderr).toMatch(/k8s\/pods\.json: .*nest/);
    writeFileSync(join(bundle, 'k8s/pods.json'), `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const valid = await checkJson(bundle);
    noCrash(valid);
    expect(valid.stderr).toMatch(/k8s\/pods\.json: .*nest/);
  });
});

describe('3. no terminal injection from the data', () => {
  const hostile = '\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eevil';

  it('a KSA annotation cannot retitle or clear the terminal in text or Markdown, nor through stderr', async () => {
    const bundle = copy('healthy');
    editJson(bundle, 'k8s/serviceaccounts.json', (json) => {
      const ksa = itemNamed(json as unknown as List, 'cart');
      (ksa.metadata.annotations as Record<string, unknown>)['iam.gke.io/gcp-service-account'] = hostile;
    });
    mkdirSync(join(bundle, 'k8s', 'x'), { recursive: true });
    writeFileSync(join(bundle, 'k8s/x/\u001b[2J.txt'), 'not a bundle file');
    for (const format of ['text', 'markdown']) {
      const run = await runCli(['check', '--from', bundle, '--ksa', 'shop/cart', '--format', format]);
      expect(run.stdout).not.toMatch(CONTROL);
      expect(run.stderr).not.toMatch(CONTROL);
      expect(run.stdout).toContain('\\x1b]0;pwned\\x07');
    }
  });

  it('token decode and verify print no control characters from the claims', async () => {
    const dir = join(tmp.dir, `token-${n++}`);
    mkdirSync(dir);
    const token = join(dir, 't.jwt');
    writeFileSync(token, jwt(claimsFor('shop', 'cart', { sub: hostile, iss: `https://x/${hostile}` })));
    const decoded = await runCli(['token', 'decode', token]);
    expect(decoded.stdout).toContain('\\x1b');
    expect(decoded.stdout + decoded.stderr).not.toMatch(CONTROL);
    const jwks = join(dir, 'jwks.json');
    writeJson(jwks, { keys: [] });
    const verified = await runCli(['token', 'verify', token, '--jwks', jwks]);
    expect(verified.stdout + verified.stderr).not.toMatch(CONTROL);
  });
});

describe('4. no secret survives the text report', () => {
  it('evidence is redacted before it is cut to size', async () => {
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7'.repeat(12);
    const pem = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
    const bundle = copy('healthy');
    editJson(bundle, 'k8s/serviceaccounts.json', (json) => {
      const ksa = itemNamed(json as unknown as List, 'cart');
      (ksa.metadata.annotations as Record<string, unknown>)['iam.gke.io/gcp-service-account'] = pem;
    });
    for (const format of ['text', 'markdown', 'json', 'sarif']) {
      const run = await runCli(['check', '--from', bundle, '--ksa', 'shop/cart', '--format', format]);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).not.toContain(body.slice(0, 40));
      expect(run.stdout + run.stderr).not.toContain(body.slice(60, 100));
    }
  });
});

describe('5. the smaller ones', () => {
  it.each([
    ['check', '--from', '', '--all'],
    ['audit', '--from', ''],
    ['logs', '--ksa', 'shop/cart', '--from', ''],
    ['fix', '--all', '--from', ''],
  ])("--from '' is a usage error, not a live run with ambient credentials (%s)", async (...args) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^wi-doctor: option '--from <dir>' argument '' is invalid\. expected a path, got an empty value\n$/,
    );
  });

  it.each([
    ['check', '--from', 'examples/healthy', '--all', '--output', ''],
    ['audit', '--from', 'examples/healthy', '--output', ''],
    ['fix', '--all', '--from', 'examples/healthy', '--log', ''],
    ['rotate', '--ksa', 'shop/cart', '--to', 'new@acme-shop.iam.gserviceaccount.com', '--journal', ''],
  ])('other empty path flags are usage errors too (%s)', async (...args) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^wi-doctor: option '--\w+ <\w+>' argument '' is invalid\. expected a path/);
  });

  it('token verify puts its exit-2 line on stderr', async () => {
    const dir = join(tmp.dir, `verify-${n++}`);
    mkdirSync(dir);
    const token = join(dir, 't.jwt');
    writeFileSync(token, 'not a token');
    const jwks = join(dir, 'jwks.json');
    writeJson(jwks, { keys: [] });
    const run = await runCli(['token', 'verify', token, '--jwks', jwks]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^wi-doctor: .+\n$/);
  });

  it('--endpoint is validated with --from too', async () => {
    const bundle = copy('healthy');
    const run = await runCli(['check', '--from', bundle, '--all', '--endpoint', 'iam=not a url']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^wi-doctor: option '--endpoint <api=url>' argument 'iam=not a url' is invalid\. --endpoint iam: "not a url" is not a URL/,
    );
  });
});

describe('live answers (a local fake API)', () => {
  let server: Server;
  let base = '';
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('{}');
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => handler(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const api = (timeoutMs = 3000) => {
    const runner = new CallRunner({ concurrency: 4, timeoutMs });
    const endpoints = resolveEndpoints({}, { WI_DOCTOR_SERVICEUSAGE_ENDPOINT: base, WI_DOCTOR_IAM_ENDPOINT: base });
    const credentials = googleCredentials({}, { CLOUDSDK_AUTH_ACCESS_TOKEN: 'ya29.fake-token-for-a-local-fake' });
    return new GoogleApi(credentials, endpoints, runner);
  };
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  it('1. a 200 of the wrong shape from Service Usage is unknown, not "the API is off"', async () => {
    handler = (_req, res) => send(res, 200, { services: { name: 'iamcredentials.googleapis.com' } });
    const outcome = await api().services('acme-shop');
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.message).toMatch(/unexpected answer from .*services: services: must be array/);
    // An entry of the wrong shape inside a list is refused as the answer arrives too.
    expect(answerProblem('gcp/projects/acme-shop.services.json', [{ name: 5 }])).toBe(
      '[0].name: must be string (found number)',
    );
  });

  it('5. Retry-After: 3600 with a 3 s timeout does not wait: unknown, with the server advice', async () => {
    handler = (_req, res) =>
      send(
        res,
        429,
        { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' } },
        {
          'retry-after': '3600',
        },
      );
    const started = Date.now();
    const outcome = await api(3000).serviceAccount('cart@acme-shop.iam.gserviceaccount.com', 'acme-shop');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(!outcome.ok && outcome.message).toMatch(/retry after 3600 s, beyond the 3 s timeout/);
  });
});
