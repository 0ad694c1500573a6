// metadata.managedFields as a real API server keeps them: scenario KSAs carry a creation entry (and a
// kubectl-annotate entry when the scenario says the annotation changed later), kubectl annotate and
// patches move ownership of the annotation to their manager with the time of the write; pods carry
// status.startTime.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ManagedFieldsEntry, Pod, ServiceAccountObject } from '../../src/model/k8s/types.js';
import { WI_ANNOTATION } from '../../src/model/k8s/types.js';
import { recordWrite } from '../../src/sandbox/kube/managed-fields.js';
import { loadScenarioFile, startSandbox, type RunningSandbox } from '../../src/sandbox/index.js';
import { SCENARIO_KSA_CREATED, SCENARIO_POD_START } from '../../src/sandbox/world.js';
import { CART_GSA, HAS_KUBECTL, scenario } from './helpers.js';

const run = promisify(execFile);

function ownsAnnotation(e: ManagedFieldsEntry): boolean {
  const meta = e.fieldsV1?.['f:metadata'] as Record<string, Record<string, unknown> | undefined> | undefined;
  return meta?.['f:annotations']?.[`f:${WI_ANNOTATION}`] !== undefined;
}

function owners(sa: ServiceAccountObject): string[] {
  return (sa.metadata.managedFields ?? []).filter(ownsAnnotation).map((e) => e.manager ?? '?');
}

describe('recordWrite (unit)', () => {
  test('creation owns every set field; an update takes changed fields from other managers; no-op keeps times', () => {
    const created: ServiceAccountObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'cart', namespace: 'shop', labels: { team: 'a' }, annotations: { [WI_ANNOTATION]: 'x@p' } },
    };
    recordWrite(undefined, created, { manager: 'apply', operation: 'Update', time: '2025-01-01T00:00:00Z' });
    expect(created.metadata.managedFields).toEqual([
      {
        manager: 'apply',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2025-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': {
            'f:annotations': { '.': {}, [`f:${WI_ANNOTATION}`]: {} },
            'f:labels': { '.': {}, 'f:team': {} },
          },
        },
      },
    ]);
    const changed = structuredClone(created);
    changed.metadata.annotations = { [WI_ANNOTATION]: 'y@p' };
    recordWrite(created, changed, { manager: 'kubectl-annotate', operation: 'Update', time: '2025-02-01T00:00:00Z' });
    expect(owners(changed)).toEqual(['kubectl-annotate']);
    expect(changed.metadata.managedFields?.map((e) => [e.manager, e.time])).toEqual([
      ['apply', '2025-01-01T00:00:00Z'],
      ['kubectl-annotate', '2025-02-01T00:00:00Z'],
    ]);
    const same = structuredClone(changed);
    recordWrite(changed, same, { manager: 'other', operation: 'Update', time: '2025-03-01T00:00:00Z' });
    expect(same.metadata.managedFields).toEqual(changed.metadata.managedFields);
    // Removing the only field a manager owned drops its entry.
    const removed = structuredClone(changed);
    delete removed.metadata.annotations;
    recordWrite(changed, removed, { manager: 'apply', operation: 'Update', time: '2025-04-01T00:00:00Z' });
    expect(removed.metadata.managedFields?.map((e) => e.manager)).toEqual(['apply']);
    expect(owners(removed)).toEqual([]);
  });
});

describe('managedFields and startTime in a running sandbox', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    const s = await loadScenarioFile(scenario('healthy'));
    const shop = s.clusters?.[0]?.namespaces?.find((n) => n.name === 'shop');
    shop?.serviceAccounts?.push({
      name: 'late',
      annotations: { [WI_ANNOTATION]: CART_GSA, team: 'cart' },
      annotatedAt: '2025-01-16T09:30:00Z',
    });
    sb = await startSandbox({ scenario: s });
  });
  afterAll(async () => {
    await sb.stop();
  });
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${sb.endpoints.kubernetes}${path}`);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  test('a scenario KSA carries its creation entry, before the pods started', async () => {
    const sa = await get<ServiceAccountObject>('/api/v1/namespaces/shop/serviceaccounts/cart');
    expect(sa.metadata.creationTimestamp).toBe(SCENARIO_KSA_CREATED);
    const entries = sa.metadata.managedFields ?? [];
    expect(entries.map((e) => [e.manager, e.operation, e.time])).toEqual([
      ['kubectl-client-side-apply', 'Update', SCENARIO_KSA_CREATED],
    ]);
    expect(owners(sa)).toEqual(['kubectl-client-side-apply']);
    const pods = await get<{ items: Pod[] }>('/api/v1/namespaces/shop/pods');
    expect(pods.items.length).toBeGreaterThan(0);
    for (const p of pods.items) expect(p.status?.startTime).toBe(SCENARIO_POD_START);
    expect(Date.parse(SCENARIO_KSA_CREATED)).toBeLessThan(Date.parse(SCENARIO_POD_START));
  });

  test('annotatedAt: the annotation is owned by kubectl-annotate at that time, other fields by the creator', async () => {
    const sa = await get<ServiceAccountObject>('/api/v1/namespaces/shop/serviceaccounts/late');
    const byManager = new Map((sa.metadata.managedFields ?? []).map((e) => [e.manager, e]));
    expect(byManager.get('kubectl-annotate')?.time).toBe('2025-01-16T09:30:00Z');
    expect(owners(sa)).toEqual(['kubectl-annotate']);
    const apply = byManager.get('kubectl-client-side-apply');
    expect(apply?.time).toBe(SCENARIO_KSA_CREATED);
    expect(JSON.stringify(apply?.fieldsV1)).toContain('f:team');
  });

  test('a merge patch moves the annotation to the patching manager, with the time of the write', async () => {
    const before = Date.now();
    const res = await fetch(
      `${sb.endpoints.kubernetes}/api/v1/namespaces/shop/serviceaccounts/cart?fieldManager=my-tool`,
      {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({
          metadata: { annotations: { [WI_ANNOTATION]: 'reader@acme-data.iam.gserviceaccount.com' } },
        }),
      },
    );
    expect(res.status).toBe(200);
    const sa = (await res.json()) as ServiceAccountObject;
    expect(owners(sa)).toEqual(['my-tool']);
    const mine = sa.metadata.managedFields?.find((e) => e.manager === 'my-tool');
    expect(Date.parse(mine?.time ?? '')).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    // The creator keeps its entry (it still owns the annotations map) with its old time.
    expect(sa.metadata.managedFields?.find((e) => e.manager === 'kubectl-client-side-apply')?.time).toBe(
      SCENARIO_KSA_CREATED,
    );
  });

  test.skipIf(!HAS_KUBECTL)(
    'kubectl annotate records manager kubectl-annotate; a restarted pod starts now',
    async () => {
      const env = { ...process.env, KUBECONFIG: sb.kubeconfig };
      await run(
        'kubectl',
        ['annotate', 'serviceaccount', 'api', '-n', 'shop', `${WI_ANNOTATION}=${CART_GSA}`, '--overwrite'],
        { env, timeout: 20_000 },
      );
      const { stdout } = await run(
        'kubectl',
        ['get', 'serviceaccount', 'api', '-n', 'shop', '-o', 'json', '--show-managed-fields'],
        { env, timeout: 20_000 },
      );
      const sa = JSON.parse(stdout) as ServiceAccountObject;
      expect(owners(sa)).toEqual(['kubectl-annotate']);
      const t = Date.parse(sa.metadata.managedFields?.find((e) => e.manager === 'kubectl-annotate')?.time ?? '');
      expect(Math.abs(t - Date.now())).toBeLessThan(60_000);

      await run('kubectl', ['rollout', 'restart', 'deployment/api', '-n', 'shop'], { env, timeout: 20_000 });
      await run('kubectl', ['rollout', 'status', 'deployment/api', '-n', 'shop', '--timeout=20s'], {
        env,
        timeout: 30_000,
      });
      const pods = await get<{ items: Pod[] }>('/api/v1/namespaces/shop/pods?labelSelector=app%3Dapi');
      expect(pods.items.length).toBeGreaterThan(0);
      for (const p of pods.items) expect(Date.parse(p.status?.startTime ?? '')).toBeGreaterThanOrEqual(t - 1000);
    },
  );
});
