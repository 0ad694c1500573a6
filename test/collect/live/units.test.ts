// Endpoint resolution, cluster naming, kubeconfig proxying, scrubbing, the permission list and the bundle writer.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { liveHooks } from '../../../src/cli/actions/collect.js';
import { CHECKS } from '../../../src/checks/index.js';
import { readBundle } from '../../../src/collect/bundle/read.js';
import type { BundleInput } from '../../../src/collect/bundle/facts.js';
import { factsFromFiles } from '../../../src/collect/bundle/facts.js';
import { writeBundle } from '../../../src/collect/bundle/write.js';
import { kindsFor } from '../../../src/collect/live/collect.js';
import { loadKubeConfig, parseGkeContextName, resolveClusterRef } from '../../../src/collect/live/credentials.js';
import { DEFAULT_ENDPOINTS, parseEndpointFlags, resolveEndpoints } from '../../../src/collect/live/endpoints.js';
import { requiredFacts } from '../../../src/collect/live/live.js';
import { EXTRA_PERMISSIONS, FACT_PERMISSIONS, minimalPermissions } from '../../../src/collect/live/permissions.js';
import { SCRUBBED, allowlistedK8sFile } from '../../../src/collect/live/scrub.js';
import { UsageError } from '../../../src/engine/errors.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'wi-doctor-live-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('endpoints', () => {
  it('flag beats WI_DOCTOR_*, which beats gcloud overrides, which beat Google', () => {
    const env = {
      WI_DOCTOR_IAM_ENDPOINT: 'http://127.0.0.1:1001',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: 'http://127.0.0.1:1002/',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER: 'http://127.0.0.1:1003/prefix',
    };
    const e = resolveEndpoints(parseEndpointFlags(['sts=http://127.0.0.1:1004']), env);
    expect(e.iam).toBe('http://127.0.0.1:1001/');
    expect(e.container).toBe('http://127.0.0.1:1003/prefix/');
    expect(e.sts).toBe('http://127.0.0.1:1004/');
    expect(e.logging).toBe(DEFAULT_ENDPOINTS.logging);
  });

  it('rejects unknown APIs and non-URLs', () => {
    expect(() => parseEndpointFlags(['pubsub=http://x/'])).toThrow(UsageError);
    expect(() => resolveEndpoints({}, { WI_DOCTOR_IAM_ENDPOINT: 'not a url' })).toThrow(/WI_DOCTOR_IAM_ENDPOINT/);
  });
});

describe('which cluster', () => {
  it('reads gke_PROJECT_LOCATION_CLUSTER, flags win', () => {
    expect(parseGkeContextName('gke_acme-shop_europe-west1_prod')).toEqual({
      project: 'acme-shop',
      location: 'europe-west1',
      name: 'prod',
    });
    expect(parseGkeContextName('gke_acme-shop_europe-west1-b_prod')?.location).toBe('europe-west1-b');
    expect(parseGkeContextName('minikube')).toBeUndefined();
    // Flags name the cluster where the context does not; where it does, a different value is a usage error.
    expect(resolveClusterRef({ project: 'p', location: 'l', cluster: 'c' }, 'minikube')).toEqual({
      project: 'p',
      location: 'l',
      name: 'c',
    });
    expect(resolveClusterRef({ project: 'acme-shop' }, 'gke_acme-shop_europe-west1_prod').name).toBe('prod');
    expect(() => resolveClusterRef({ project: 'acme-shpo' }, 'gke_acme-shop_europe-west1_prod')).toThrow(
      /^--project acme-shpo contradicts the kubeconfig context `gke_acme-shop_europe-west1_prod` \(project acme-shop\)/,
    );
    expect(() => resolveClusterRef({ cluster: 'other' }, 'gke_acme-shop_europe-west1_prod')).toThrow(/--cluster other/);
    expect(() => resolveClusterRef({ project: 'p' }, 'minikube')).toThrow(/--location, --cluster/);
  });

  it('kubeconfig: --context picks a context; HTTPS_PROXY applies unless NO_PROXY exempts the server', () => {
    const dir = tmp();
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: a',
        'clusters:',
        '- {name: a, cluster: {server: "https://a.example.com"}}',
        '- {name: b, cluster: {server: "https://b.internal"}}',
        'contexts:',
        '- {name: a, context: {cluster: a, user: u}}',
        '- {name: gke_acme-shop_europe-west1_prod, context: {cluster: b, user: u}}',
        'users:',
        '- {name: u, user: {token: t}}',
      ].join('\n'),
    );
    const env = { HTTPS_PROXY: 'http://proxy.example.com:3128', NO_PROXY: '.internal' };
    expect(loadKubeConfig({ kubeconfig: file }, env).getCurrentCluster()?.proxyUrl).toBe(
      'http://proxy.example.com:3128',
    );
    const b = loadKubeConfig({ kubeconfig: file, context: 'gke_acme-shop_europe-west1_prod' }, env);
    expect(b.getCurrentCluster()?.server).toBe('https://b.internal');
    expect(b.getCurrentCluster()?.proxyUrl).toBeUndefined();
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'nope' }, {})).toThrow(/known: a, gke_/);
  });

  // On a pod the in-cluster account is used instead: there the first case does not hold.
  it.skipIf(existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token'))(
    'kubeconfig: none at all is a usage error that says how to get one; ~/.kube/config is read from HOME',
    () => {
      const home = tmp();
      expect(() => loadKubeConfig({}, { HOME: home })).toThrow(UsageError);
      expect(() => loadKubeConfig({}, { HOME: home })).toThrow(
        /^no kubeconfig: KUBECONFIG is not set, ~\/\.kube\/config does not exist .*gcloud container clusters get-credentials .*--from DIR$/,
      );
      mkdirSync(join(home, '.kube'));
      writeFileSync(
        join(home, '.kube', 'config'),
        [
          'apiVersion: v1',
          'kind: Config',
          'current-context: gke_acme-shop_europe-west1_prod',
          'clusters: [{name: c, cluster: {server: "https://10.0.0.1"}}]',
          'contexts: [{name: gke_acme-shop_europe-west1_prod, context: {cluster: c, user: u}}]',
          'users: [{name: u, user: {token: t}}]',
        ].join('\n'),
      );
      const kc = loadKubeConfig({}, { HOME: home });
      expect(kc.getCurrentContext()).toBe('gke_acme-shop_europe-west1_prod');
      expect(kc.getCurrentCluster()?.server).toBe('https://10.0.0.1');
    },
  );
});

describe('what is fetched', () => {
  it('lists the kinds the checks need, plus the KSAs and what the targets need', () => {
    expect(kindsFor({ requires: ['cluster'], targets: { ksa: ['shop/cart'] }, options: {} })).toEqual([
      'serviceaccounts',
    ]);
    expect(
      kindsFor({ requires: ['k8s:nodes'], targets: { workload: ['shop/deployment/cart'] }, options: {} }).sort(),
    ).toEqual(['deployments', 'nodes', 'pods', 'replicasets', 'serviceaccounts']);
  });
});

describe('allowlist', () => {
  it('keeps env names and the credentials path, drops other values, Secret data, last-applied, command and args', () => {
    const list = {
      kind: 'List',
      items: [
        {
          kind: 'Deployment',
          metadata: {
            name: 'cart',
            annotations: {
              'kubectl.kubernetes.io/last-applied-configuration': '{"password":"hunter2"}',
              'iam.gke.io/gcp-service-account': 'cart@acme-shop.iam.gserviceaccount.com',
              'iam.gke.io/gcp-service-acount': 'typo@acme-shop.iam.gserviceaccount.com',
              'db-url': 'postgres://u:hunter2@db',
            },
          },
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'app',
                    command: ['server', '--password=hunter2'],
                    args: ['--token', 'hunter2'],
                    env: [
                      { name: 'DB_PASSWORD', value: 'hunter2' },
                      { name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/secrets/key.json' },
                      { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
                    ],
                  },
                ],
                initContainers: [
                  {
                    name: 'init',
                    env: [
                      { name: 'TOKEN', value: 'abc' },
                      { name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '{"type":"service_account","private_key":"x"}' },
                    ],
                  },
                ],
              },
            },
          },
        },
        { kind: 'Secret', metadata: { name: 's' }, data: { k: 'c2VjcmV0' } },
      ],
    };
    const text = JSON.stringify(allowlistedK8sFile(list));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('c2VjcmV0');
    expect(text).not.toContain('"abc"');
    expect(text).not.toContain('service_account');
    expect(text).toContain('/var/secrets/key.json');
    expect(text).toContain('DB_PASSWORD');
    expect(text).toContain('cart@acme-shop.iam.gserviceaccount.com');
    expect(text).toContain('typo@acme-shop.iam.gserviceaccount.com');
    expect(text).not.toContain('db-url');
    expect(text).toContain(SCRUBBED);
  });
});

describe('permissions', () => {
  const catalog = JSON.parse(
    gunzipSync(readFileSync(join(import.meta.dirname, '../../../data/gcp-predefined-roles.json.gz'))).toString(),
  ) as { roles: Record<string, { permissions: string[] }> };

  it('every role named holds the permissions it is named for, and is read-only', () => {
    for (const [fact, need] of [...Object.entries(FACT_PERMISSIONS), ...Object.entries(EXTRA_PERMISSIONS)]) {
      if (need.role === '') continue;
      const held = new Set(catalog.roles[need.role]?.permissions ?? []);
      for (const p of need.permissions) expect(held.has(p), `${need.role} holds ${p} (for ${fact})`).toBe(true);
      // TokenReview/SubjectAccessReview "creates" only ask a question; they change nothing.
      const writes = [...held].filter(
        (p) =>
          /\.(create|delete|update|setIamPolicy|getAccessToken|actAs|signBlob)$/.test(p) && !/Reviews\.create$/.test(p),
      );
      expect(writes, `${need.role} is read-only`).toEqual([]);
    }
  });

  it('the roles for every check cover every permission', () => {
    const { permissions, roles } = minimalPermissions(requiredFacts(CHECKS));
    const held = new Set(roles.flatMap((r) => catalog.roles[r]?.permissions ?? []));
    expect(permissions.filter((p) => !held.has(p))).toEqual([]);
    expect(permissions).toContain('iam.serviceAccounts.getIamPolicy');
    // container.viewer holds container.clusters.get and resourcemanager.projects.get: clusterViewer and browser
    // (chosen for those alone) drop out beside it.
    expect(minimalPermissions(['k8s:pods']).roles).toEqual(['roles/container.viewer']);
    expect(minimalPermissions(['k8s:pods']).kubernetes).toEqual(['pods', 'serviceaccounts']);
  });

  it('drops a role only when the roles that stay hold every permission it was chosen for', () => {
    const roles: Record<string, string[]> = {
      'roles/container.clusterViewer': ['container.clusters.get', 'container.clusters.list'],
      'roles/container.viewer': ['container.clusters.get', 'container.serviceAccounts.list'],
      'roles/browser': ['resourcemanager.projects.get'],
    };
    const holds = (r: string) => new Set(roles[r] ?? []);
    // clusterViewer is also chosen for container.clusters.list, which container.viewer lacks here: it stays.
    expect(minimalPermissions([], ['clusterList'], holds).roles).toEqual([
      'roles/browser',
      'roles/container.clusterViewer',
      'roles/container.viewer',
    ]);
    expect(minimalPermissions([], [], holds).roles).toEqual(['roles/browser', 'roles/container.viewer']);
  });
});

describe('writeBundle', () => {
  const input = (): BundleInput => ({
    manifest: {
      format: 'wi-doctor-bundle/1',
      cluster: { project: 'acme-shop', location: 'europe-west1', name: 'prod' },
      collectedAt: '2026-11-28T17:00:00Z',
      k8sKinds: ['serviceaccounts'],
      absent: ['gcp/service-accounts/gone@acme-shop.iam.gserviceaccount.com.json'],
    },
    files: new Map([
      ['gcp/projects/acme-shop.json', { json: { projectId: 'acme-shop', projectNumber: '123456789012' } }],
      ['k8s/serviceaccounts.json', { json: { kind: 'List', apiVersion: 'v1', items: [] } }],
      ['gcp/projects/acme-shop.iam-policy.json', { error: '403 PERMISSION_DENIED: no (needs x)' }],
    ]),
  });

  it('writes what reads back as the same facts; error entries go to the manifest', async () => {
    const dir = join(tmp(), 'bundle');
    const written = writeBundle(dir, input());
    expect(written).toEqual(['bundle.json', 'gcp/projects/acme-shop.json', 'k8s/serviceaccounts.json']);
    const manifest = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as { errors?: Record<string, string> };
    expect(manifest.errors).toEqual({
      'gcp/projects/acme-shop.iam-policy.json': '403 PERMISSION_DENIED: no (needs x)',
    });
    const { facts } = await readBundle(dir);
    const direct = factsFromFiles(input());
    expect(facts.project('acme-shop')).toEqual(direct.project('acme-shop'));
    expect(facts.projectPolicy('acme-shop')).toEqual(direct.projectPolicy('acme-shop'));
    expect(facts.serviceAccount('gone@acme-shop.iam.gserviceaccount.com').status).toBe('absent');
  });

  it('refuses a non-empty folder unless forced', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'x'));
    expect(() => writeBundle(dir, input())).toThrow(/not empty.*--force/);
    expect(() => writeBundle(dir, input(), { force: true })).not.toThrow();
  });

  it('never writes outside the folder', () => {
    const bad = input();
    bad.files.set('../escape.json', { json: {} });
    expect(() => writeBundle(join(tmp(), 'b'), bad)).toThrow(/outside/);
  });
});

describe('terminal hooks', () => {
  const io = (isTTY: boolean) => {
    let err = '';
    const stderr = Object.assign(new Writable({ write: (c: Buffer, _e, cb) => ((err += c.toString()), cb()) }), {
      isTTY,
    });
    return { io: { stdout: stderr, stderr, env: {} }, err: () => err };
  };

  it('no progress when stderr is no terminal or with --quiet; --debug traces one line per call', () => {
    const pipe = io(false);
    expect(liveHooks(pipe.io, {}).onProgress).toBeUndefined();
    expect(liveHooks(io(true).io, { quiet: true }).onProgress).toBeUndefined();
    expect(liveHooks(io(true).io, {}).onProgress).toBeTypeOf('function');
    const hooks = liveHooks(pipe.io, { debug: true });
    hooks.onTrace?.({ method: 'GET', url: 'https://iam.googleapis.com/v1/x', status: 403, ms: 12, attempt: 2 });
    expect(pipe.err()).toBe('wi-doctor: http GET https://iam.googleapis.com/v1/x → 403 12 ms (attempt 2)\n');
  });
});
