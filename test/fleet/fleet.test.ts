// Many clusters in one run, Cloud Asset Inventory in the facts, and who-can, against the sandbox's `fleet`
// scenario (an organization, a folder, three projects, three clusters: two share the pool of acme-shop; shop/api
// uses direct binding with its only grant on a bucket of another project; staging's shop/orders names a GSA whose
// policy binds nobody).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCommand } from '../../src/cli/actions/audit.js';
import { runCheckCommand } from '../../src/cli/actions/check.js';
import { runPermissionsCommand } from '../../src/cli/actions/catalog.js';
import { loadCatalog } from '../../src/model/iam/catalog.js';
import type { CheckCommandOptions } from '../../src/cli/actions/check.js';
import { runWhoCanCommand } from '../../src/cli/actions/who-can.js';
import { UsageError } from '../../src/engine/errors.js';
import { FLEET_COVERAGE, searchQuery, TOKEN_PERMISSIONS, WI_MEMBER_TERMS } from '../../src/model/iam/asset-search.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';
import { memoryIo } from '../helpers/memory-io.js';

const SCENARIO = join(import.meta.dirname, '../../scenarios/fleet.yaml');
const CART = 'cart-gsa@acme-shop.iam.gserviceaccount.com';
const PROD = 'gke_acme-shop_europe-west1_prod';
const STAGING = 'gke_acme-shop_us-central1_staging';
const BATCH = 'gke_acme-batch_europe-west1_batch';

const base: CheckCommandOptions = { format: 'json', failOn: 'fail', all: true, quiet: true };

interface FleetJson {
  format: string;
  clusters: { cluster: string; reachable: boolean; report: { verdicts: { subject: string; status: string }[] } }[];
  summary: { cluster: string; reachable: boolean; subjects: number; error?: string }[];
  verdicts: { cluster: string; subject: string; status: string; headline: string }[];
  identities: { identity: string; clusters: string[] }[];
  searched: string[];
  notes: string[];
}

describe('fleet against the sandbox', () => {
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const calls = new Map<string, number>();
  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: SCENARIO });
    env = {
      ...sandbox.env,
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
    };
    dir = mkdtempSync(join(tmpdir(), 'wi-doctor-fleet-'));
    // Count what the servers receive, by API and path, to show reads are shared between clusters.
    const faults = sandbox.world.faults;
    const decide = faults.decide.bind(faults);
    faults.decide = (api, path) => {
      const key = `${api} ${path}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      return decide(api, path);
    };
  });
  afterAll(async () => {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function fleetRun(options: Partial<CheckCommandOptions>, extraEnv: NodeJS.ProcessEnv = {}) {
    const io = memoryIo({ ...env, ...extraEnv });
    const code = await runCheckCommand({ ...base, ...options }, io);
    return { code, io, json: options.format === 'text' ? undefined : (JSON.parse(io.out()) as FleetJson) };
  }

  it('check --all --clusters projects/P: every cluster of the project, one combined verdict list, shared identities', async () => {
    calls.clear();
    const { code, json } = await fleetRun({ clusters: 'projects/acme-shop' });
    if (json === undefined) throw new Error('no JSON');
    expect(json.format).toBe('wi-doctor-fleet/1');
    expect(json.summary.map((c) => [c.cluster, c.reachable])).toEqual([
      [PROD, true],
      [STAGING, true],
    ]);
    expect(json.verdicts.map((v) => [v.cluster, v.subject, v.status])).toEqual([
      [STAGING, 'shop/orders', 'fail'],
      [PROD, 'shop/api', 'pass'],
      [PROD, 'shop/cart', 'pass'],
      [STAGING, 'shop/cart', 'pass'],
    ]);
    // The same pool, namespace and KSA in two clusters is one principal.
    expect(json.identities).toEqual([
      { identity: 'acme-shop.svc.id.goog[shop/cart]', clusters: [PROD, STAGING], differs: false },
    ]);
    // Direct binding: shop/api's grant on another project's bucket is found by the organization-wide search.
    expect(json.searched.join('\n')).toMatch(/organizations\/512345678901 .* 1 page/);
    expect(code).toBe(1);
    // Shared reads: the GSA shop/cart uses in both clusters, the project and the search are read once each.
    const count = (re: RegExp) => [...calls].filter(([k]) => re.test(k)).reduce((a, [, n]) => a + n, 0);
    expect(count(/searchAllIamPolicies/)).toBe(1);
    expect(count(new RegExp(`serviceAccounts/${CART}:getIamPolicy`))).toBe(1);
    expect(count(/^cloudresourcemanager .*projects\/acme-shop$/)).toBeLessThanOrEqual(1);
  });

  it('a file of names: contexts and cluster names; one that cannot be reached is unknown and the run goes on', async () => {
    const file = join(dir, 'clusters.txt');
    writeFileSync(
      file,
      `# the fleet\n${PROD}\nprojects/acme-batch/locations/europe-west1/clusters/batch\nprojects/acme-shop/locations/asia-east1/clusters/gone\n`,
    );
    const { code, json } = await fleetRun({ clusters: file, failOn: 'unknown' });
    if (json === undefined) throw new Error('no JSON');
    const byName = new Map(json.summary.map((c) => [c.cluster, c]));
    expect(byName.get(PROD)?.reachable).toBe(true);
    expect(byName.get(BATCH)?.reachable).toBe(true);
    const gone = byName.get('gke_acme-shop_asia-east1_gone');
    expect(gone?.reachable).toBe(false);
    expect(gone?.error).toMatch(/could not be described/);
    expect(json.verdicts).toContainEqual(
      expect.objectContaining({ cluster: 'gke_acme-shop_asia-east1_gone', subject: '*', status: 'unknown' }),
    );
    expect(json.verdicts).toContainEqual(
      expect.objectContaining({ cluster: BATCH, subject: 'jobs/runner', status: 'pass' }),
    );
    // --fail-on unknown: a cluster not reached fails the run.
    expect(code).toBe(1);
  });

  it('ALL_CONTEXTS in text: a report per cluster, then the fleet summary', async () => {
    const { io } = await fleetRun({ clusters: 'ALL_CONTEXTS', format: 'text', hidePass: true });
    const text = io.out();
    for (const c of [PROD, STAGING, BATCH]) expect(text).toContain(`== ${c} ==`);
    expect(text).toMatch(/Fleet: 3 clusters \(0 not reached\), 5 subjects: 1 failing/);
    // Not a terminal: whole lines (the failure's headline and evidence run past 100 columns).
    const expected = text.split('\n').filter((line) => line.includes('expected: {"resource"'));
    expect(expected.length).toBeGreaterThan(0);
    for (const line of expected) expect(line).toMatch(/"member": ".*"\}$/);
    expect(text).toContain(
      'acme-shop.svc.id.goog[shop/cart]: gke_acme-shop_europe-west1_prod, gke_acme-shop_us-central1_staging',
    );
  });

  it('an unreadable scope (403 on the search) falls back to the policies read one by one and says so', async () => {
    const { json } = await fleetRun(
      { clusters: 'projects/acme-shop', scope: 'organizations/512345678901' },
      { CLOUDSDK_AUTH_ACCESS_TOKEN: 'viewer-token' },
    );
    if (json === undefined) throw new Error('no JSON');
    expect(json.searched).toEqual([
      expect.stringMatching(/^Cloud Asset Inventory organizations\/512345678901: not searched \(403 PERMISSION_DENIED/),
    ]);
    expect(json.notes).toContainEqual(
      expect.stringMatching(
        /search of organizations\/512345678901 failed .*grants were looked for only in the policies read one by one/,
      ),
    );
    // Without the search, shop/api's grant (on another project's bucket) is not in what was read: unknown, never pass.
    const api = json.verdicts.find((v) => v.subject === 'shop/api');
    expect(api?.status).toBe('unknown');
    // shop/cart's chain is read whole, but a policy this caller may not read could grant its own principal too
    // (unintended impersonation): that side question is unknown, so the verdict is unknown, never pass.
    const cart = json.verdicts.find((v) => v.subject === 'shop/cart' && v.cluster === PROD);
    expect(cart?.status).toBe('unknown');
    expect(cart?.headline).toMatch(/could not be evaluated \(ksa-annotation\)/);
  });

  it('check --clusters organizations/N: the clusters of the organization from one resource search', async () => {
    calls.clear();
    const { json } = await fleetRun({ clusters: 'organizations/512345678901' });
    if (json === undefined) throw new Error('no JSON');
    expect(json.summary.map((c) => c.cluster).sort()).toEqual([BATCH, PROD, STAGING]);
    const count = (re: RegExp) => [...calls].filter(([k]) => re.test(k)).reduce((a, [, n]) => a + n, 0);
    expect(count(/searchAllResources/)).toBe(1);
    // The search named the clusters; a project's cluster list (identity-sameness reads it) is read once per
    // project however many of its clusters are collected.
    const lists = [...calls].filter(([k]) => /\/clusters$/.test(k));
    expect(lists.every(([, n]) => n === 1)).toBe(true);
    expect(lists.length).toBeLessThanOrEqual(2);
  });

  it('audit --scope organizations/N: every cluster in it, each finding once with the clusters that found it', async () => {
    const io = memoryIo(env);
    const code = await runAuditCommand(
      { scope: 'organizations/512345678901', format: 'json', failOn: 'warn', quiet: true },
      io,
    );
    const json = JSON.parse(io.out()) as FleetJson;
    expect(json.summary.map((c) => [c.cluster, c.reachable]).sort()).toEqual([
      [BATCH, true],
      [PROD, true],
      [STAGING, true],
    ]);
    const rows = json.verdicts.map(
      (v) => `${v.status} ${v.cluster} | ${v.subject} | ${v.headline.split(':')[0] ?? ''}`,
    );
    // cart-gsa is used in prod and staging: its finding is one row naming both.
    expect(rows).toContain(`warn ${PROD}, ${STAGING} | ${CART} | unused-gsa`);
    expect(rows).toContain(`warn ${PROD}, ${STAGING} | projects/acme-shop | admin-read-audit-logs`);
    expect(rows).toContain(`warn ${BATCH} | projects/acme-batch | admin-read-audit-logs`);
    expect(rows.filter((r) => r.includes('| projects/acme-shop | admin-read-audit-logs'))).toHaveLength(1);
    expect(code).toBe(1);
  });

  it('bad flags are usage errors before any call', async () => {
    await expect(fleetRun({ clusters: 'projects/acme-shop', scope: 'orgs/1' })).rejects.toThrow(UsageError);
    await expect(fleetRun({ clusters: 'projects/acme-shop', context: PROD })).rejects.toThrow(/drop --context/);
    await expect(fleetRun({ clusters: join(dir, 'missing.txt') })).rejects.toThrow(/not a readable file/);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'not a cluster\n');
    await expect(fleetRun({ clusters: bad })).rejects.toThrow(/bad\.txt:1: "not a cluster"/);
  });

  describe('a baseline applied to every cluster: exit 1 on new findings only', () => {
    const ORDERS = `  - check: wi-binding
    subject: shop/orders
    cluster: ${STAGING}
    reason: orders moves to direct binding (PLAT-7)
`;
    const STALE = `  - check: wi-binding
    subject: shop/gone
    reason: fixed long ago
`;
    const write = (name: string, text: string): string => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    interface BaselineJson extends FleetJson {
      verdicts: { cluster: string; subject: string; status: string; headline: string; suppressed?: true }[];
      summary: { cluster: string; reachable: boolean; subjects: number; suppressed?: number }[];
      clusters: {
        cluster: string;
        reachable: boolean;
        report: {
          verdicts: { subject: string; status: string }[];
          results: { check: string; subject: string; suppressed?: { reason: string } }[];
        };
      }[];
      baseline?: { file: string; suppressed: number; expired: string[]; unused: string[] };
    }

    it('--no-baseline: the staging failure fails the run', async () => {
      const { code, json } = await fleetRun({ clusters: 'projects/acme-shop', baseline: false });
      expect(code).toBe(1);
      expect(json).not.toHaveProperty('baseline');
    });

    it('an entry for the failure: exit 0, the finding still listed and marked; an entry matching nothing is named once', async () => {
      const file = write('accept.yaml', `suppress:\n${ORDERS}${STALE}`);
      const { code, io, json } = await fleetRun({ clusters: 'projects/acme-shop', baseline: file });
      const fleet = json as BaselineJson;
      expect(code).toBe(0);
      expect(fleet.verdicts.find((v) => v.subject === 'shop/orders')).toMatchObject({
        cluster: STAGING,
        status: 'fail',
        suppressed: true,
      });
      expect(fleet.verdicts.filter((v) => v.suppressed === true)).toHaveLength(1);
      expect(fleet.summary.find((c) => c.cluster === STAGING)?.suppressed).toBe(1);
      expect(fleet.summary.find((c) => c.cluster === PROD)).not.toHaveProperty('suppressed');
      const staging = fleet.clusters.find((c) => c.cluster === STAGING);
      expect(
        staging?.report.results.find((r) => r.subject === 'shop/orders' && r.check === 'wi-binding')?.suppressed,
      ).toMatchObject({ reason: 'orders moves to direct binding (PLAT-7)' });
      expect(fleet.baseline).toEqual({ file, suppressed: 1, expired: [], unused: [`${file}:6`] });
      const stale = fleet.notes.filter((n) => n.includes('shop/gone'));
      expect(stale).toEqual([`${file}:6: the suppression of wi-binding for shop/gone matched no finding: remove it`]);
      expect(io.err()).not.toMatch(/expired/);
    });

    it('an entry naming another cluster suppresses nothing here', async () => {
      const file = write('prod-only.yaml', `suppress:\n${ORDERS.replace(STAGING, PROD)}`);
      const { code, json } = await fleetRun({ clusters: 'projects/acme-shop', baseline: file });
      expect(code).toBe(1);
      expect((json as BaselineJson).baseline?.unused).toEqual([`${file}:2`]);
      // The resource name of the cluster matches too, with wildcards.
      const byName = write(
        'by-name.yaml',
        `suppress:\n${ORDERS.replace(STAGING, 'projects/acme-shop/locations/*/clusters/staging')}`,
      );
      expect((await fleetRun({ clusters: 'projects/acme-shop', baseline: byName })).code).toBe(0);
    });

    it('an expired entry suppresses nothing and fails the run, naming its day once', async () => {
      const file = write('expired.yaml', `suppress:\n${ORDERS}    expires: 2020-01-31\n`);
      const { code, io, json } = await fleetRun({ clusters: 'projects/acme-shop', baseline: file, format: 'text' });
      expect(json).toBeUndefined();
      expect(code).toBe(1);
      expect(io.err().match(/expired on 2020-01-31/g)).toHaveLength(1);
      expect(io.err()).toContain(
        `${file}:2: the suppression of wi-binding for shop/orders in ${STAGING} expired on 2020-01-31`,
      );
      expect(io.out().match(/expired on 2020-01-31/g)).toHaveLength(1);
      expect(io.out()).not.toMatch(/suppressed by the baseline/);
    });

    it('text: the fleet line counts what the baseline suppressed, and the row says so', async () => {
      const file = write('accept-text.yaml', `suppress:\n${ORDERS}`);
      const { code, io } = await fleetRun({ clusters: 'projects/acme-shop', baseline: file, format: 'text' });
      expect(code).toBe(0);
      expect(io.out()).toMatch(/Fleet: 2 clusters .* 1 failing, .*\(1 suppressed by the baseline\)/);
      expect(io.out()).toMatch(/✗ gke_acme-shop_us-central1_staging +shop\/orders: .*\(suppressed by the baseline\)/);
    });

    it('a file that cannot be used is a usage error before any call', async () => {
      const file = write(
        'bad.yaml',
        'suppress:\n  - check: wi-binding\n    subject: shop/orders\n    cluster: ""\n    reason: x\n',
      );
      await expect(fleetRun({ clusters: 'projects/acme-shop', baseline: file })).rejects.toThrow(
        /bad\.yaml:2: suppress\[0\]: "cluster" must be a non-empty string/,
      );
    });

    it('audit --clusters: a finding found in two clusters is suppressed only where every one of them is', async () => {
      const audit = async (baseline: string) => {
        const io = memoryIo(env);
        const code = await runAuditCommand(
          {
            clusters: 'projects/acme-shop',
            format: 'json',
            failOn: 'warn',
            quiet: true,
            only: ['unused-gsa'],
            baseline,
          },
          io,
        );
        return { code, json: JSON.parse(io.out()) as BaselineJson };
      };
      const entry = `suppress:\n  - check: unused-gsa\n    subject: ${CART}\n    reason: kept for the rollback\n`;
      const everywhere = await audit(write('audit-all.yaml', entry));
      const row = everywhere.json.verdicts.find((v) => v.subject === CART);
      expect(row).toMatchObject({ cluster: `${PROD}, ${STAGING}`, status: 'warn', suppressed: true });
      const onlyProd = await audit(write('audit-prod.yaml', `${entry}    cluster: ${PROD}\n`));
      const merged = onlyProd.json.verdicts.find((v) => v.subject === CART);
      expect(merged).toMatchObject({ cluster: `${PROD}, ${STAGING}`, status: 'warn' });
      expect(merged).not.toHaveProperty('suppressed');
      expect(onlyProd.code).toBe(1);
      expect(onlyProd.json.summary.find((c) => c.cluster === PROD)?.suppressed).toBe(1);
    });
  });

  it('Cloud Asset assetTypes: exact names and RE2 patterns (whole-name match); the fleet query stays one request', async () => {
    const search = async (query: string, types: string[]) => {
      const params = new URLSearchParams({ query, pageSize: '500' });
      for (const t of types) params.append('assetTypes', t);
      const base = (env.WI_DOCTOR_CLOUDASSET_ENDPOINT ?? '').replace(/\/$/, '');
      const r = await fetch(`${base}/v1/organizations/512345678901:searchAllIamPolicies?${params.toString()}`, {
        headers: { authorization: `Bearer ${env.CLOUDSDK_AUTH_ACCESS_TOKEN ?? ''}` },
      });
      expect(r.status).toBe(200);
      const json = (await r.json()) as { results?: { resource: string; assetType: string }[] };
      return (json.results ?? []).map((x) => `${x.assetType} ${x.resource}`).sort();
    };
    const members = searchQuery({ memberTerms: [...WI_MEMBER_TERMS], permissions: [] });
    const minting = searchQuery({ memberTerms: [], permissions: [...TOKEN_PERMISSIONS] });
    const all = await search(searchQuery(FLEET_COVERAGE), []);
    const types = (list: string[]) => [...new Set(list.map((l) => l.split(' ')[0]))].sort();
    // Direct binding: a KSA's grant on a bucket is found only on every asset type.
    expect(types(await search(members, []))).toContain('storage.googleapis.com/Bucket');
    expect(await search(members, ['iam.googleapis.com/ServiceAccount'])).toEqual(
      (await search(members, [])).filter((l) => l.startsWith('iam.googleapis.com/ServiceAccount ')),
    );
    // Token-minting grants that matter are on a service account and its ancestors: restricting the permission
    // terms to those types finds the same here, so one request over every type stays the cheaper search.
    const hierarchy = [
      'iam.googleapis.com/ServiceAccount',
      'cloudresourcemanager.googleapis.com/Project',
      'cloudresourcemanager.googleapis.com/Folder',
      'cloudresourcemanager.googleapis.com/Organization',
    ];
    expect(await search(minting, hierarchy)).toEqual(await search(minting, []));
    // The documented pattern forms: a prefix (`compute.googleapis.com.*`) and a suffix (`.*Instance`), matched whole.
    expect(types(await search(minting, ['cloudresourcemanager.googleapis.com.*']))).toEqual([
      'cloudresourcemanager.googleapis.com/Organization',
      'cloudresourcemanager.googleapis.com/Project',
    ]);
    expect(types(await search(searchQuery(FLEET_COVERAGE), ['.*Bucket']))).toEqual(['storage.googleapis.com/Bucket']);
    // Matched whole: `iam` alone matches no type name, so only the Project alternative counts.
    expect(types(await search(minting, ['.*Project|iam']))).toEqual(['cloudresourcemanager.googleapis.com/Project']);
    expect(all.length).toBeGreaterThan(0);
  });

  it('--output gs://BUCKET/PREFIX/: the fleet report uploaded to Cloud Storage and readable back; a refusal is one line', async () => {
    const io = memoryIo(env);
    const output = 'gs://acme-data-exports/wi-doctor/';
    const code = await runCheckCommand({ ...base, clusters: 'projects/acme-shop', baseline: false, output }, io);
    expect(code).toBe(1);
    expect(io.out()).toBe('');
    const uri = /report written to (gs:\/\/\S+)/.exec(io.err())?.[1] ?? '';
    expect(uri).toMatch(/^gs:\/\/acme-data-exports\/wi-doctor\/wi-doctor-\d{8}T\d{6}Z\.json$/);
    const object = uri.slice('gs://acme-data-exports/'.length);
    const storage = (env.WI_DOCTOR_STORAGE_ENDPOINT ?? '').replace(/\/$/, '');
    const headers = { authorization: `Bearer ${env.CLOUDSDK_AUTH_ACCESS_TOKEN ?? ''}` };
    const url = `${storage}/storage/v1/b/acme-data-exports/o/${encodeURIComponent(object)}`;
    // Reading it back needs storage.objects.get, which the owner role does not hold: grant it on the bucket.
    expect((await fetch(`${url}?alt=media`, { headers })).status).toBe(403);
    const iam = `${storage}/storage/v1/b/acme-data-exports/iam`;
    const before = (await (await fetch(iam, { headers })).json()) as { bindings: object[] };
    const grant = {
      ...before,
      bindings: [...before.bindings, { role: 'roles/storage.objectViewer', members: ['user:admin@example.com'] }],
    };
    const put = (policy: object) =>
      fetch(iam, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(policy),
      });
    expect((await put(grant)).status).toBe(200);
    const media = await fetch(`${url}?alt=media`, { headers });
    const meta = (await (await fetch(url, { headers })).json()) as { name: string; size: string };
    const restored = (await (await fetch(iam, { headers })).json()) as { etag: string };
    expect((await put({ ...before, etag: restored.etag })).status).toBe(200);
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('application/json');
    const json = (await media.json()) as FleetJson;
    expect(json.format).toBe('wi-doctor-fleet/1');
    expect(json.summary.map((c) => c.cluster)).toEqual([PROD, STAGING]);
    expect(meta.name).toBe(object);
    // A caller without storage.objects.create on the bucket: the run's report is not lost silently.
    await expect(
      runCheckCommand(
        {
          ...base,
          clusters: 'projects/acme-shop',
          baseline: false,
          output: 'gs://acme-data-exports/x.json',
          scope: 'none',
        },
        memoryIo({ ...env, CLOUDSDK_AUTH_ACCESS_TOKEN: 'viewer-token' }),
      ),
    ).rejects.toThrow(
      /^--output gs:\/\/acme-data-exports\/x\.json: the upload failed \(403: .*storage\.objects\.create/,
    );
    // Not a bucket name: a usage error before any call.
    await expect(
      runCheckCommand({ ...base, clusters: 'projects/acme-shop', output: 'gs://B/x' }, memoryIo(env)),
    ).rejects.toThrow(/--output gs:\/\/B\/x: expected gs:\/\/BUCKET\/OBJECT/);
  });

  it('--output gs:// for one cluster: check (SARIF) and audit (JSON) upload the report whole', async () => {
    const storage = (env.WI_DOCTOR_STORAGE_ENDPOINT ?? '').replace(/\/$/, '');
    const headers = { authorization: `Bearer ${env.CLOUDSDK_AUTH_ACCESS_TOKEN ?? ''}` };
    const iam = `${storage}/storage/v1/b/acme-data-exports/iam`;
    const put = (policy: object) =>
      fetch(iam, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(policy),
      });
    const check = memoryIo(env);
    const checkCode = await runCheckCommand(
      {
        format: 'sarif',
        failOn: 'fail',
        ksa: ['shop/orders'],
        context: STAGING,
        quiet: true,
        output: 'gs://acme-data-exports/one/check.sarif',
      },
      check,
    );
    expect(checkCode).toBe(1);
    expect(check.err()).toContain('report written to gs://acme-data-exports/one/check.sarif');
    const audit = memoryIo(env);
    await runAuditCommand(
      {
        format: 'json',
        failOn: 'fail',
        context: PROD,
        quiet: true,
        output: 'gs://acme-data-exports/one/',
        only: ['unused-gsa'],
      },
      audit,
    );
    const auditObject = /report written to gs:\/\/acme-data-exports\/(\S+)/.exec(audit.err())?.[1] ?? '';
    expect(auditObject).toMatch(/^one\/wi-doctor-\d{8}T\d{6}Z\.json$/);
    const before = (await (await fetch(iam, { headers })).json()) as { bindings: object[] };
    await put({
      ...before,
      bindings: [...before.bindings, { role: 'roles/storage.objectViewer', members: ['user:admin@example.com'] }],
    });
    const read = async (object: string) =>
      (
        await fetch(`${storage}/storage/v1/b/acme-data-exports/o/${encodeURIComponent(object)}?alt=media`, { headers })
      ).text();
    const sarif = await read('one/check.sarif');
    const auditJson = await read(auditObject);
    const restored = (await (await fetch(iam, { headers })).json()) as { etag: string };
    await put({ ...before, etag: restored.etag });
    expect((JSON.parse(sarif) as { version: string }).version).toBe('2.1.0');
    expect(sarif).toContain('wi-binding');
    expect((JSON.parse(auditJson) as { format: string }).format).toBe('wi-doctor-report/1');
  });

  it('permissions names the role a bucket output needs, as the shipped catalog defines it', () => {
    const io = memoryIo(env);
    runPermissionsCommand({ format: 'text', scope: true }, io);
    expect(io.out()).toContain('With --output gs://BUCKET/…, writing the report needs storage.objects.create');
    const creator = [...(loadCatalog().roles.get('roles/storage.objectCreator')?.permissions ?? [])];
    expect(creator).toContain('storage.objects.create');
    // …and not delete: replacing an object needs more, which is why a prefix (a new object per run) is advised.
    expect(creator).not.toContain('storage.objects.delete');
  });

  it('who-can --gsa: every principal that can mint its tokens and every KSA that gets it', async () => {
    const io = memoryIo(env);
    expect(await runWhoCanCommand({ gsa: CART, clusters: 'ALL_CONTEXTS', format: 'json', quiet: true }, io)).toBe(0);
    const answer = JSON.parse(io.out()) as {
      principals: { member: string; role: string; resource: string }[];
      ksas: { cluster: string; ksa: string }[];
    };
    const members = answer.principals.map((p) => `${p.member} ${p.role}`);
    expect(members).toContain('serviceAccount:acme-shop.svc.id.goog[shop/cart] roles/iam.workloadIdentityUser');
    expect(members).toContain('user:deployer@example.com roles/iam.serviceAccountTokenCreator');
    // A project-level grant of a token-minting role counts too (the owner's on the project).
    expect(answer.principals.some((p) => p.resource === 'projects/acme-shop')).toBe(true);
    expect(answer.ksas.map((k) => `${k.cluster} ${k.ksa}`).sort()).toEqual([
      `${PROD} shop/cart`,
      `${STAGING} shop/cart`,
    ]);
  });

  it('who-can --ksa: what a direct-binding KSA reaches, found by the organization-wide search', async () => {
    const io = memoryIo(env);
    expect(await runWhoCanCommand({ ksa: 'shop/api', context: PROD, format: 'text', quiet: true }, io)).toBe(0);
    expect(io.out()).toMatch(
      /roles\/storage\.objectViewer on \/\/storage\.googleapis\.com\/projects\/_\/buckets\/acme-data-exports \[Cloud Asset Inventory\]/,
    );
    expect(io.out()).toContain('Through a GSA: none');
  });

  it('who-can needs exactly one of --gsa or --ksa', async () => {
    await expect(runWhoCanCommand({ format: 'text' }, memoryIo(env))).rejects.toThrow(/exactly one of/);
    await expect(runWhoCanCommand({ gsa: 'cart', format: 'text' }, memoryIo(env))).rejects.toThrow(
      /not a service-account email/,
    );
  });
});
