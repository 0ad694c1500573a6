// The bundle of `npm run bench` (bench/scale-bundle.mjs), and of tests that need many subjects: one cluster,
// thousands of KSAs and pods, generated.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const project = 'acme-shop';
const number = '123456789012';
const pool = `${project}.svc.id.goog`;

function writeJson(dir, path, json) {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, JSON.stringify(json));
}

/**
 * Writes a bundle of one cluster with `ksas` KSAs (each annotated for one of `gsas` GSAs and bound to it, but
 * one in fifty bound with a namespace typo and one in a hundred with a misspelt annotation key), `pods` pods
 * spread over them and over `nodes` nodes (one in ten in a node pool without the GKE metadata server), in
 * `namespaces` namespaces. Replaces `dir`. Returns the milliseconds it took.
 */
export function writeScaleBundle(
  dir,
  { ksas: KSAS, pods: PODS, gsas: GSAS, namespaces: NAMESPACES, nodes: NODES = 300 },
) {
  rmSync(dir, { recursive: true, force: true });
  const write = (path, json) => writeJson(dir, path, json);
  const t0 = performance.now();
  const when = '2026-11-01T10:00:00Z';
  const gsaEmail = (i) => `app-${String(i).padStart(4, '0')}@${project}.iam.gserviceaccount.com`;
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `team-${i}`);
  const nodes = Array.from({ length: NODES }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `gke-prod-default-pool-${i}`,
      uid: `node-${i}`,
      labels: {
        'cloud.google.com/gke-nodepool': i % 10 === 0 ? 'batch-pool' : 'default-pool',
        'iam.gke.io/gke-metadata-server-enabled': 'true',
      },
    },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  }));
  const ksas = [];
  const membersByGsa = new Map();
  for (let i = 0; i < KSAS; i++) {
    const ns = namespaces[i % NAMESPACES];
    const name = `app-${i}`;
    const gsa = gsaEmail(i % GSAS);
    // One in fifty has a namespace typo in its binding; one in a hundred a misspelt annotation key.
    const key = i % 100 === 7 ? 'iam.gke.io/gcp-service-acount' : 'iam.gke.io/gcp-service-account';
    ksas.push({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace: ns, uid: `ksa-${i}`, annotations: { [key]: gsa }, creationTimestamp: when },
    });
    const members = membersByGsa.get(gsa) ?? [];
    members.push(`serviceAccount:${pool}[${i % 50 === 3 ? `${ns}-prod` : ns}/${name}]`);
    membersByGsa.set(gsa, members);
  }
  const pods = [];
  const daemonPods = nodes.map((n, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `gke-metadata-server-${i}`,
      namespace: 'kube-system',
      labels: { 'k8s-app': 'gke-metadata-server' },
      ownerReferences: [{ kind: 'DaemonSet', name: 'gke-metadata-server', controller: true }],
    },
    spec: { nodeName: n.metadata.name, hostNetwork: true, containers: [{ name: 'gke-metadata-server' }] },
    status: {
      phase: 'Running',
      startTime: when,
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'gke-metadata-server', ready: true, restartCount: 0 }],
    },
  }));
  for (let i = 0; i < PODS; i++) {
    const k = i % KSAS;
    const ns = namespaces[k % NAMESPACES];
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `app-${k}-pod-${i}`, namespace: ns, uid: `pod-${i}`, labels: { app: `app-${k}` } },
      spec: {
        serviceAccountName: `app-${k}`,
        nodeName: nodes[i % NODES].metadata.name,
        containers: [{ name: 'app', image: 'app:1' }],
      },
      status: { phase: 'Running', startTime: '2026-11-20T10:00:00Z' },
    });
  }
  const list = (items) => ({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items });
  write(
    'k8s/namespaces.json',
    list(namespaces.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } }))),
  );
  write('k8s/serviceaccounts.json', list(ksas));
  write('k8s/pods.json', list([...pods, ...daemonPods]));
  write('k8s/nodes.json', list(nodes));
  write(
    'k8s/daemonsets.json',
    list([
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'gke-metadata-server', namespace: 'kube-system' },
        status: { desiredNumberScheduled: NODES, numberReady: NODES },
      },
    ]),
  );
  write('k8s/networkpolicies.json', list([]));
  write('gcp/cluster.json', {
    name: 'prod',
    location: 'europe-west1',
    workloadIdentityConfig: { workloadPool: pool },
    networkConfig: { datapathProvider: 'ADVANCED_DATAPATH' },
    nodePools: [
      {
        name: 'default-pool',
        config: {
          serviceAccount: `gke-nodes@${project}.iam.gserviceaccount.com`,
          workloadMetadataConfig: { mode: 'GKE_METADATA' },
        },
      },
      { name: 'batch-pool', config: { serviceAccount: 'default', workloadMetadataConfig: { mode: 'GCE_METADATA' } } },
    ],
  });
  write(`gcp/projects/${project}.json`, { projectId: project, projectNumber: number, lifecycleState: 'ACTIVE' });
  write(`gcp/projects/${project}.iam-policy.json`, {
    version: 1,
    etag: 'BwX=',
    bindings: [{ role: 'roles/owner', members: ['user:admin@acme.example'] }],
  });
  write(`gcp/projects/${project}.services.json`, [
    {
      name: `projects/${number}/services/iamcredentials.googleapis.com`,
      config: { name: 'iamcredentials.googleapis.com' },
      state: 'ENABLED',
    },
  ]);
  const accounts = [];
  for (let g = 0; g < GSAS; g++) {
    const email = gsaEmail(g);
    const account = {
      name: `projects/${project}/serviceAccounts/${email}`,
      projectId: project,
      uniqueId: String(100000000000000000000n + BigInt(g)),
      email,
    };
    accounts.push(account);
    write(`gcp/service-accounts/${email}.json`, account);
    write(`gcp/service-accounts/${email}.iam-policy.json`, {
      version: 1,
      etag: 'BwX=',
      bindings: [{ role: 'roles/iam.workloadIdentityUser', members: membersByGsa.get(email) ?? [] }],
    });
    write(`gcp/service-accounts/${email}.keys.json`, []);
  }
  write(`gcp/projects/${project}.service-accounts.json`, accounts);
  write('bundle.json', {
    format: 'wi-doctor-bundle/1',
    cluster: { project, location: 'europe-west1', name: 'prod' },
    collectedAt: '2026-11-28T17:00:00Z',
    k8sKinds: [
      'namespaces',
      'serviceaccounts',
      'pods',
      'nodes',
      'daemonsets',
      'networkpolicies',
      'deployments',
      'replicasets',
    ],
  });
  return performance.now() - t0;
}
