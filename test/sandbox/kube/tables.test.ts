// `kubectl get` prints the columns the API server's printers return (Table responses): the real kubectl 1.32
// against the sandbox, header and cells as a GKE 1.32 cluster shows them, -o wide included; a crash-looping
// gke-metadata-server shows CrashLoopBackOff with its restarts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import { humanDuration } from '../../../src/sandbox/kube/format.js';
import { wantsTable } from '../../../src/sandbox/kube/table.js';
import { HAS_KUBECTL, scenario } from '../helpers.js';
import { kubectlFor, table, type Kubectl } from './kubectl.js';

describe('printing rules', () => {
  it('ages as HumanDuration writes them', () => {
    const s = 1000;
    expect(humanDuration(45 * s)).toBe('45s');
    expect(humanDuration(119 * s)).toBe('119s');
    expect(humanDuration(192 * s)).toBe('3m12s');
    expect(humanDuration(600 * s)).toBe('10m');
    expect(humanDuration(5 * 3600 * s + 3 * 60 * s)).toBe('5h3m');
    expect(humanDuration(30 * 3600 * s)).toBe('30h');
    expect(humanDuration((3 * 24 + 4) * 3600 * s)).toBe('3d4h');
    expect(humanDuration(685 * 24 * 3600 * s)).toBe('685d');
    expect(humanDuration((2 * 365 + 14) * 24 * 3600 * s)).toBe('2y14d');
    expect(humanDuration(-5 * s)).toBe('<invalid>');
  });

  it('a Table only for the Accept header kubectl get sends', () => {
    expect(
      wantsTable(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
  });
});

describe.skipIf(!HAS_KUBECTL)('kubectl get against the healthy world', () => {
  let sb: RunningSandbox;
  let kubectl: Kubectl;
  beforeAll(async () => {
    sb = await startSandbox({ scenario: scenario('healthy') });
    kubectl = kubectlFor(sb);
  });
  afterAll(async () => {
    kubectl.dispose();
    await sb.stop();
  });

  const get = async (...args: string[]): Promise<{ header: string[]; rows: string[][] }> => {
    const r = await kubectl(['get', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return table(r.stdout);
  };

  it('pods: READY STATUS RESTARTS AGE, and -o wide IP NODE NOMINATED NODE READINESS GATES', async () => {
    const t = await get('pods', '-n', 'shop');
    expect(t.header).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(t.rows).toContainEqual(['cart-7d9f8b6c5d-abcde', '1/1', 'Running', '0', expect.stringMatching(/^\d+d$/)]);
    const w = await get('pods', '-n', 'shop', '-o', 'wide');
    expect(w.header).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    const cart = w.rows.find((r) => r[0] === 'cart-7d9f8b6c5d-abcde');
    expect(cart?.[5]).toMatch(/^10\.4\.\d+\.\d+$/);
    expect(cart?.slice(6)).toEqual(['gke-prod-default-pool-1a2b3c4d-x1y2', '<none>', '<none>']);
    const all = await get('pods', '-A');
    expect(all.header.slice(0, 2)).toEqual(['NAMESPACE', 'NAME']);
    expect(
      all.rows.filter((r) => r[0] === 'kube-system' && /^gke-metadata-server-\w{5}$/.test(r[1] ?? '')),
    ).toHaveLength(2);
  });

  it('nodes: STATUS ROLES AGE VERSION, wide adds addresses, OS image, kernel, runtime', async () => {
    const t = await get('nodes');
    expect(t.header).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    expect(t.rows).toContainEqual([
      'gke-prod-default-pool-1a2b3c4d-x1y2',
      'Ready',
      '<none>',
      expect.stringMatching(/^\d+d$/),
      'v1.32.4-gke.1106006',
    ]);
    const w = await get('nodes', '-o', 'wide');
    expect(w.header).toEqual([
      'NAME',
      'STATUS',
      'ROLES',
      'AGE',
      'VERSION',
      'INTERNAL-IP',
      'EXTERNAL-IP',
      'OS-IMAGE',
      'KERNEL-VERSION',
      'CONTAINER-RUNTIME',
    ]);
    expect(w.rows[0]?.slice(7)).toEqual([
      'Container-Optimized OS from Google',
      expect.stringMatching(/^\d+\.\d+/),
      expect.stringMatching(/^containerd:\/\//),
    ]);
  });

  it('deployments, replicasets, daemonsets, service accounts, namespaces', async () => {
    const d = await get('deployments', '-n', 'shop', '-o', 'wide');
    expect(d.header).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(d.rows).toContainEqual([
      'cart',
      '1/1',
      '1',
      '1',
      expect.any(String),
      'app',
      'us-docker.pkg.dev/sandbox/apps/app:1.0',
      'app=cart',
    ]);
    const rs = await get('replicasets', '-n', 'shop');
    expect(rs.header).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect(rs.rows).toContainEqual(['cart-7d9f8b6c5d', '1', '1', '1', expect.any(String)]);
    const ds = await get('daemonsets', '-n', 'kube-system');
    expect(ds.header).toEqual([
      'NAME',
      'DESIRED',
      'CURRENT',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'NODE SELECTOR',
      'AGE',
    ]);
    expect(ds.rows[0]?.slice(0, 7)).toEqual([
      'gke-metadata-server',
      '2',
      '2',
      '2',
      '2',
      '2',
      'iam.gke.io/gke-metadata-server-enabled=true',
    ]);
    const sa = await get('serviceaccounts', '-n', 'shop');
    expect(sa.header).toEqual(['NAME', 'SECRETS', 'AGE']);
    expect(sa.rows.map((r) => r.slice(0, 2))).toEqual([
      ['api', '0'],
      ['cart', '0'],
      ['default', '0'],
    ]);
    const ns = await get('namespaces');
    expect(ns.header).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(ns.rows).toContainEqual(['shop', 'Active', expect.any(String)]);
  });

  it('network policies: POD-SELECTOR; services: TYPE CLUSTER-IP EXTERNAL-IP PORT(S); an empty list says so', async () => {
    const none = await kubectl(['get', 'networkpolicies', '-n', 'shop']);
    expect(none.code).toBe(0);
    expect(none.stderr).toBe('No resources found in shop namespace.\n');
    const applied = await kubectl(['apply', '-f', '-'], {
      input:
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-egress, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: cart}}\n  policyTypes: [Egress]\n',
    });
    expect(applied.stdout).toBe('networkpolicy.networking.k8s.io/deny-egress created\n');
    const np = await get('netpol', '-n', 'shop');
    expect(np.header).toEqual(['NAME', 'POD-SELECTOR', 'AGE']);
    expect(np.rows).toContainEqual(['deny-egress', 'app=cart', expect.stringMatching(/^\d+s$/)]);
    const svc = await get('services', '-n', 'kube-system');
    expect(svc.header).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(svc.rows[0]?.slice(0, 5)).toEqual(['kube-dns', 'ClusterIP', '34.118.224.10', '<none>', '53/UDP,53/TCP']);
  });

  it('get all lists the workload kinds by their qualified names', async () => {
    const r = await kubectl(['get', 'all', '-n', 'shop']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pod\/cart-7d9f8b6c5d-abcde\s+1\/1\s+Running\s+0\s+\S+$/m);
    expect(r.stdout).toMatch(/^deployment\.apps\/cart\s+1\/1\s+1\s+1\s+\S+$/m);
    expect(r.stdout).toMatch(/^replicaset\.apps\/cart-7d9f8b6c5d\s+1\s+1\s+1\s+\S+$/m);
  });
});

describe.skipIf(!HAS_KUBECTL)('a crash-looping gke-metadata-server', () => {
  let sb: RunningSandbox;
  let kubectl: Kubectl;
  beforeAll(async () => {
    sb = await startSandbox({ scenario: scenario('metadata-server-down') });
    kubectl = kubectlFor(sb);
  });
  afterAll(async () => {
    kubectl.dispose();
    await sb.stop();
  });

  it('shows CrashLoopBackOff, 0/1 ready, and its restarts with how long ago', async () => {
    const r = await kubectl(['get', 'pods', '-n', 'kube-system']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gke-metadata-server-\w{5}\s+0\/1\s+CrashLoopBackOff\s+7 \(\S+ ago\)\s+\d+d$/m);
    const ds = table((await kubectl(['get', 'ds', '-n', 'kube-system'])).stdout);
    expect(Number(ds.rows[0]?.[3])).toBeLessThan(Number(ds.rows[0]?.[1]));
  });
});
