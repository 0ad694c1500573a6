// Waiting for a rollout before verifying a change that replaces pods: which changes need it, when a rollout is
// done (as `kubectl rollout status` judges), old pods still terminating, and `fix --apply` verifying the new
// pods in its first round instead of judging the old ones.

import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../src/fix/apply/apply.js';
import { rolloutState, rolloutTargets, terminatingPods, waitForRollouts } from '../../src/fix/rollout.js';
import type { RolloutReader } from '../../src/fix/rollout.js';
import type { Pod, Workload } from '../../src/model/k8s/types.js';
import { cli, scenario, withWorld } from './helpers.js';

const record = (action: string, target: string, status: ChangeRecord['status'] = 'applied'): ChangeRecord => ({
  at: '2026-01-01T00:00:00Z',
  step: 1,
  action,
  target,
  status,
  detail: '',
});

function deployment(generation: number, status: Record<string, unknown>, replicas = 2): Workload {
  return {
    metadata: { name: 'cart', namespace: 'shop', generation } as Workload['metadata'],
    spec: { replicas, selector: { matchLabels: { app: 'cart' } } },
    status,
  };
}

const pod = (name: string, labels: Record<string, string>, deleting: boolean): Pod => ({
  metadata: { name, labels, ...(deleting ? { deletionTimestamp: new Date() } : {}) },
  spec: { containers: [] },
});

describe('rolloutTargets', () => {
  it('applied template changes to Deployments, DaemonSets and StatefulSets, once each', () => {
    expect(
      rolloutTargets([
        record('unset-host-network', 'namespaces/shop/deployments/cart'),
        record('restart-workload', 'namespaces/shop/deployments/cart'),
        record('set-service-account-name', 'namespaces/shop/statefulsets/db'),
        record('remove-credential-override', 'namespaces/kube/daemonsets/agent'),
        record('restart-workload', 'namespaces/shop/deployments/api', 'no-op'),
        record('restart-workload', 'namespaces/shop/pods/cart-1'),
        record('set-service-account-name', 'namespaces/shop/jobs/migrate'),
        record('annotate-service-account', 'namespaces/shop/serviceaccounts/cart'),
      ]),
    ).toEqual([
      { kind: 'deployments', namespace: 'shop', name: 'cart' },
      { kind: 'statefulsets', namespace: 'shop', name: 'db' },
      { kind: 'daemonsets', namespace: 'kube', name: 'agent' },
    ]);
  });
});

describe('rolloutState, as kubectl rollout status judges it', () => {
  it('a Deployment: generation observed, new replicas updated, old ones gone, updated ones available', () => {
    expect(rolloutState('deployments', deployment(3, { observedGeneration: 2 }))).toMatchObject({
      done: false,
      reason: 'waiting for the spec update to be observed',
    });
    expect(rolloutState('deployments', deployment(3, { observedGeneration: 3, updatedReplicas: 1 }))).toMatchObject({
      done: false,
      reason: '1 out of 2 new replicas have been updated',
    });
    expect(
      rolloutState('deployments', deployment(3, { observedGeneration: 3, updatedReplicas: 2, replicas: 3 })),
    ).toMatchObject({ done: false, reason: '1 old replicas are pending termination' });
    expect(
      rolloutState(
        'deployments',
        deployment(3, { observedGeneration: 3, updatedReplicas: 2, replicas: 2, availableReplicas: 1 }),
      ),
    ).toMatchObject({ done: false, reason: '1 of 2 updated replicas are available' });
    expect(
      rolloutState(
        'deployments',
        deployment(3, { observedGeneration: 3, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }),
      ),
    ).toEqual({ done: true });
    expect(
      rolloutState(
        'deployments',
        deployment(3, {
          observedGeneration: 3,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
        }),
      ),
    ).toMatchObject({ done: false, failed: true });
  });

  it('a DaemonSet and a StatefulSet', () => {
    const ds = (status: Record<string, unknown>): Workload => ({ metadata: { name: 'a' }, status });
    expect(rolloutState('daemonsets', ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 2 }))).toMatchObject({
      done: false,
    });
    expect(
      rolloutState('daemonsets', ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 })),
    ).toMatchObject({ done: false });
    expect(
      rolloutState('daemonsets', ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 })),
    ).toEqual({ done: true });
    const sts = (status: Record<string, unknown>): Workload => ({
      metadata: { name: 'db' },
      spec: { replicas: 2 },
      status,
    });
    expect(rolloutState('statefulsets', sts({ readyReplicas: 1 }))).toMatchObject({ done: false });
    expect(
      rolloutState('statefulsets', sts({ readyReplicas: 2, currentRevision: 'db-1', updateRevision: 'db-2' })),
    ).toMatchObject({ done: false });
    expect(
      rolloutState('statefulsets', sts({ readyReplicas: 2, currentRevision: 'db-2', updateRevision: 'db-2' })),
    ).toEqual({ done: true });
  });
});

describe('terminatingPods', () => {
  it("only the workload's own pods that are being deleted", () => {
    const w = deployment(1, {});
    expect(
      terminatingPods(w, [
        pod('cart-old', { app: 'cart' }, true),
        pod('cart-new', { app: 'cart' }, false),
        pod('api-old', { app: 'api' }, true),
      ]),
    ).toEqual(['cart-old']);
    expect(terminatingPods({ metadata: { name: 'x' } }, [pod('cart-old', { app: 'cart' }, true)])).toEqual([]);
  });
});

describe('waitForRollouts', () => {
  const done = { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 };
  const target = [{ kind: 'deployments' as const, namespace: 'shop', name: 'cart' }];
  const noSleep = { timeoutMs: 60_000, firstDelayMs: 1, sleep: () => Promise.resolve() };

  it('waits through the rollout and the old pods terminating, then succeeds', async () => {
    const statuses = [{ ...done, replicas: 3 }, done, done];
    const podLists = [[pod('cart-old', { app: 'cart' }, true)], []];
    let reads = 0;
    const reader: RolloutReader = {
      workload: () => Promise.resolve(deployment(2, statuses[Math.min(reads++, statuses.length - 1)] ?? done)),
      pods: () => Promise.resolve(podLists.shift() ?? []),
    };
    const reasons: string[] = [];
    const r = await waitForRollouts(reader, target, { ...noSleep, onWait: (_s, why) => reasons.push(why) });
    expect(r.ok).toBe(true);
    expect(reasons).toEqual([
      'shop/deployment/cart: 1 old replicas are pending termination',
      'shop/deployment/cart: 1 old pods are terminating',
    ]);
  });

  it('stops at once on a progress deadline, and gives up after the bound', async () => {
    const stuck: RolloutReader = {
      workload: () =>
        Promise.resolve(
          deployment(2, { ...done, conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] }),
        ),
      pods: () => Promise.resolve([]),
    };
    const r = await waitForRollouts(stuck, target, noSleep);
    expect(r).toMatchObject({ ok: false, reason: 'shop/deployment/cart: the rollout exceeded its progress deadline' });

    let t = 0;
    const slow: RolloutReader = {
      workload: () => Promise.resolve(deployment(2, { ...done, replicas: 3 })),
      pods: () => Promise.resolve([]),
    };
    const bounded = await waitForRollouts(slow, target, {
      timeoutMs: 5000,
      firstDelayMs: 1000,
      now: () => t,
      sleep: (ms) => {
        t += ms;
        return Promise.resolve();
      },
    });
    expect(bounded.ok).toBe(false);
    expect(bounded.reason).toMatch(/^still failing after 5 s: .*1 old replicas are pending termination/);
  });
});

describe('fix --apply after a template change', () => {
  it('verifies the new pods in its first round (it waits for the rollout, the old pod is gone)', async () => {
    await withWorld(await scenario('host-network'), async (_sb, env) => {
      const r = await cli(['fix', '--ksa', 'shop/cart', '--apply', '--yes', '--format', 'json'], env);
      const result = JSON.parse(r.stdout) as { rounds: { verification: { ok: boolean } | null }[]; exitCode: number };
      expect(result.rounds.map((x) => x.verification?.ok)).toEqual([true]);
      expect(r.stderr).toContain('Waiting for the new pods of shop/cart to replace the old ones\n');
      expect(r.stderr).toMatch(/\n {2}rolled out \(\d+ s\)\n/);
      expect(r.code).toBe(0);
    });
  });
});
