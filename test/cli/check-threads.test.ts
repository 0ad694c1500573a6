// `check --from DIR --threads N` splits the subjects over threads: each diagnoses a share of them and renders what
// only their results tell (blocks, folds, JSON results); the report must be the one a single thread writes, byte
// for byte. From the sources the shares run one after the other on this thread, through the same merge code; the
// built command runs them on worker threads (the last test).

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shareRange } from '../../src/engine/diagnose.js';
import { runCli } from '../helpers/memory-io.js';

const run = promisify(execFile);
/** The output of a run, whether it exits 0 or 1 (a report with failures). */
const ran = (args: string[]): Promise<{ stdout: string; stderr: string }> =>
  run(process.execPath, args).catch((error: unknown) => error as { stdout: string; stderr: string });
const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'dist', 'cli', 'bin.js');
const examples = readdirSync(join(repo, 'examples')).filter((d) =>
  existsSync(join(repo, 'examples', d, 'bundle.json')),
);

/** The report with the time of its making taken out. */
const normalized = (text: string): string => text.replace(/"generatedAt": "[^"]*"/g, '"generatedAt": "…"');

const VARIANTS: readonly (readonly string[])[] = [
  ['--format', 'text'],
  ['--format', 'text', '--brief'],
  ['--format', 'text', '--hide-pass'],
  ['--format', 'json'],
];

/**
 * A bundle made for splitting: 41 KSAs in 4 namespaces sorted so that every share boundary cuts something. Some
 * KSAs carry managedFields (their checks can all pass), the others do not (not proven, folded by shared reason);
 * GSAs used by many KSAs, by two and by one; managedFields that do not own the annotation (not proven for another
 * reason, folded apart or alone); some bindings written for the wrong namespace (failures).
 */
function splitBundle(dir: string): void {
  const write = (path: string, json: unknown): void => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), JSON.stringify(json));
  };
  const project = 'acme-shop';
  const pool = `${project}.svc.id.goog`;
  const gsa = (g: number): string => `app-gsa-${g}@${project}.iam.gserviceaccount.com`;
  const gsaOf = (i: number): number => (i < 20 ? 0 : i < 30 ? 1 : i < 32 ? 2 : i === 32 ? 3 : 4);
  const when = '2026-11-01T10:00:00Z';
  // managedFields that do not own the annotation: when it changed is not known, and the entries (shown as
  // evidence) make the reason differ by manager. Two KSAs for one manager (a fold of two), one for another (a
  // lone not-proven subject).
  const otherManager = (i: number): string | undefined =>
    i === 31 || i === 32 ? 'helm' : i === 34 ? 'argocd' : undefined;
  const nodes = [0, 1].map((n) => ({
    metadata: { name: `node-${n}`, labels: { 'iam.gke.io/gke-metadata-server-enabled': 'true' } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  }));
  const ksas = [];
  const pods = [];
  const members = new Map<number, string[]>();
  for (let i = 0; i < 41; i++) {
    const namespace = `team-${i % 4}`;
    const name = `app-${i}`;
    const managed = i % 3 === 0;
    const other = otherManager(i);
    ksas.push({
      metadata: {
        name,
        namespace,
        uid: `ksa-${i}`,
        annotations: { 'iam.gke.io/gcp-service-account': gsa(gsaOf(i)) },
        ...(managed
          ? {
              managedFields: [
                {
                  manager: 'kubectl',
                  operation: 'Apply',
                  time: when,
                  fieldsType: 'FieldsV1',
                  fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:iam.gke.io/gcp-service-account': {} } } },
                },
              ],
            }
          : other !== undefined
            ? { managedFields: [{ manager: other, operation: 'Update', time: when, fieldsV1: { 'f:metadata': {} } }] }
            : {}),
      },
    });
    pods.push({
      metadata: { name: `${name}-pod`, namespace, uid: `pod-${i}` },
      spec: { serviceAccountName: name, nodeName: `node-${i % 2}`, containers: [{ name: 'app', image: 'app:1' }] },
      status: { phase: 'Running', startTime: '2026-11-20T10:00:00Z' },
    });
    const list = members.get(gsaOf(i)) ?? [];
    list.push(`serviceAccount:${pool}[${i % 7 === 5 ? `${namespace}-prod` : namespace}/${name}]`);
    members.set(gsaOf(i), list);
  }
  const metadataPods = nodes.map((n, i) => ({
    metadata: {
      name: `gke-metadata-server-${i}`,
      namespace: 'kube-system',
      labels: { 'k8s-app': 'gke-metadata-server' },
    },
    spec: { nodeName: n.metadata.name, hostNetwork: true, containers: [{ name: 'gke-metadata-server' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'gke-metadata-server', ready: true, restartCount: 0 }],
    },
  }));
  const list = (kind: string, items: object[], apiVersion = 'v1') => ({
    apiVersion: 'v1',
    kind: 'List',
    items: items.map((item) => ({ apiVersion, kind, ...item })),
  });
  write(
    'k8s/namespaces.json',
    list(
      'Namespace',
      [0, 1, 2, 3].map((n) => ({ metadata: { name: `team-${n}` } })),
    ),
  );
  write('k8s/serviceaccounts.json', list('ServiceAccount', ksas));
  write('k8s/pods.json', list('Pod', [...pods, ...metadataPods]));
  write('k8s/nodes.json', list('Node', nodes));
  const daemonSet = { metadata: { name: 'gke-metadata-server', namespace: 'kube-system' } };
  write('k8s/daemonsets.json', list('DaemonSet', [daemonSet], 'apps/v1'));
  write('k8s/networkpolicies.json', list('NetworkPolicy', [], 'networking.k8s.io/v1'));
  write('gcp/cluster.json', {
    name: 'prod',
    location: 'europe-west1',
    workloadIdentityConfig: { workloadPool: pool },
    networkConfig: { datapathProvider: 'ADVANCED_DATAPATH' },
    nodePools: [{ name: 'default-pool', config: { workloadMetadataConfig: { mode: 'GKE_METADATA' } } }],
  });
  write(`gcp/projects/${project}.json`, { projectId: project, projectNumber: '123456789012' });
  write(`gcp/projects/${project}.iam-policy.json`, { bindings: [] });
  const accounts = [0, 1, 2, 3, 4].map((g) => ({
    name: `projects/${project}/serviceAccounts/${gsa(g)}`,
    email: gsa(g),
    uniqueId: String(100000000000000000000n + BigInt(g)),
  }));
  write(`gcp/projects/${project}.service-accounts.json`, accounts);
  write(`gcp/projects/${project}.services.json`, [
    { name: `projects/123456789012/services/iamcredentials.googleapis.com`, state: 'ENABLED' },
  ]);
  for (const account of accounts) {
    write(`gcp/service-accounts/${account.email}.json`, account);
    const bound = members.get(Number(/app-gsa-(\d+)@/.exec(account.email)?.[1])) ?? [];
    write(`gcp/service-accounts/${account.email}.iam-policy.json`, {
      bindings: [{ role: 'roles/iam.workloadIdentityUser', members: bound }],
    });
  }
  write('bundle.json', {
    format: 'wi-doctor-bundle/1',
    cluster: { project, location: 'europe-west1', name: 'prod' },
    collectedAt: '2026-11-28T17:00:00Z',
    k8sKinds: ['namespaces', 'serviceaccounts', 'pods', 'nodes', 'daemonsets', 'networkpolicies'],
  });
}

describe('shares of the subjects', () => {
  it('are contiguous, in order, cover every subject once and differ in size by at most one', () => {
    for (const n of [0, 1, 2, 7, 41, 20_000]) {
      for (const count of [1, 2, 3, 4, 7]) {
        const ranges = Array.from({ length: count }, (_, index) => shareRange(n, { index, count }));
        expect(ranges[0]?.[0]).toBe(0);
        expect(ranges.at(-1)?.[1]).toBe(n);
        for (let i = 1; i < count; i++) expect(ranges[i]?.[0]).toBe(ranges[i - 1]?.[1]);
        const sizes = ranges.map(([a, b]) => b - a);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('check --threads', { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wi-doctor-threads-'));
    splitBundle(join(dir, 'split'));
    if (process.env['KEEP_SPLIT_BUNDLE']) splitBundle(process.env['KEEP_SPLIT_BUNDLE']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the made bundle has what the shares must agree on: failures, passes, folds of many and a lone unknown', async () => {
    const r = await runCli(['check', '--from', join(dir, 'split'), '--all', '--threads', '1']);
    expect(r.stdout).toMatch(/^✗ /m);
    expect(r.stdout).toMatch(/^✓ /m);
    expect(r.stdout).toMatch(/subjects not proven for the same reason/);
    expect(r.stdout).toMatch(/^\? team-\d\/app-\d+ — /m);
  });

  for (const threads of ['2', '3', '4', '7']) {
    for (const variant of VARIANTS) {
      it(`the made bundle, ${variant.join(' ')}: --threads ${threads} writes what one thread writes`, async () => {
        const args = ['check', '--from', join(dir, 'split'), '--all', ...variant];
        const one = await runCli([...args, '--threads', '1']);
        const split = await runCli([...args, '--threads', threads]);
        expect(split.code).toBe(one.code);
        expect(split.stderr).toBe(one.stderr);
        expect(normalized(split.stdout)).toBe(normalized(one.stdout));
      });
    }
  }

  it('every example bundle: --threads 3 writes what one thread writes, in every variant', async () => {
    expect(examples.length).toBeGreaterThan(20);
    for (const example of examples) {
      for (const variant of VARIANTS) {
        const args = ['check', '--from', join(repo, 'examples', example), '--all', ...variant];
        const one = await runCli([...args, '--threads', '1']);
        const split = await runCli([...args, '--threads', '3']);
        expect({ example, variant, code: split.code, stderr: split.stderr }).toEqual({
          example,
          variant,
          code: one.code,
          stderr: one.stderr,
        });
        expect(normalized(split.stdout), `${example} ${variant.join(' ')}`).toBe(normalized(one.stdout));
      }
    }
  });

  it('says when a run cannot be split, and runs on one thread', async () => {
    const r = await runCli([
      'check',
      '--from',
      join(repo, 'examples', 'multi-team'),
      '--all',
      '--format',
      'sarif',
      '--threads',
      '2',
    ]);
    expect(r.stderr).toContain('--threads: only a bundle (--from) reported as text or JSON');
    expect(r.stdout).toContain('"version": "2.1.0"');
  });

  it('--threads takes a whole number from 1 to 64', async () => {
    for (const bad of ['0', '1.5', 'two', '65']) {
      const r = await runCli(['check', '--from', join(repo, 'examples', 'healthy'), '--all', '--threads', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--threads');
    }
  });

  it.skipIf(!existsSync(bin))(
    'the built command runs the shares on worker threads and writes the same report',
    async () => {
      for (const variant of VARIANTS) {
        const args = [bin, 'check', '--from', join(dir, 'split'), '--all', ...variant];
        const one = await ran([...args, '--threads', '1']);
        const split = await ran([...args, '--threads', '2', '--debug']);
        expect(split.stderr).toContain('subjects diagnosed on 2 threads');
        expect(normalized(split.stdout)).toBe(normalized(one.stdout));
      }
    },
  );
});
