// deploy/wi-doctor.yaml against the sandbox's Kubernetes API: kubectl applies it (server-side dry run: the
// API server validates and admits every object without storing it), its ClusterRole lets the collector list
// every kind it reads, its KSA names a GSA, and the CronJob's arguments are a wi-doctor command line that runs.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { permissionsFor } from '../../src/cli/actions/catalog.js';
import { main } from '../../src/cli/main.js';
import { kindsFor } from '../../src/collect/live/collect.js';
import { requiredFacts } from '../../src/collect/live/live.js';
import { selectDiagnoseChecks } from '../../src/engine/diagnose.js';
import { isServiceAccountEmail } from '../../src/model/identifiers.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';
import { HAS_KUBECTL } from '../sandbox/helpers.js';
import { memoryIo } from '../helpers/memory-io.js';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const MANIFEST = join(repo, 'deploy', 'wi-doctor.yaml');

interface Container {
  args: string[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
  spec?: {
    jobTemplate: {
      spec: {
        template: {
          spec: {
            serviceAccountName: string;
            containers: Container[];
            volumes?: { name: string; configMap?: { name: string } }[];
          };
        };
      };
    };
  };
}
const CART = 'cart-gsa@acme-shop.iam.gserviceaccount.com';

interface CronJobReport {
  format: string;
  verdicts: { subject: string; status: string; suppressed?: true }[];
  baseline?: { suppressed: number; expired: string[]; unused: string[] };
}

const docs = parseAllDocuments(readFileSync(MANIFEST, 'utf8')).map((d) => d.toJS() as Doc);
const byKind = (kind: string): Doc => {
  const d = docs.find((x) => x.kind === kind);
  if (d === undefined) throw new Error(`deploy/wi-doctor.yaml has no ${kind}`);
  return d;
};

describe('deploy/wi-doctor.yaml', () => {
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: join(repo, 'scenarios', 'fleet.yaml') });
    env = {
      ...process.env,
      ...sandbox.env,
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
    };
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  // kubectl's default validation (no --validate=false): it finds the fieldValidation parameter in the sandbox's
  // OpenAPI v3 for every kind of the manifest and lets the API server decode strictly; the server-side dry run is
  // the API server's own validation and admission.
  it.skipIf(!HAS_KUBECTL)('kubectl apply --dry-run=server admits every object', async () => {
    // As on any cluster, a server-side dry run of a namespaced object needs its namespace to exist.
    await run('kubectl', ['create', 'namespace', 'wi-doctor'], { env });
    const { stdout } = await run('kubectl', ['apply', '--dry-run=server', '-f', MANIFEST], { env });
    for (const line of [
      'serviceaccount/wi-doctor created (server dry run)',
      'configmap/wi-doctor-baseline created (server dry run)',
      'clusterrole.rbac.authorization.k8s.io/wi-doctor-reader created (server dry run)',
      'clusterrolebinding.rbac.authorization.k8s.io/wi-doctor-reader created (server dry run)',
      'cronjob.batch/wi-doctor created (server dry run)',
    ])
      expect(stdout).toContain(line);
    // The dry run validates: each of these breakages of the manifest is refused with the API server's message.
    const text = readFileSync(MANIFEST, 'utf8');
    const broken: [string, string, RegExp][] = [
      ['no schedule', text.replace(/^ {2}schedule: .*$/m, ''), /spec\.schedule: Required value/],
      [
        'a misspelt CronJob field',
        text.replace(/^ {2}concurrencyPolicy:/m, '  concurrencyPolicyy:'),
        /strict decoding error: unknown field "spec\.concurrencyPolicyy"/,
      ],
      [
        'a misspelt rule field',
        text.replace('    verbs: [get, list]', '    verb: [get, list]'),
        /strict decoding error: unknown field "rules\[0\]\.verb"/,
      ],
      [
        'a rule without verbs',
        text.replace('    verbs: [get, list]', '    verbs: []'),
        /rules\[0\]\.verbs: Required value: verbs must contain at least one value/,
      ],
      [
        'a binding to a Role',
        text.replace(/^ {2}kind: ClusterRole$/m, '  kind: Role'),
        /roleRef\.kind: Unsupported value: "Role": supported values: "ClusterRole"/,
      ],
      [
        'a misspelt volume mount field',
        text.replace('readOnly: true', 'readOnlyy: true'),
        /strict decoding error: unknown field "spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.volumeMounts\[0\]\.readOnlyy"/,
      ],
      [
        'a ServiceAccount subject without namespace',
        text.replace(/^ {4}namespace: wi-doctor\n/m, ''),
        /subjects\[0\]\.namespace: Required value/,
      ],
    ];
    const file = join(tmpdir(), `wi-doctor-deploy-${process.pid}.yaml`);
    try {
      for (const [what, yaml, error] of broken) {
        expect(yaml, what).not.toBe(text);
        writeFileSync(file, yaml);
        await expect(run('kubectl', ['apply', '--dry-run=server', '-f', file], { env }), what).rejects.toThrow(error);
      }
    } finally {
      rmSync(file, { force: true });
    }
    // Nothing was stored.
    await expect(run('kubectl', ['get', 'cronjob', 'wi-doctor', '-n', 'wi-doctor'], { env })).rejects.toThrow(
      /NotFound|not found/,
    );
  });

  it('its ClusterRole lets the collector get and list every kind it reads, and nothing more than reads', () => {
    const rules = byKind('ClusterRole').rules ?? [];
    const allowed = new Set(rules.flatMap((r) => (r.verbs.includes('list') ? r.resources : [])));
    const kinds = kindsFor({
      requires: requiredFacts(selectDiagnoseChecks(CHECKS, undefined, undefined)),
      targets: { all: true },
      options: {},
    });
    expect(kinds.length).toBeGreaterThan(0);
    for (const kind of kinds) expect(allowed, kind).toContain(kind);
    // …and every kind `wi-doctor permissions --scope` names for the GSA's fleet run (what the header points at).
    for (const kind of permissionsFor({ scope: true }).kubernetes) expect(allowed, kind).toContain(kind);
    expect(readFileSync(MANIFEST, 'utf8')).toContain('`wi-doctor permissions --scope`');
    for (const r of rules) expect(r.verbs.every((v) => v === 'get' || v === 'list' || v === 'watch')).toBe(true);
    const binding = byKind('ClusterRoleBinding');
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'wi-doctor-reader' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'wi-doctor', namespace: 'wi-doctor' }]);
  });

  it('runs as its own KSA, annotated for a GSA (Workload Identity)', () => {
    const ksa = byKind('ServiceAccount');
    expect(isServiceAccountEmail(ksa.metadata.annotations?.['iam.gke.io/gcp-service-account'] ?? '')).toBe(true);
    expect(byKind('CronJob').spec?.jobTemplate.spec.template.spec.serviceAccountName).toBe(ksa.metadata.name);
  });

  /** The CronJob's container: its args, and the files its ConfigMap mounts show it (path → content). */
  function cronJobContainer(): { args: string[]; files: Map<string, string>; readOnly: boolean[] } {
    const pod = byKind('CronJob').spec?.jobTemplate.spec.template.spec;
    const container = pod?.containers[0];
    if (pod === undefined || container === undefined) throw new Error('the CronJob has no container');
    const files = new Map<string, string>();
    const readOnly: boolean[] = [];
    for (const mount of container.volumeMounts ?? []) {
      const source = pod.volumes?.find((v) => v.name === mount.name)?.configMap?.name;
      const map = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === source);
      if (map === undefined) throw new Error(`the mount ${mount.name} names no ConfigMap of the manifest`);
      readOnly.push(mount.readOnly === true);
      for (const [key, text] of Object.entries(map.data ?? {})) files.set(`${mount.mountPath}/${key}`, text);
    }
    return { args: container.args, files, readOnly };
  }

  /** Runs the CronJob's exact args, each mounted path read from a temp copy of the ConfigMap's content. */
  async function runCronJob(content: (path: string, text: string) => string) {
    const { args, files } = cronJobContainer();
    const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-cronjob-'));
    try {
      const local = args.map((a) => {
        const text = files.get(a);
        if (text === undefined) return a;
        const copy = join(dir, a.replaceAll('/', '_'));
        writeFileSync(copy, content(a, text));
        return copy;
      });
      const io = memoryIo(env);
      const code = await main(local, io);
      return { code, err: io.err(), json: JSON.parse(io.out()) as CronJobReport };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('the CronJob reads the baseline from its ConfigMap, mounted read-only', () => {
    const { args, files, readOnly } = cronJobContainer();
    const i = args.indexOf('--baseline');
    expect(i).toBeGreaterThan(-1);
    expect(files.has(args[i + 1] ?? '')).toBe(true);
    expect(readOnly.length).toBeGreaterThan(0);
    expect(readOnly.every(Boolean)).toBe(true);
  });

  it("the CronJob's exact args, with the mounted baseline: exit 1 on new findings only", async () => {
    // As shipped (no entry): staging's shop/orders has no binding, the exit code a CronJob turns into a failed Job.
    const shipped = await runCronJob((_path, text) => text);
    expect(shipped.code).toBe(1);
    expect(shipped.json.format).toBe('wi-doctor-fleet/1');
    expect(shipped.json.baseline).toMatchObject({ suppressed: 0, expired: [], unused: [] });
    // The team accepts that finding in the ConfigMap: the job succeeds, and the report still lists it, marked.
    const accept = (_path: string, text: string): string => {
      const doc = parseDocument(text);
      doc.addIn(['suppress'], {
        check: 'wi-binding',
        subject: 'shop/orders',
        cluster: 'gke_acme-shop_us-central1_staging',
        reason: 'orders moves to direct binding',
      });
      return doc.toString();
    };
    const accepted = await runCronJob(accept);
    expect(accepted.code).toBe(0);
    expect(accepted.json.verdicts.find((v) => v.subject === 'shop/orders')).toMatchObject({
      status: 'fail',
      suppressed: true,
    });
    // A new breakage (shop/cart's GSA loses its Workload Identity binding) fails the job again.
    const iam = `${(env.WI_DOCTOR_IAM_ENDPOINT ?? '').replace(/\/$/, '')}/v1/projects/-/serviceAccounts/${CART}`;
    const headers = {
      authorization: `Bearer ${env.CLOUDSDK_AUTH_ACCESS_TOKEN ?? ''}`,
      'content-type': 'application/json',
    };
    const call = async (verb: string, body: object) => {
      const r = await fetch(`${iam}:${verb}`, { method: 'POST', headers, body: JSON.stringify(body) });
      expect(r.status, verb).toBe(200);
      return (await r.json()) as { etag: string; bindings: { role: string; members: string[] }[] };
    };
    const before = await call('getIamPolicy', {});
    await call('setIamPolicy', {
      policy: { ...before, bindings: before.bindings.filter((b) => b.role !== 'roles/iam.workloadIdentityUser') },
    });
    try {
      const broken = await runCronJob(accept);
      expect(broken.code).toBe(1);
      const failing = broken.json.verdicts.filter((v) => v.status === 'fail' && v.suppressed !== true);
      expect(failing.map((v) => v.subject)).toContain('shop/cart');
    } finally {
      const now = await call('getIamPolicy', {});
      await call('setIamPolicy', { policy: { ...before, etag: now.etag } });
    }
  });
});
