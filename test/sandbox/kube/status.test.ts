// Objects as a GKE cluster keeps them: pod, workload and node status; pod-template-hash matching the names;
// creation times consistent with the pods; admission (a pod whose service account does not exist is not
// created, the ReplicaSet reports FailedCreate) and schema validation; strategic merge patch by merge keys.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod, Workload } from '../../../src/model/k8s/types.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import { strategicMergePatch } from '../../../src/sandbox/kube/patch.js';
import { message } from '../../../src/sandbox/kube/proto/schema.js';
import { HAS_KUBECTL, scenario } from '../helpers.js';
import { kubectlFor, type Kubectl } from './kubectl.js';

let sb: RunningSandbox;
beforeAll(async () => {
  sb = await startSandbox({ scenario: scenario('healthy') });
});
afterAll(async () => {
  await sb.stop();
});

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${sb.endpoints.kubernetes ?? ''}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

type Json = Record<string, unknown>;

describe('status as the kubelet and the controllers write it', () => {
  it('a running pod: container state, image and digest, IPs, conditions, QoS', async () => {
    const pod = await get<Json>('/api/v1/namespaces/shop/pods/cart-7d9f8b6c5d-abcde');
    const status = pod.status as Json;
    expect(status).toMatchObject({ phase: 'Running', qosClass: 'BestEffort', startTime: '2025-01-15T11:00:00Z' });
    expect(status.podIP).toMatch(/^10\.4\.\d+\.\d+$/);
    expect(status.podIPs).toEqual([{ ip: status.podIP }]);
    expect((status.conditions as Json[]).map((c) => `${String(c.type)}=${String(c.status)}`)).toEqual([
      'PodReadyToStartContainers=True',
      'Initialized=True',
      'Ready=True',
      'ContainersReady=True',
      'PodScheduled=True',
    ]);
    const [cs] = status.containerStatuses as Json[];
    expect(cs).toMatchObject({
      name: 'app',
      ready: true,
      restartCount: 0,
      started: true,
      image: 'us-docker.pkg.dev/sandbox/apps/app:1.0',
    });
    expect(cs?.imageID).toMatch(/^us-docker\.pkg\.dev\/sandbox\/apps\/app@sha256:[0-9a-f]{64}$/);
    expect(cs?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(cs?.state).toEqual({ running: { startedAt: '2025-01-15T11:00:02Z' } });
  });

  it('pod-template-hash matches the ReplicaSet and pod names; the Deployment has its revision and status', async () => {
    const rs = await get<Workload>('/apis/apps/v1/namespaces/shop/replicasets/cart-7d9f8b6c5d');
    expect(rs.metadata.labels?.['pod-template-hash']).toBe('7d9f8b6c5d');
    expect(rs.spec?.template?.metadata?.labels?.['pod-template-hash']).toBe('7d9f8b6c5d');
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'cart', controller: true });
    const pod = await get<Pod>('/api/v1/namespaces/shop/pods/cart-7d9f8b6c5d-abcde');
    expect(pod.metadata.labels?.['pod-template-hash']).toBe('7d9f8b6c5d');
    const d = await get<Workload & { metadata: { generation: number } }>(
      '/apis/apps/v1/namespaces/shop/deployments/cart',
    );
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status).toMatchObject({
      observedGeneration: d.metadata.generation,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    const conditions = (d.status?.conditions ?? []) as Json[];
    expect(conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    // Created before their pods started, not when the sandbox started.
    expect(Date.parse(d.metadata.creationTimestamp ?? '')).toBeLessThanOrEqual(Date.parse(pod.status?.startTime ?? ''));
    expect(Date.parse(rs.metadata.creationTimestamp ?? '')).toBeLessThanOrEqual(
      Date.parse(pod.status?.startTime ?? ''),
    );
  });

  it('the gke-metadata-server DaemonSet and the nodes: counts, capacity, conditions with heartbeats', async () => {
    const ds = await get<Workload>('/apis/apps/v1/namespaces/kube-system/daemonsets/gke-metadata-server');
    expect(ds.status).toMatchObject({
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      numberReady: 2,
      updatedNumberScheduled: 2,
      numberAvailable: 2,
      observedGeneration: 1,
    });
    const node = await get<Json>('/api/v1/nodes/gke-prod-default-pool-1a2b3c4d-x1y2');
    const status = node.status as Json;
    expect(status.capacity).toMatchObject({ cpu: '4', pods: '110' });
    expect(status.allocatable).toMatchObject({ cpu: '3920m', pods: '110' });
    const ready = (status.conditions as Json[]).find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(Math.abs(Date.parse(String(ready?.lastHeartbeatTime)) - Date.now())).toBeLessThan(60_000);
    expect(status.nodeInfo).toMatchObject({
      kubeletVersion: 'v1.32.4-gke.1106006',
      containerRuntimeVersion: expect.stringMatching(/^containerd:\/\//),
    });
  });
});

describe('strategic merge patch', () => {
  it('merges containers and env by name, replaces lists without a merge key, honours $patch: delete', () => {
    const pod = message('core.v1.PodSpec');
    const current = {
      containers: [
        {
          name: 'app',
          image: 'app:1',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
        { name: 'sidecar', image: 'proxy:1' },
      ],
      tolerations: [{ key: 'x', operator: 'Exists' }],
    };
    const patched = strategicMergePatch(
      current,
      {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'B', value: '3' },
              { name: 'C', value: '4' },
            ],
          },
          { name: 'sidecar', $patch: 'delete' },
        ],
        tolerations: [{ key: 'y', operator: 'Exists' }],
      },
      pod,
    );
    expect(patched).toEqual({
      containers: [
        {
          name: 'app',
          image: 'app:1',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '3' },
            { name: 'C', value: '4' },
          ],
        },
      ],
      tolerations: [{ key: 'y', operator: 'Exists' }],
    });
  });
});

describe.skipIf(!HAS_KUBECTL)('admission and validation, through kubectl', () => {
  let kubectl: Kubectl;
  beforeAll(() => {
    kubectl = kubectlFor(sb);
  });
  afterAll(() => {
    kubectl.dispose();
  });

  it('a service account that does not exist: no pod, FailedCreate, the rollout waits; creating it unblocks', async () => {
    expect((await kubectl(['create', 'deployment', 'web', '-n', 'shop', '--image=nginx:1.27'])).code).toBe(0);
    expect((await kubectl(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s'])).code).toBe(0);
    expect((await kubectl(['set', 'serviceaccount', 'deployment', 'web', 'missing-sa', '-n', 'shop'])).stdout).toBe(
      'deployment.apps/web serviceaccount updated\n',
    );
    const waiting = await kubectl(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=2s']);
    expect(waiting.code).toBe(1);
    expect(waiting.stdout).toContain(
      'Waiting for deployment "web" rollout to finish: 0 out of 1 new replicas have been updated...',
    );
    expect(waiting.stderr).toBe('error: timed out waiting for the condition\n');
    const events = await kubectl(['get', 'events', '-n', 'shop', '--field-selector', 'reason=FailedCreate']);
    expect(events.stdout).toMatch(
      /^\S+\s+Warning\s+FailedCreate\s+replicaset\/(web-\w+)\s+Error creating: pods "\1-" is forbidden: error looking up service account shop\/missing-sa: serviceaccount "missing-sa" not found$/m,
    );
    const pods = await kubectl([
      'get',
      'pods',
      '-n',
      'shop',
      '-l',
      'app=web',
      '-o',
      'jsonpath={.items[*].spec.serviceAccountName}',
    ]);
    expect(pods.stdout).toBe('default');
    const direct = await kubectl([
      'run',
      'p1',
      '-n',
      'shop',
      '--image=nginx',
      '--overrides',
      '{"spec":{"serviceAccountName":"missing-sa"}}',
    ]);
    expect(direct.code).toBe(1);
    expect(direct.stderr).toBe(
      'Error from server (Forbidden): pods "p1" is forbidden: error looking up service account shop/missing-sa: serviceaccount "missing-sa" not found\n',
    );
    expect((await kubectl(['create', 'serviceaccount', 'missing-sa', '-n', 'shop'])).code).toBe(0);
    const done = await kubectl(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s']);
    expect(done.stdout).toContain('deployment "web" successfully rolled out');
  });

  it('replicas must be an integer; a merge of env keeps the image (strategic merge patch)', async () => {
    const bad = await kubectl(['patch', 'deployment', 'web', '-n', 'shop', '-p', '{"spec":{"replicas":"two"}}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'The request is invalid: patch: Invalid value: "map[spec:map[replicas:two]]": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32\n',
    );
    const negative = await kubectl(['scale', 'deployment', 'web', '-n', 'shop', '--replicas=-1']);
    expect(negative.code).toBe(1);
    const patched = await kubectl([
      'patch',
      'deployment',
      'web',
      '-n',
      'shop',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"EXTRA","value":"1"}]}]}}}}',
    ]);
    expect(patched.stdout).toBe('deployment.apps/web patched\n');
    const spec = await kubectl([
      'get',
      'deployment',
      'web',
      '-n',
      'shop',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[*].name}',
    ]);
    expect(spec.stdout).toBe('nginx:1.27 EXTRA');
  });
});
