// A rollout completes on its own, as on a real cluster: after one patch of a Deployment's pod template, a client
// that only reads (polls the pod list and the Deployment through the API, no further write) sees the new pod
// become Ready, the old ReplicaSet go to zero and the old pod go, and the Deployment's status say so in the
// terms `kubectl rollout status` judges. The scenario names its pod explicitly (cart-7d9f8b6c5d-abcde).

import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { withSandbox } from '../helpers.js';

const OLD_POD = 'cart-7d9f8b6c5d-abcde';

describe('a rollout after a template patch', () => {
  it('finishes with no further write: the pod list polled through the API shows the new pod only', async () => {
    await withSandbox('host-network', async (sb) => {
      const kc = new KubeConfig();
      kc.loadFromFile(sb.kubeconfig);
      const apps = kc.makeApiClient(AppsV1Api);
      const core = kc.makeApiClient(CoreV1Api);

      await apps.patchNamespacedDeployment(
        { name: 'cart', namespace: 'shop', body: { spec: { template: { spec: { hostNetwork: false } } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      // From here on this client only reads (lists and gets): the controllers do the rest as time passes.

      const deadline = Date.now() + 10_000;
      let names: string[] = [];
      let sawOldAfterPatch = false;
      for (;;) {
        const pods = (await core.listNamespacedPod({ namespace: 'shop' })).items.filter((p) =>
          (p.metadata?.name ?? '').startsWith('cart-'),
        );
        names = pods.map((p) => p.metadata?.name ?? '');
        const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        if (names.includes(OLD_POD)) sawOldAfterPatch = true;
        if (!names.includes(OLD_POD) && ready.length === 1 && pods.length === 1) {
          expect(pods[0]?.spec?.hostNetwork).not.toBe(true);
          break;
        }
        if (Date.now() > deadline) throw new Error(`the rollout did not finish in 10 s: pods ${names.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The old pod stays until the new one is ready (maxUnavailable 25% of 1 replica is 0).
      expect(sawOldAfterPatch).toBe(true);
      expect(names).toHaveLength(1);
      expect(names[0]).toMatch(/^cart-[a-z0-9]{10}-[a-z0-9]{5}$/);

      const rs = await apps.readNamespacedReplicaSet({ name: 'cart-7d9f8b6c5d', namespace: 'shop' });
      expect(rs.spec?.replicas).toBe(0);
      const d = await apps.readNamespacedDeployment({ name: 'cart', namespace: 'shop' });
      // What `kubectl rollout status` requires to call it done.
      expect(d.status?.observedGeneration).toBe(d.metadata?.generation);
      expect(d.status).toMatchObject({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    });
  });
});
