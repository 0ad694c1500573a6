// Secrets planted in a sandbox world, of every kind a cluster holds by accident or on purpose: a password on a
// command line and in an env value, key JSON in GOOGLE_APPLICATION_CREDENTIALS, last-applied-configuration in a
// pod template, a connection string and a bearer token in annotations, a private key and a JWT in the
// Workload Identity annotation itself (any tenant can write it). `collect` must write none of them, and no
// output format of `check`, live or from that bundle, may show one. Then the audit's inputs: a user-managed key
// created through the IAM API (its answer carries `privateKeyData`, the whole key file), its Admin Activity
// entry and the Policy Analyzer activity: `collect --audit` keeps the key's metadata only, and neither `audit`
// nor `logs`, live or from that bundle, shows key material.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox, Scenario } from '../../src/sandbox/index.js';
import { loadScenarioFile, startSandbox } from '../../src/sandbox/index.js';
import { REPO, runCli, scratch } from './helpers.js';

const KEY_BODY = 'MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDplantedKeyBody0123456789'.repeat(4);
const PEM = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;
const JWT_SIGNATURE = 'plantedJwtSignature_0123456789abcdefghijklmnopqrstuvwxyz';
const JWT = `eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJwbGFudGVkIn0.${JWT_SIGNATURE}`;
const KEY_JSON = JSON.stringify({
  type: 'service_account',
  private_key_id: 'plantedkeyid0123456789abcdef',
  private_key: PEM,
  client_email: 'cart@acme-shop.iam.gserviceaccount.com',
});

/** What must appear nowhere, by kind (pieces of each secret, not just its start). */
const SECRETS: Record<string, string[]> = {
  'command-line password': ['planted-cmd-password-1'],
  'args password': ['planted-args-password-2'],
  'env value': ['planted-env-password-3'],
  // (Not `service_account` alone: the audit's fixes name Terraform's `google_service_account_key`.)
  'key JSON in GOOGLE_APPLICATION_CREDENTIALS': ['plantedkeyid0123456789abcdef', 'private_key_id'],
  'PEM private key': [KEY_BODY.slice(20, 60), KEY_BODY.slice(-40)],
  JWT: [JWT_SIGNATURE, 'eyJzdWIiOiJwbGFudGVkIn0'],
  'bearer token': ['plantedBearerToken0123456789'],
  'connection string': ['planted-db-password-4'],
  'last-applied-configuration': ['planted-last-applied-5'],
};

function plant(scenario: Scenario): Scenario {
  const shop = scenario.clusters?.[0]?.namespaces?.find((n) => n.name === 'shop');
  const cart = shop?.workloads?.find((w) => w.name === 'cart');
  const api = shop?.serviceAccounts?.find((k) => k.name === 'api');
  if (!shop || !cart || !api) throw new Error('the healthy scenario changed');
  cart.command = ['/server', '--db-password=planted-cmd-password-1'];
  cart.args = ['--token', 'planted-args-password-2', `--auth=Bearer plantedBearerToken0123456789`];
  cart.env = {
    ...cart.env,
    DB_PASSWORD: 'planted-env-password-3',
    GOOGLE_APPLICATION_CREDENTIALS: KEY_JSON,
  };
  cart.annotations = {
    'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ password: 'planted-last-applied-5' }),
    'db.example.com/url': 'postgres://admin:planted-db-password-4@db:5432/shop',
    'auth.example.com/header': 'Bearer plantedBearerToken0123456789',
  };
  // The annotation wi-doctor reads and shows: a tenant can put anything in it.
  api.annotations = { 'iam.gke.io/gcp-service-account': PEM, 'iam.gke.io/gcp-service-acount': JWT };
  return scenario;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function leaks(text: string): string[] {
  return Object.entries(SECRETS).flatMap(([kind, pieces]) => (pieces.some((p) => text.includes(p)) ? [kind] : []));
}

describe('secrets planted in a sandbox world', () => {
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  const tmp = scratch('wi-doctor-secrets-');
  const bundle = join(tmp.dir, 'bundle');
  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: plant(await loadScenarioFile(join(REPO, 'scenarios', 'healthy.yaml'))) });
    env = {
      ...sandbox.env,
      NO_COLOR: '1',
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
    };
  }, 60_000);
  afterAll(async () => {
    await sandbox.stop();
    tmp.cleanup();
  });

  it('the Kubernetes API really serves them (the test would prove nothing otherwise)', async () => {
    const token = /token: *"?([^"\s]+)/.exec(readFileSync(sandbox.kubeconfig, 'utf8'))?.[1] ?? '';
    const served = await Promise.all(
      ['/api/v1/pods', '/apis/apps/v1/deployments', '/api/v1/serviceaccounts'].map(async (path) => {
        const res = await fetch(`${sandbox.endpoints.kubernetes ?? ''}${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return res.text();
      }),
    );
    expect(leaks(served.join('\n')).sort()).toEqual(Object.keys(SECRETS).sort());
  });

  it('collect writes none of them into the bundle', async () => {
    const run = await runCli(['collect', '--all', '--out', bundle], env);
    expect(run.stderr).toMatch(/wrote .*: \d+ files/);
    expect(run.code).toBe(0);
    for (const file of filesUnder(bundle)) {
      expect({ file, leaks: leaks(readFileSync(file, 'utf8')) }).toEqual({ file, leaks: [] });
    }
    expect(leaks(run.stdout + run.stderr)).toEqual([]);
  });

  describe('with a key created through the IAM API', () => {
    const auditBundle = join(tmp.dir, 'audit-bundle');
    /** Pieces of the created key file: its private key's body, its key id, the answer's field name. */
    let keyPieces: string[] = [];
    const keyLeaks = (text: string) => [...leaks(text), ...keyPieces.filter((p) => text.includes(p))];

    beforeAll(async () => {
      const gsa = 'cart-gsa@acme-shop.iam.gserviceaccount.com';
      const res = await fetch(`${env.WI_DOCTOR_IAM_ENDPOINT ?? ''}/v1/projects/acme-shop/serviceAccounts/${gsa}/keys`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${env.CLOUDSDK_AUTH_ACCESS_TOKEN ?? ''}`,
          'content-type': 'application/json',
        },
        body: '{}',
      });
      const created = (await res.json()) as { privateKeyData?: string };
      const file = JSON.parse(Buffer.from(created.privateKeyData ?? '', 'base64').toString('utf8')) as {
        private_key?: string;
        private_key_id?: string;
      };
      const body = (file.private_key ?? '').replace(/-----[A-Z ]+-----|\s/g, '');
      // (The key's id is no secret: it is the last part of the key's name, which lists show.)
      keyPieces = [body.slice(40, 80), body.slice(-60, -20), 'privateKeyData'];
    }, 60_000);

    it('the API really handed out a private key (the test would prove nothing otherwise)', () => {
      expect(keyPieces[0]).toMatch(/^[A-Za-z0-9+/]{40}$/);
    });

    it("collect --audit writes only the key's metadata", async () => {
      const run = await runCli(['collect', '--audit', '--out', auditBundle], env);
      expect(run.code).toBe(0);
      const files = filesUnder(auditBundle);
      expect(files.some((f) => f.endsWith('.keys.json'))).toBe(true);
      for (const file of files) {
        expect({ file, leaks: keyLeaks(readFileSync(file, 'utf8')) }).toEqual({ file, leaks: [] });
      }
      expect(keyLeaks(run.stdout + run.stderr)).toEqual([]);
    });

    it.each(['text', 'json', 'sarif', 'markdown'])(
      'audit shows no key material, live or from the bundle (%s)',
      async (format) => {
        for (const from of [[], ['--from', auditBundle]]) {
          const run = await runCli(['audit', ...from, '--format', format], env);
          expect([0, 1]).toContain(run.code);
          expect(run.stdout).toMatch(/gsa-user-managed-keys/);
          expect({ format, from, leaks: keyLeaks(run.stdout + run.stderr) }).toEqual({ format, from, leaks: [] });
        }
      },
    );

    it.each(['text', 'json'])('logs shows no key material, live or from the bundle (%s)', async (format) => {
      for (const from of [[], ['--from', auditBundle]]) {
        const run = await runCli(['logs', ...from, '--ksa', 'shop/cart', '--since', '1d', '--format', format], env);
        expect({ from, code: run.code, stderr: run.stderr }).toMatchObject({ from, code: 0 });
        expect({ format, from, leaks: keyLeaks(run.stdout + run.stderr) }).toEqual({ format, from, leaks: [] });
      }
    });
  });

  it.each(['text', 'json', 'sarif', 'markdown'])(
    'check shows none of them, live or from the bundle (%s)',
    async (format) => {
      for (const from of [[], ['--from', bundle]]) {
        const run = await runCli(['check', ...from, '--all', '--format', format], env);
        expect([0, 1]).toContain(run.code);
        expect({ format, from, leaks: leaks(run.stdout + run.stderr) }).toEqual({ format, from, leaks: [] });
      }
    },
  );
});
