// The verbs kubectl uses, through the real kubectl 1.32: create and delete (namespaces with their contents,
// service accounts, network policies, deployments with their ReplicaSets and pods), scale, watch (get -w,
// wait, rollout status), server-side apply with its conflicts, the health endpoints, complete discovery
// (api-resources, cluster-info), and NotFound texts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import { HAS_KUBECTL, scenario } from '../helpers.js';
import { kubectlFor, table, watchFor, type Kubectl } from './kubectl.js';

describe.skipIf(!HAS_KUBECTL)('kubectl verbs against the sandbox', () => {
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

  it('version, health and readiness, discovery', async () => {
    expect((await kubectl(['version'])).stdout).toMatch(/^Server Version: v1\.32\.4-gke\.1106006$/m);
    expect((await kubectl(['get', '--raw', '/healthz'])).stdout).toBe('ok');
    const ready = await kubectl(['get', '--raw', '/readyz?verbose']);
    expect(ready.stdout).toMatch(/^\[\+\]ping ok$/m);
    expect(ready.stdout).toMatch(/^readyz check passed$/m);
    const resources = await kubectl(['api-resources']);
    expect(resources.code).toBe(0);
    expect(resources.stderr).toBe('');
    const rows = table(resources.stdout);
    expect(rows.header).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    for (const want of [
      ['serviceaccounts', 'sa', 'v1', 'true', 'ServiceAccount'],
      ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
      ['networkpolicies', 'netpol', 'networking.k8s.io/v1', 'true', 'NetworkPolicy'],
      ['selfsubjectaccessreviews', 'authorization.k8s.io/v1', 'false', 'SelfSubjectAccessReview'],
    ])
      expect(rows.rows).toContainEqual(want);
    const info = await kubectl(['cluster-info']);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain(`Kubernetes control plane is running at ${sb.endpoints.kubernetes ?? ''}`);
    expect(info.stdout).toContain('KubeDNS is running at');
  });

  it('NotFound as the server says it, and as kubectl reports a missing namespace', async () => {
    const missing = await kubectl(['get', 'serviceaccount', 'nope', '-n', 'shop']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error from server (NotFound): serviceaccounts "nope" not found\n');
    const raw = await fetch(`${sb.endpoints.kubernetes ?? ''}/api/v1/namespaces/nosuchns/serviceaccounts/cart`);
    expect(raw.status).toBe(404);
    expect(await raw.json()).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'serviceaccounts "cart" not found',
    });
    const kube = await kubectl(['get', 'serviceaccount', 'cart', '-n', 'nosuchns']);
    expect(kube.stderr).toBe('Error from server (NotFound): namespaces "nosuchns" not found\n');
    const netpol = await kubectl(['get', 'networkpolicy', 'x', '-n', 'shop']);
    expect(netpol.stderr).toBe('Error from server (NotFound): networkpolicies.networking.k8s.io "x" not found\n');
  });

  it('create and delete: service account, network policy, namespace with its contents', async () => {
    expect((await kubectl(['create', 'serviceaccount', 'tmp', '-n', 'shop'])).stdout).toBe(
      'serviceaccount/tmp created\n',
    );
    const again = await kubectl(['create', 'serviceaccount', 'tmp', '-n', 'shop']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: failed to create serviceaccount: serviceaccounts "tmp" already exists\n');
    expect((await kubectl(['delete', 'serviceaccount', 'tmp', '-n', 'shop'])).stdout).toBe(
      'serviceaccount "tmp" deleted\n',
    );
    const np =
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-dns, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Egress]}\n';
    expect((await kubectl(['apply', '-f', '-'], { input: np })).stdout).toBe(
      'networkpolicy.networking.k8s.io/allow-dns created\n',
    );
    expect((await kubectl(['delete', 'networkpolicy', 'allow-dns', '-n', 'shop'])).stdout).toBe(
      'networkpolicy.networking.k8s.io "allow-dns" deleted\n',
    );
    expect((await kubectl(['create', 'namespace', 'staging'])).stdout).toBe('namespace/staging created\n');
    expect((await kubectl(['create', 'serviceaccount', 'app', '-n', 'staging'])).code).toBe(0);
    const deleted = await kubectl(['delete', 'namespace', 'staging']);
    expect(deleted.stdout).toBe('namespace "staging" deleted\n');
    expect((await kubectl(['get', 'namespace', 'staging'])).stderr).toBe(
      'Error from server (NotFound): namespaces "staging" not found\n',
    );
    expect((await kubectl(['get', 'serviceaccounts', '-n', 'staging'])).stderr).toBe(
      'No resources found in staging namespace.\n',
    );
  });

  it('a deployment: apply, rollout status with its progress, scale, wait, delete with its ReplicaSets and pods', async () => {
    const manifest = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web, namespace: shop}',
      'spec:',
      '  replicas: 1',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      '    spec:',
      '      serviceAccountName: cart',
      '      containers: [{name: web, image: "nginx:1.27"}]',
      '',
    ].join('\n');
    expect((await kubectl(['apply', '-f', '-'], { input: manifest })).stdout).toBe('deployment.apps/web created\n');
    expect((await kubectl(['apply', '-f', '-'], { input: manifest })).stdout).toBe('deployment.apps/web unchanged\n');
    const status = await kubectl(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s']);
    expect(status.stdout).toMatch(/deployment "web" successfully rolled out\n$/);
    expect((await kubectl(['scale', 'deployment', 'web', '-n', 'shop', '--replicas=3'])).stdout).toBe(
      'deployment.apps/web scaled\n',
    );
    const waited = await kubectl([
      'wait',
      '--for=condition=Available',
      'deployment/web',
      '-n',
      'shop',
      '--timeout=20s',
    ]);
    expect(waited.stdout).toBe('deployment.apps/web condition met\n');
    await kubectl(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s']);
    const ready = await kubectl([
      'get',
      'deployment',
      'web',
      '-n',
      'shop',
      '-o',
      'jsonpath={.status.readyReplicas}/{.spec.replicas}',
    ]);
    expect(ready.stdout).toBe('3/3');
    const podsReady = await kubectl([
      'wait',
      '--for=condition=Ready',
      'pod',
      '-l',
      'app=web',
      '-n',
      'shop',
      '--timeout=20s',
    ]);
    expect(podsReady.stdout.trim().split('\n')).toHaveLength(3);
    expect(podsReady.stdout).toMatch(/^pod\/web-\w+-\w{5} condition met$/m);
    expect((await kubectl(['rollout', 'restart', 'deployment/web', '-n', 'shop'])).stdout).toBe(
      'deployment.apps/web restarted\n',
    );
    await kubectl(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=20s']);
    const history = await kubectl(['rollout', 'history', 'deployment/web', '-n', 'shop']);
    expect(history.stdout).toMatch(/^REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/m);
    expect((await kubectl(['delete', 'deployment', 'web', '-n', 'shop'])).stdout).toBe(
      'deployment.apps "web" deleted\n',
    );
    const left = await kubectl(['get', 'rs,pods', '-n', 'shop', '-l', 'app=web']);
    expect(left.stderr).toBe('No resources found in shop namespace.\n');
  });

  it('get -w prints the table, then the changes, until its request timeout', async () => {
    const watching = watchFor(kubectl, ['get', 'pods', '-n', 'shop', '-l', 'app=api', '-w'], 4000);
    await new Promise((r) => setTimeout(r, 1500));
    await kubectl(['delete', 'pod', '-n', 'shop', '-l', 'app=api']);
    const r = await watching;
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines[1]).toMatch(/^api-\w+-\w{5}\s+1\/1\s+Running\s+0\s+\d+d$/);
    // the replacement pod appears, then runs
    expect(lines.slice(2).some((l) => /^api-\w+-\w{5}\s+0\/1\s+(Pending|ContainerCreating)\s+0\s+\d+s$/.test(l))).toBe(
      true,
    );
    expect(lines.slice(2).some((l) => /^api-\w+-\w{5}\s+1\/1\s+Running\s+0\s+\d+s$/.test(l))).toBe(true);
    const timed = await kubectl(['get', 'pods', '-n', 'shop', '-w', '--request-timeout=1s']);
    expect(timed.code).toBe(0);
    expect(timed.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
  });

  it('server-side apply: created, then a conflict with another manager, then forced', async () => {
    const sa =
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: cart\n  namespace: shop\n  annotations:\n    iam.gke.io/gcp-service-account: other@acme-shop.iam.gserviceaccount.com\n';
    const conflict = await kubectl(['apply', '--server-side', '-f', '-'], { input: sa });
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .metadata.annotations.iam.gke.io/gcp-service-account',
    );
    const forced = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: sa });
    expect(forced.stdout).toBe('serviceaccount/cart serverside-applied\n');
    const managers = await kubectl([
      'get',
      'sa',
      'cart',
      '-n',
      'shop',
      '--show-managed-fields',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}:{.metadata.managedFields[*].operation}',
    ]);
    expect(managers.stdout).toMatch(/kubectl.*:.*Apply/);
    const fresh = await kubectl(['apply', '--server-side', '-f', '-'], {
      input: 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ssa, namespace: shop, labels: {team: payments}}\n',
    });
    expect(fresh.stdout).toBe('serviceaccount/ssa serverside-applied\n');
  });

  it('describe node reads the node lease', async () => {
    const r = await kubectl(['describe', 'node', 'gke-prod-default-pool-1a2b3c4d-x1y2']);
    expect(r.stdout).toMatch(/^Lease:\n\s+HolderIdentity:\s+gke-prod-default-pool-1a2b3c4d-x1y2$/m);
    expect(r.stdout).toMatch(/^Non-terminated Pods:\s+\(\d+ in total\)$/m);
  });
});
