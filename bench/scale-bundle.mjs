// Benchmark: analyse a bundle of 20,000 KSAs and 50,000 pods with `check --all`.
// Usage: npm run build && node bench/scale-bundle.mjs [--ksas 20000] [--pods 50000] [--gsas 500]
// Generates the bundle under bench/out/, then times reading and diagnosing it in this process (wall and CPU
// time per phase, peak RSS), then runs the CLI itself on it — `check --from DIR --all` with the text and
// the JSON report — in a process of its own, for its wall time, CPU time and peak RSS. Not a test: numbers
// go to BENCHMARKS.md by hand.

import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    ksas: { type: 'string', default: '20000' },
    pods: { type: 'string', default: '50000' },
    gsas: { type: 'string', default: '500' },
    namespaces: { type: 'string', default: '200' },
    out: { type: 'string', default: 'bench/out/scale' },
  },
});
const KSAS = Number(values.ksas);
const PODS = Number(values.pods);
const GSAS = Number(values.gsas);
const NAMESPACES = Number(values.namespaces);
const NODES = 300;
const project = 'acme-shop';
const number = '123456789012';
const pool = `${project}.svc.id.goog`;
const dir = values.out;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

function write(path, json) {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, JSON.stringify(json));
}

function generate() {
  rmSync(dir, { recursive: true, force: true });
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

const genMs = generate();
const { readBundle } = await import('../dist/collect/bundle/read.js');
const { diagnose } = await import('../dist/engine/diagnose.js');
const { CHECKS } = await import('../dist/checks/index.js');
const { jsonChunks } = await import('../dist/report/json.js');
const { textChunks } = await import('../dist/report/text.js');
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const t1 = performance.now();
const c1 = cpu();
const { facts } = await readBundle(dir);
const t2 = performance.now();
const c2 = cpu();
const report = diagnose(facts, CHECKS, {
  targets: { all: true },
  options: { need: [], on: undefined, impersonate: undefined, e2e: false },
  source: dir,
  version: 'bench',
});
const t3 = performance.now();
const c3 = cpu();
// Rendered as the CLI writes them: chunk by chunk, never one string.
let jsonLength = 0;
for (const chunk of jsonChunks(report)) jsonLength += chunk.length;
let textLength = 0;
for (const chunk of textChunks(report, { color: false, hidePass: false })) textLength += chunk.length;
const t4 = performance.now();
const c4 = cpu();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(`bundle: ${KSAS} KSAs, ${PODS} pods, ${GSAS} GSAs, ${NAMESPACES} namespaces (generated in ${fmt(genMs)})`);
console.log('in one process (wall / CPU):');
console.log(`  read bundle:  ${fmt(t2 - t1)} / ${fmt(c2 - c1)}`);
console.log(
  `  diagnose:     ${fmt(t3 - t2)} / ${fmt(c3 - c2)}  (${report.verdicts.length} subjects, ${report.results.length} results)`,
);
console.log(
  `  render:       ${fmt(t4 - t3)} / ${fmt(c4 - c3)}  (json ${(jsonLength / 1e6).toFixed(1)} MB, text ${(textLength / 1e6).toFixed(1)} MB)`,
);
console.log(`  total:        ${fmt(t4 - t1)} / ${fmt(c4 - c1)}`);
console.log(`  peak RSS:     ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
console.log(`  summary:      ${JSON.stringify(report.summary)}`);

// The CLI as a user runs it, one process per report format.
const bin = 'dist/cli/bin.js';
for (const [label, args] of [
  ['check --all (text)', ['--output', join(dir, '..', 'scale-report.txt')]],
  ['check --all --format json', ['--format', 'json', '--output', join(dir, '..', 'scale-report.json')]],
]) {
  const start = performance.now();
  const run = spawnSync(
    process.execPath,
    ['--import', './bench/rss-at-exit.mjs', bin, 'check', '--from', dir, '--all', ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  const wall = performance.now() - start;
  const m = /bench: maxRSS (\d+) KiB, cpu ([\d.]+) s/.exec(run.stderr);
  const out = args[args.indexOf('--output') + 1];
  console.log(
    `CLI ${label}: exit ${run.status}, ${fmt(wall)} wall, ${m ? `${m[2]} s CPU, peak RSS ${(Number(m[1]) / 1024).toFixed(0)} MiB` : run.stderr.trim()}, ${(statSync(out).size / 1e6).toFixed(0)} MB written`,
  );
}
