// probe-pod: a Pod placed like the workload, the probe in a ConfigMap; and probe JSON joining a bundle.

import { cp, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import { parseAllDocuments } from 'yaml';
import { describe, expect, test } from 'vitest';
import { readBundle } from '../../src/collect/bundle/read.js';
import type { Workload } from '../../src/model/k8s/types.js';
import { probePodManifest, probePodObjects } from '../../src/probe/pod-manifest.js';
import { runProbePodCommand } from '../../src/cli/actions/probe.js';
import { CART_GSA, probe, testFlags } from './helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
/** The GSA annotated on shop/cart in the example bundles (examples/ keep their own names). */
const EXAMPLE_CART_GSA = 'cart@acme-shop.iam.gserviceaccount.com';

const deployment: Workload = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'cart', namespace: 'shop' },
  spec: {
    template: {
      metadata: { labels: { app: 'cart' } },
      spec: {
        serviceAccountName: 'cart',
        nodeSelector: { 'cloud.google.com/gke-nodepool': 'default-pool' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'shop', effect: 'NoSchedule' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
        containers: [
          {
            name: 'app',
            image: 'acme/cart',
            env: [
              { name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/run/gcp/config.json' },
              { name: 'NO_PROXY', value: '169.254.169.254' },
              { name: 'SECRET_THING', value: 'x' },
            ],
            volumeMounts: [
              { name: 'gcp', mountPath: '/var/run/gcp' },
              { name: 'data', mountPath: '/data' },
            ],
          },
        ],
        volumes: [
          {
            name: 'gcp',
            projected: {
              sources: [
                { serviceAccountToken: { audience: 'acme-shop.svc.id.goog', path: 'token' } },
                { configMap: { name: 'gcp-config' } },
              ],
            },
          },
          { name: 'data' },
        ],
      },
    },
  },
};

/** The parts of the printed manifest the tests read back. */
interface PodOut {
  kind: string;
  metadata: { namespace: string; labels: Record<string, string> };
  spec: {
    serviceAccountName: string;
    nodeSelector?: Record<string, string>;
    tolerations?: unknown[];
    affinity?: unknown;
    restartPolicy: string;
    containers: { command: string[]; env: { name: string }[]; volumeMounts: { mountPath: string }[] }[];
    volumes: { name: string }[];
  };
}
interface Doc {
  kind?: string;
  items?: Doc[];
  data?: Record<string, string>;
}

describe('probePodManifest', () => {
  test('copies placement, KSA, labels and credential volumes; runs the probe from the ConfigMap', () => {
    const { pod, configMap, notes } = probePodObjects(deployment, {
      image: 'node:20-alpine',
      probeSource: '// probe',
      expectGsa: CART_GSA,
    });
    const p = pod as unknown as PodOut;
    expect(p.metadata.namespace).toBe('shop');
    expect(p.metadata.labels.app).toBe('cart');
    expect(p.spec.serviceAccountName).toBe('cart');
    expect(p.spec.nodeSelector).toEqual({ 'cloud.google.com/gke-nodepool': 'default-pool' });
    expect(p.spec.tolerations).toHaveLength(1);
    expect(p.spec.affinity).toBeDefined();
    expect(p.spec.restartPolicy).toBe('Never');
    const c = p.spec.containers[0];
    if (!c) throw new Error('no container');
    expect(c.command.slice(0, 4)).toEqual(['node', '/probe/wi-doctor-probe.cjs', '--subject', 'shop/deployment/cart']);
    expect(c.command).toContain(CART_GSA);
    expect(c.env.map((e) => e.name)).toEqual([
      'POD_NAMESPACE',
      'POD_NAME',
      'NODE_NAME',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'NO_PROXY',
    ]);
    expect(c.volumeMounts.map((m) => m.mountPath)).toEqual(['/probe', '/var/run/gcp']);
    expect(p.spec.volumes.map((v) => v.name)).toEqual(['wi-doctor-probe', 'gcp']);
    expect((configMap as Doc | undefined)?.data?.['wi-doctor-probe.cjs']).toBe('// probe');
    expect(notes.join('\n')).toMatch(/ephemeral debug containers/i);
  });

  test('YAML: notes as comments, ConfigMap then Pod; JSON: a List', () => {
    const yaml = probePodManifest(deployment, { image: 'node:20', probeSource: 'x' });
    expect(yaml.startsWith('# wi-doctor probe pod for shop/deployment/cart')).toBe(true);
    const docs = parseAllDocuments(yaml)
      .map((d) => d.toJS() as Doc | null)
      .filter((d): d is Doc => d !== null);
    expect(docs.map((d) => d.kind)).toEqual(['ConfigMap', 'Pod']);
    const list = JSON.parse(probePodManifest(deployment, { image: 'node:20', format: 'json' })) as Doc;
    expect(list.kind).toBe('List');
    expect((list.items ?? []).map((i) => i.kind)).toEqual(['Pod']);
  });

  test('probe-pod --from a bundle takes the KSA annotation as --expect-gsa', async () => {
    const out: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream,
      stderr: process.stderr,
      env: {},
    };
    const dir = await mkdtemp(join(tmpdir(), 'wi-doctor-pp-'));
    try {
      const probeFile = join(dir, 'p.cjs');
      await writeFile(probeFile, '// bundled probe');
      const code = await runProbePodCommand(
        { workload: 'shop/deployment/cart', from: `${EXAMPLES}healthy`, probeFile },
        io,
      );
      expect(code).toBe(0);
      const docs = parseAllDocuments(out.join('')).map((d) => d.toJS() as PodOut | null);
      const pod = docs.find((d) => d?.kind === 'Pod');
      if (!pod) throw new Error('no Pod printed');
      expect(pod.spec.serviceAccountName).toBe('cart');
      expect(pod.spec.containers[0]?.command).toContain(EXAMPLE_CART_GSA);
      await expect(
        runProbePodCommand({ workload: 'shop/deployment/nope', from: `${EXAMPLES}healthy`, probeFile }, io),
      ).rejects.toThrow(/not in the bundle/);
      await expect(
        runProbePodCommand({ workload: 'shop/service/cart', from: `${EXAMPLES}healthy`, probeFile }, io),
      ).rejects.toThrow(/kind/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test("the probe's JSON joins a bundle's probe/ folder", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wi-doctor-join-'));
  try {
    await cp(`${EXAMPLES}healthy`, dir, { recursive: true });
    const report = await probe(
      testFlags(undefined, {
        metadataHost: '127.0.0.1:1',
        attempts: 1,
        timeout: 0.3,
        pod: 'shop/cart-7d9f8b6c5d-abcde',
      }),
    );
    // ajv is CommonJS: under NodeNext its default export arrives as the module object.
    const Ajv2020 = Ajv2020Module.default;
    const schema = JSON.parse(
      readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'),
    ) as object;
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    expect(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors)).toBe(true);
    await mkdir(join(dir, 'probe'));
    await writeFile(join(dir, 'probe', 'cart.json'), JSON.stringify(report));
    const { facts } = await readBundle(dir);
    expect(facts.probes).toHaveLength(1);
    const joined = facts.probes[0]?.report as { results: { subject: string; check: string }[] };
    expect(joined.results.map((r) => r.check)).toContain('metadata-server-reachable');
    expect(joined.results[0]?.subject).toBe('shop/pod/cart-7d9f8b6c5d-abcde');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
