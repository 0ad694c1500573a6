import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import type { BundleInput, BundleManifest, FileEntry } from '../../src/collect/bundle/facts.js';
import { BundleError, readBundle, readBundleSync } from '../../src/collect/bundle/read.js';
import { exampleDir, fileJson, loadExampleFiles } from '../fixtures/load-example.js';

const CART = 'cart@acme-shop.iam.gserviceaccount.com';
const manifest = (extra: Partial<BundleManifest> = {}): BundleManifest => ({
  format: 'wi-doctor-bundle/1',
  cluster: { project: 'acme-shop', location: 'europe-west1', name: 'prod' },
  collectedAt: '2026-11-28T17:00:00Z',
  ...extra,
});
const input = (files: Record<string, unknown>, extra: Partial<BundleManifest> = {}): BundleInput => ({
  manifest: manifest(extra),
  files: new Map<string, FileEntry>(Object.entries(files).map(([k, v]) => [k, { json: v }])),
});
const list = (...items: unknown[]) => ({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } });
const ksa = (namespace: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { namespace, name },
});
const pod = (namespace: string, name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace, name },
  spec: { containers: [{ name: 'app' }], ...spec },
});
/** A JWT-shaped string: base64url header and claims, and a signature we can look for. */
const SIGNATURE = 'c2lnbmF0dXJlLXNlY3JldC1wYXJ0';
const jwt = (header: object, claims: object) =>
  [JSON.stringify(header), JSON.stringify(claims)].map((s) => Buffer.from(s).toString('base64url')).join('.') +
  '.' +
  SIGNATURE;

describe('file facts: present, absent, error, not collected', () => {
  const policyPath = 'gcp/projects/acme-shop.iam-policy.json';
  it('a present file is present, with its path as source', () => {
    const facts = factsFromFiles(input({ [policyPath]: { bindings: [], etag: 'x' } }));
    expect(facts.projectPolicy('acme-shop')).toMatchObject({
      status: 'present',
      source: policyPath,
      value: { etag: 'x' },
    });
  });
  it('a file listed absent is absent; one listed in errors is an error with its message', () => {
    const facts = factsFromFiles(
      input(
        {},
        {
          absent: ['gcp/projects/acme-shop.json'],
          errors: { [policyPath]: '403 PERMISSION_DENIED: no getIamPolicy' },
        },
      ),
    );
    expect(facts.project('acme-shop').status).toBe('absent');
    expect(facts.projectPolicy('acme-shop')).toMatchObject({
      status: 'error',
      message: '403 PERMISSION_DENIED: no getIamPolicy',
    });
  });
  it('anything else is not collected, naming the file and the command that makes it', () => {
    const facts = factsFromFiles(input({}));
    const policy = facts.projectPolicy('acme-shop');
    expect(policy.status).toBe('not-collected');
    if (policy.status === 'not-collected') {
      expect(policy.message).toBe(
        `not collected: ${policyPath} (gcloud projects get-iam-policy acme-shop --format=json)`,
      );
    }
    const keys = facts.serviceAccountKeys(CART);
    expect(keys.status === 'not-collected' && keys.message).toContain('keys list --iam-account ' + CART);
    expect(facts.cluster.status === 'not-collected' && facts.cluster.message).toContain(
      'gcloud container clusters describe prod --location europe-west1',
    );
    const role = facts.customRole('projects/acme-shop/roles/reader');
    expect(role).toMatchObject({ status: 'not-collected', source: 'gcp/roles/projects~acme-shop~roles~reader.json' });
    expect(facts.logEntries.status).toBe('not-collected');
    expect(facts.resourcePolicy('//storage.googleapis.com/projects/_/buckets/b').status).toBe('not-collected');
  });
  it('a resource policy read live and not found, or refused, is an error naming why, not "not collected"', () => {
    const gone = '//storage.googleapis.com/projects/_/buckets/no-such-bucket';
    const refused = '//storage.googleapis.com/projects/_/buckets/private';
    const facts = factsFromFiles(
      input(
        {},
        {
          absent: ['gcp/resources/storage.googleapis.com~projects~_~buckets~no-such-bucket.json'],
          errors: {
            'gcp/resources/storage.googleapis.com~projects~_~buckets~private.json': '403 PERMISSION_DENIED: no',
          },
        },
      ),
    );
    expect(facts.resourcePolicy(gone)).toMatchObject({
      status: 'error',
      message: `${gone} does not exist (404 when its policy was read)`,
    });
    expect(facts.resourcePolicy(refused)).toMatchObject({ status: 'error', message: '403 PERMISSION_DENIED: no' });
  });
  it('an unparseable file is an error entry', () => {
    const facts = factsFromFiles({
      manifest: manifest(),
      files: new Map([['gcp/cluster.json', { error: 'invalid JSON at line 2, column 3: boom' }]]),
    });
    expect(facts.cluster).toMatchObject({ status: 'error', message: 'invalid JSON at line 2, column 3: boom' });
  });
  it('a file of the wrong shape is an error, not a crash later', () => {
    const facts = factsFromFiles(input({ 'gcp/projects/acme-shop.services.json': { oops: true } }));
    expect(facts.projectServices('acme-shop').status).toBe('error');
  });
  it('accepts REST-shaped lists ({"accounts": […]}) as well as gcloud arrays', () => {
    const facts = factsFromFiles(
      input({ 'gcp/projects/acme-shop.service-accounts.json': { accounts: [{ email: CART }] } }),
    );
    expect(facts.serviceAccount(CART).status).toBe('present');
  });
  it('custom roles are found by full name with "/" as "~"', () => {
    const name = 'organizations/42/roles/wiReader';
    const facts = factsFromFiles(input({ 'gcp/roles/organizations~42~roles~wiReader.json': { name } }));
    expect(facts.customRole(name)).toMatchObject({ status: 'present', value: { name } });
  });
  it('ancestor policies come from folder and organization files, errors included', () => {
    const facts = factsFromFiles(
      input(
        { 'gcp/folders/77.iam-policy.json': { bindings: [] } },
        { errors: { 'gcp/organizations/42.iam-policy.json': '403 Forbidden' } },
      ),
    );
    const byResource = Object.fromEntries(facts.ancestorPolicies.map((a) => [a.resource, a.policy.status]));
    expect(byResource).toEqual({ 'folders/77': 'present', 'organizations/42': 'error' });
  });
  it('logs concatenate every gcp/logs file', () => {
    const facts = factsFromFiles(
      input({ 'gcp/logs/a.json': [{ insertId: '1' }], 'gcp/logs/b.json': [{ insertId: '2' }, { insertId: '3' }] }),
    );
    expect(facts.logEntries.status === 'present' && facts.logEntries.value.map((e) => e.insertId)).toEqual([
      '1',
      '2',
      '3',
    ]);
  });
  it('notes unknown files and uses collectedAt as the clock', () => {
    const facts = factsFromFiles(input({ 'gcp/whatever.json': {}, 'notes.txt': undefined }));
    expect(facts.notes).toEqual(['ignored unknown file gcp/whatever.json', 'ignored unknown file notes.txt']);
    expect(facts.now.toISOString()).toBe('2026-11-28T17:00:00.000Z');
  });
});

describe('service accounts: the project list proves absence', () => {
  const listPath = 'gcp/projects/acme-shop.service-accounts.json';
  it('an account in the list is present; one missing from a collected list is absent', () => {
    const facts = factsFromFiles(input({ [listPath]: [{ email: CART, uniqueId: '1' }] }));
    expect(facts.serviceAccount(CART)).toMatchObject({ status: 'present', source: listPath });
    const ghost = facts.serviceAccount('ghost@acme-shop.iam.gserviceaccount.com');
    expect(ghost).toMatchObject({
      status: 'absent',
      message: `ghost@acme-shop.iam.gserviceaccount.com is missing from ${listPath}`,
    });
    // … and so are its policy and keys.
    expect(facts.serviceAccountPolicy('ghost@acme-shop.iam.gserviceaccount.com').status).toBe('absent');
  });
  it("another project's list proves nothing about this project's account", () => {
    const facts = factsFromFiles(input({ 'gcp/projects/acme-data.service-accounts.json': [] }));
    expect(facts.serviceAccount(CART).status).toBe('not-collected');
  });
  it('a describe error (gcloud answers 403 for a missing account) defers to a collected list', () => {
    const errors = { [`gcp/service-accounts/${CART}.json`]: '403 Permission iam.serviceAccounts.get denied' };
    const listed = factsFromFiles(input({ [listPath]: [] }, { errors }));
    expect(listed.serviceAccount(CART)).toMatchObject({
      status: 'absent',
      message: expect.stringMatching(/missing from .*describe answered: 403/),
    });
    expect(listed.serviceAccountPolicy(CART).status).toBe('absent');
    const unlisted = factsFromFiles(input({}, { errors }));
    expect(unlisted.serviceAccount(CART).status).toBe('error');
  });
  it('the describe file wins over the list', () => {
    const facts = factsFromFiles(
      input({ [`gcp/service-accounts/${CART}.json`]: { email: CART, disabled: true }, [listPath]: [] }),
    );
    expect(facts.serviceAccount(CART)).toMatchObject({ status: 'present', value: { disabled: true } });
  });
  it('a Compute default account is looked up in the project whose number it carries', () => {
    const compute = '123456789012-compute@developer.gserviceaccount.com';
    const facts = factsFromFiles(
      input({
        'gcp/projects/acme-shop.json': { projectId: 'acme-shop', projectNumber: '123456789012' },
        [listPath]: [],
      }),
    );
    expect(facts.serviceAccount(compute).status).toBe('absent');
  });
  it('knownProjects and knownServiceAccounts come from file names', () => {
    const facts = factsFromFiles(
      input(
        { [listPath]: [], [`gcp/service-accounts/${CART}.iam-policy.json`]: {} },
        { errors: { 'gcp/projects/acme-data.iam-policy.json': '403' } },
      ),
    );
    expect(facts.knownProjects).toEqual(['acme-data', 'acme-shop']);
    expect(facts.knownServiceAccounts).toEqual([CART]);
  });
  it('answers each question once per argument (one shared answer however many subjects ask), each argument its own', () => {
    const other = 'other@acme-shop.iam.gserviceaccount.com';
    const facts = factsFromFiles(
      input({ [listPath]: [{ email: CART }], [`gcp/service-accounts/${CART}.iam-policy.json`]: { etag: 'e' } }),
    );
    expect(facts.serviceAccountPolicy(CART)).toBe(facts.serviceAccountPolicy(CART));
    expect(facts.serviceAccount(CART)).toBe(facts.serviceAccount(CART));
    expect(facts.projectPolicy('acme-shop')).toBe(facts.projectPolicy('acme-shop'));
    expect(facts.serviceAccountPolicy(CART)).toMatchObject({ status: 'present', value: { etag: 'e' } });
    expect(facts.serviceAccountPolicy(other).status).toBe('absent');
    expect(facts.serviceAccount(other).status).toBe('absent');
    expect(facts.projectPolicy('acme-data').status).toBe('not-collected');
  });
});

describe('Kubernetes kinds', () => {
  it('a kind listed in k8sKinds with no objects is known to have none', () => {
    const facts = factsFromFiles(input({}, { k8sKinds: ['networkpolicies', 'serviceaccounts'] }));
    expect(facts.k8s.list('networkpolicies')).toMatchObject({ status: 'present', value: [] });
    expect(facts.k8s.get('serviceaccounts', 'shop', 'cart')).toMatchObject({
      status: 'absent',
      message: 'no ServiceAccount shop/cart in the collected serviceaccounts',
    });
  });
  it('errors["k8s:pods"] makes pods an error; unlisted kinds are not collected', () => {
    const facts = factsFromFiles(
      input(
        { 'k8s/sa.json': list(ksa('shop', 'cart')) },
        { k8sKinds: ['serviceaccounts', 'pods'], errors: { 'k8s:pods': '403 Forbidden: pods' } },
      ),
    );
    expect(facts.k8s.podsOfServiceAccount('shop', 'cart')).toMatchObject({
      status: 'error',
      message: '403 Forbidden: pods',
    });
    expect(facts.k8s.list('deployments').status).toBe('not-collected');
    expect(facts.k8s.get('deployments', 'shop', 'cart').status).toBe('not-collected');
    expect(facts.k8s.get('serviceaccounts', 'shop', 'cart').status).toBe('present');
  });
  it('without k8sKinds, kinds that appear are complete and the others are not collected', () => {
    const facts = factsFromFiles(input({ 'k8s/sa.json': list(ksa('shop', 'cart')) }));
    expect(facts.k8s.get('serviceaccounts', 'shop', 'api').status).toBe('absent');
    expect(facts.k8s.list('pods').status).toBe('not-collected');
  });
  it('indexes a List of mixed kinds, API lists without item kinds, and single objects', () => {
    const facts = factsFromFiles(
      input({
        'k8s/all.json': list(ksa('shop', 'cart'), pod('shop', 'p1', { serviceAccountName: 'cart' }), {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'n1' },
        }),
        'k8s/podlist.json': {
          apiVersion: 'v1',
          kind: 'PodList',
          items: [{ metadata: { namespace: 'shop', name: 'p2' }, spec: { serviceAccount: 'cart', containers: [] } }],
        },
        'k8s/one-pod.json': pod('shop', 'p3'),
        'k8s/dup.json': pod('shop', 'p1', { serviceAccountName: 'cart' }),
      }),
    );
    expect(facts.k8s.get('nodes', undefined, 'n1').status).toBe('present');
    const names = (f: ReturnType<typeof facts.k8s.podsOfServiceAccount>) =>
      f.status === 'present' ? f.value.map((p) => p.metadata.name).sort() : f.status;
    expect(names(facts.k8s.podsOfServiceAccount('shop', 'cart'))).toEqual(['p1', 'p2']);
    expect(names(facts.k8s.podsOfServiceAccount('shop', 'default'))).toEqual(['p3']);
    expect(facts.k8s.inNamespace('serviceaccounts', 'shop')).toMatchObject({
      status: 'present',
      value: [{ metadata: { name: 'cart' } }],
    });
    expect(facts.k8s.inNamespace('pods', 'other')).toMatchObject({ status: 'present', value: [] });
  });
  it('notes objects of kinds it does not know', () => {
    const facts = factsFromFiles(
      input({ 'k8s/x.json': list({ kind: 'Secret', metadata: { name: 's', namespace: 'a' } }) }),
    );
    expect(facts.notes).toEqual(['ignored 1 object(s) of kind Secret in k8s/x.json']);
  });
  it('takes a kind named like an Object.prototype property (constructor, toString) for an unknown kind', () => {
    const facts = factsFromFiles(
      input({
        'k8s/x.json': list(
          { kind: 'constructor', metadata: { name: 's', namespace: 'a' } },
          { kind: 'toString' },
          pod('a', 'p'),
        ),
        'k8s/constructor.json': { kind: 'List', items: [{ kind: 'hasOwnProperty' }] },
      }),
    );
    expect(facts.notes).toEqual([
      'ignored 1 object(s) of kind hasOwnProperty in k8s/constructor.json',
      'ignored 1 object(s) of kind constructor in k8s/x.json',
      'ignored 1 object(s) of kind toString in k8s/x.json',
    ]);
    expect(facts.k8s.get('pods', 'a', 'p').status).toBe('present');
  });
  it('an unreadable k8s file makes its kind (from the file name) unknown, not absent', () => {
    const facts = factsFromFiles({
      manifest: manifest({ k8sKinds: ['pods', 'serviceaccounts'] }),
      files: new Map<string, FileEntry>([['k8s/pods.json', { error: 'invalid JSON at line 1, column 2: x' }]]),
    });
    expect(facts.k8s.get('pods', 'shop', 'p').status).toBe('error');
    expect(facts.k8s.get('serviceaccounts', 'shop', 'cart').status).toBe('absent');
  });
  it('indexes 20,000 KSAs and 50,000 pods quickly', () => {
    const ksas = Array.from({ length: 20_000 }, (_, i) => ksa(`ns${i % 100}`, `ksa${i}`));
    const pods = Array.from({ length: 50_000 }, (_, i) =>
      pod(`ns${i % 100}`, `pod${i}`, { serviceAccountName: `ksa${(i % 20_000) - ((i % 20_000) % 100) + (i % 100)}` }),
    );
    const started = performance.now();
    const facts = factsFromFiles(input({ 'k8s/sa.json': list(...ksas), 'k8s/pods.json': list(...pods) }));
    let found = 0;
    for (let i = 0; i < 20_000; i++) {
      const f = facts.k8s.podsOfServiceAccount(`ns${i % 100}`, `ksa${i}`);
      if (f.status === 'present') found += f.value.length;
      facts.k8s.get('serviceaccounts', `ns${i % 100}`, `ksa${i}`);
    }
    expect(found).toBe(50_000);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('tokens', () => {
  const header = { alg: 'RS256', kid: 'k1' };
  const claims = {
    iss: 'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod',
    sub: 'system:serviceaccount:shop:cart',
  };
  it('keeps header and claims, never the signature, and tolerates CRLF and wrapping', () => {
    const token = jwt(header, claims);
    const wrapped = `${token.slice(0, 20)}\r\n${token.slice(20)}\r\n`;
    const facts = factsFromFiles(input({ 'token/cart.jwt': wrapped }));
    expect(facts.tokens).toEqual([{ source: 'token/cart.jwt', header, claims }]);
    expect(JSON.stringify(facts.tokens)).not.toContain(SIGNATURE);
  });
  it('a broken token is a TokenFile with an error that does not repeat the token', () => {
    const facts = factsFromFiles(input({ 'token/a.jwt': 'not.a-token', 'token/b.jwt': 'eyJ!!.eyJ.sig' }));
    expect(facts.tokens.map((t) => [t.source, t.error !== undefined, t.claims])).toEqual([
      ['token/a.jwt', true, undefined],
      ['token/b.jwt', true, undefined],
    ]);
    expect(JSON.stringify(facts.tokens)).not.toContain('eyJ!!');
  });
});

describe('readBundle', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const bundle = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'wi-bundle-'));
    dirs.push(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };
  const manifestText = JSON.stringify(manifest({ k8sKinds: ['serviceaccounts'] }));

  it('loads examples/healthy with no notes', async () => {
    const { facts, notes } = await readBundle(exampleDir('healthy'));
    expect(notes).toEqual([]);
    expect(facts.cluster.status).toBe('present');
    expect(facts.serviceAccountPolicy(CART).status).toBe('present');
    expect(facts.k8s.get('serviceaccounts', 'shop', 'cart').status).toBe('present');
    const pods = facts.k8s.podsOfServiceAccount('shop', 'cart');
    expect(pods.status === 'present' && pods.value.map((p) => p.metadata.name)).toEqual(['cart-7d9f8b6c5d-abcde']);
    expect(facts.k8s.list('networkpolicies')).toMatchObject({ status: 'present', value: [] });
    expect(facts.resourcePolicy('//storage.googleapis.com/projects/_/buckets/acme-shop-assets').status).toBe('present');
  });
  it('sync and async readers agree', async () => {
    const a = await readBundle(exampleDir('healthy'));
    const b = readBundleSync(exampleDir('healthy'));
    expect(b.facts.k8s.list('pods')).toEqual(a.facts.k8s.list('pods'));
    expect(b.facts.knownServiceAccounts).toEqual(a.facts.knownServiceAccounts);
  });
  it('invalid JSON in a file becomes an error entry and a note with line and column; the rest is used', async () => {
    const dir = bundle({
      'bundle.json': manifestText,
      'gcp/cluster.json': '{\n  "name": "prod",\n  "status": }\n',
      'k8s/sa.json': JSON.stringify(list(ksa('shop', 'cart'))),
      'README.md': '# notes',
      'expected.json': '{"not": "evidence"',
      'k8s/README.md': '# not a companion here',
      '.git/config': 'x',
    });
    const { facts, notes } = await readBundle(dir);
    expect(facts.cluster.status).toBe('error');
    expect(facts.cluster.status === 'error' && facts.cluster.message).toMatch(/^invalid JSON at line 3, column 13: /);
    expect(notes).toContainEqual(expect.stringMatching(/^gcp\/cluster\.json: invalid JSON at line 3, column 13/));
    expect(notes).toContain('ignored unknown file k8s/README.md');
    expect(notes.join('\n')).not.toMatch(/expected\.json|file README\.md/);
    expect(notes.join('\n')).not.toContain('.git');
    expect(facts.k8s.get('serviceaccounts', 'shop', 'cart').status).toBe('present');
  });

  it('an unparseable Kubernetes file is one note, not one from the reader and one from the facts', async () => {
    const dir = bundle({ 'bundle.json': manifestText, 'k8s/pods.json': '' });
    const { facts, notes } = await readBundle(dir);
    expect(notes.filter((n) => n.startsWith('k8s/pods.json'))).toEqual([
      'k8s/pods.json: invalid JSON at line 1, column 1: Unexpected end of JSON input; what it holds is treated as unknown',
    ]);
    expect(facts.k8s.get('pods', 'shop', 'p').status).toBe('error');
  });
  it('reads tokens as raw text', () => {
    const dir = bundle({ 'bundle.json': manifestText, 'token/t.jwt': jwt({ alg: 'RS256' }, { sub: 'x' }) + '\r\n' });
    expect(readBundleSync(dir).facts.tokens[0]?.claims).toEqual({ sub: 'x' });
  });
  it('parses service-account file names that contain "@" and "."', () => {
    const dir = bundle({
      'bundle.json': manifestText,
      [`gcp/service-accounts/${CART}.keys.json`]: '[]',
      [`gcp/service-accounts/${CART}.iam-policy.json`]: '{"etag":"e"}',
    });
    const { facts, notes } = readBundleSync(dir);
    expect(notes).toEqual([]);
    expect(facts.serviceAccountKeys(CART)).toMatchObject({ status: 'present', value: [] });
    expect(facts.serviceAccountPolicy(CART)).toMatchObject({ status: 'present', value: { etag: 'e' } });
  });
  it('throws BundleError for a missing folder, a file, a missing or invalid bundle.json, or a wrong format', async () => {
    const missing = join(tmpdir(), 'wi-bundle-does-not-exist');
    await expect(readBundle(missing)).rejects.toThrow(BundleError);
    const file = bundle({ 'f.json': '{}' });
    await expect(readBundle(join(file, 'f.json'))).rejects.toThrow(/not a folder/);
    await expect(readBundle(bundle({ 'gcp/cluster.json': '{}' }))).rejects.toThrow(/bundle\.json: does not exist/);
    const invalid = bundle({ 'bundle.json': '{\n  "format": "wi-doctor-bundle/1",\n}' });
    await expect(readBundle(invalid)).rejects.toThrow(/bundle\.json: invalid JSON at line 3, column 1/);
    const wrong = bundle({ 'bundle.json': JSON.stringify({ ...manifest(), format: 'other/2' }) });
    await expect(readBundle(wrong)).rejects.toThrow(/"format" must be "wi-doctor-bundle\/1"/);
    expect(() => readBundleSync(missing)).toThrow(BundleError);
  });
});

describe('loadExampleFiles', () => {
  it('returns independent deep copies for patching', () => {
    const a = loadExampleFiles('healthy');
    fileJson(a, 'gcp/cluster.json').workloadIdentityConfig = undefined;
    const b = loadExampleFiles('healthy');
    expect(fileJson(b, 'gcp/cluster.json').workloadIdentityConfig).toEqual({ workloadPool: 'acme-shop.svc.id.goog' });
    expect(factsFromFiles(a).cluster).toMatchObject({
      status: 'present',
      value: { workloadIdentityConfig: undefined },
    });
  });
});

describe('files of the wrong shape are unknown, never proof', () => {
  const CART = 'cart@acme-shop.iam.gserviceaccount.com';
  it.each([
    ['an array', [1, 2]],
    ['null', null],
    ['a List with a non-object item', { kind: 'List', items: [null] }],
  ])('k8s/pods.json holding %s makes pods an error', (_name, json) => {
    const input = loadExampleFiles('healthy');
    input.files.set('k8s/pods.json', { json });
    const facts = factsFromFiles(input);
    expect(facts.k8s.list('pods').status).toBe('error');
    expect(facts.notes.join('\n')).toMatch(/k8s\/pods\.json/);
  });

  it('one page of a paged service-account list proves nothing absent', () => {
    const input = loadExampleFiles('healthy');
    input.files.delete(`gcp/service-accounts/${CART}.json`);
    input.files.set('gcp/projects/acme-shop.service-accounts.json', {
      json: { accounts: [{ email: 'other@acme-shop.iam.gserviceaccount.com' }], nextPageToken: 'abc' },
    });
    const facts = factsFromFiles(input);
    expect(facts.serviceAccount(CART).status).not.toBe('absent');
  });

  it.each([
    [
      'members as a string',
      { bindings: [{ role: 'roles/x', members: 'serviceAccount:a@b.iam.gserviceaccount.com' }] },
      'bindings[0].members: must be array (found string)',
    ],
    ['a null binding', { bindings: [null] }, 'bindings[0]: must be object (found null)'],
    ['bindings not an array', { bindings: 'x' }, 'bindings: must be array (found string)'],
  ])('a policy with %s is an error naming the field, not an empty policy', (_name, json, message) => {
    const input = loadExampleFiles('healthy');
    input.files.set(`gcp/service-accounts/${CART}.iam-policy.json`, { json });
    const facts = factsFromFiles(input);
    const policy = facts.serviceAccountPolicy(CART);
    expect(policy.status).toBe('error');
    expect(policy.status === 'error' && policy.message).toBe(message);
    expect(facts.notes).toContain(
      `gcp/service-accounts/${CART}.iam-policy.json: ${message}; what it holds is treated as unknown`,
    );
  });
});
