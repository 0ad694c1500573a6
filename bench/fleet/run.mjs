// Benchmark: a fleet run against the sandbox with injected latency (80 ms per Google call, 10 ms per Kubernetes
// call): an organization of 200 projects under 10 folders, 30 clusters (one in each of 30 projects), 20,000 KSAs,
// 2,000 GSAs (KSA i of a cluster annotated for one of its project's GSAs, each GSA's policy binding exactly its
// KSAs). It runs, each as a process of its own under /usr/bin/time (wall and peak RSS):
//   fleet:     wi-doctor check --all --clusters organizations/ORG --format json --output FILE
//   per cluster: wi-doctor check --all --context CTX --scope organizations/ORG --format json, one cluster after
//              another (the alternative a user has: the single-cluster command in a loop, with the same
//              Cloud Asset coverage), on a sample of clusters, scaled to all of them.
// It counts every request the sandbox's servers receive, by kind, and computes the lower bound of the fleet run's
// calls under the concurrency budget (the method of BENCHMARKS.md), and the bound with wi-doctor's own CPU. For
// where the wall goes it records, for the fleet run, the sandbox thread's busy time, its handler time by kind and
// each request's server-side timeline (the sandbox runs in this process). Loopback only; stops by itself. Not a
// test: numbers go to BENCHMARKS.md by hand. Raw results: bench/out/fleet/results.json.
// Usage: npm run bench:fleet [-- --clusters 30 --ksas 20000 --gsas 2000 --projects 200 --sample 5 (0: no loop)
//        --cpu-prof (profile wi-doctor) --scope none (diagnosis only: the fleet run without the org search)
//        --cluster-concurrency N (passed to the fleet run)]

import { execFile } from 'node:child_process';
import { Server } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GOOGLE_LATENCY_MS, KUBE_LATENCY_MS } from '../live/world.mjs';
import { ORG, fleetScenario, pid } from './world.mjs';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '30' },
    ksas: { type: 'string', default: '20000' },
    gsas: { type: 'string', default: '2000' },
    projects: { type: 'string', default: '200' },
    sample: { type: 'string', default: '5' },
    'limit-minutes': { type: 'string', default: '15' },
    'cpu-prof': { type: 'boolean', default: false },
    // wi-doctor's --cluster-concurrency for the fleet run (its default when not given).
    'cluster-concurrency': { type: 'string' },
    // For diagnosis only: `--scope none` runs the fleet without the organization search (other calls, not the bench).
    scope: { type: 'string' },
    out: { type: 'string', default: 'bench/out/fleet' },
  },
  strict: true,
});
const N = {
  clusters: Number(values.clusters),
  ksas: Number(values.ksas),
  gsas: Number(values.gsas),
  projects: Number(values.projects),
  sample: Number(values.sample),
};
for (const [k, v] of Object.entries(N)) {
  if (!Number.isInteger(v) || v < (k === 'sample' ? 0 : 1)) {
    console.error(`bench:fleet: --${k} ${String(v)}: expected a whole number ≥ 1`);
    process.exit(2);
  }
}
if (N.clusters > N.projects) {
  console.error('bench:fleet: --clusters must not exceed --projects (one cluster per project)');
  process.exit(2);
}
const limitMs = Number(values['limit-minutes']) * 60_000;
setTimeout(() => {
  console.error(`bench:fleet: stopped after ${values['limit-minutes']} minutes`);
  process.exit(2);
}, limitMs).unref();

const CONCURRENCY = 8; // --concurrency default
// The sandbox serves the whole organization from one thread of a shared machine: a call can wait longer than the
// 20 s default per attempt there, which says nothing about wi-doctor; both runs get the same longer timeout.
const TIMEOUT = ['--timeout', '60'];
const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const { startSandbox } = await import(new URL('../../dist/sandbox/index.js', import.meta.url).href);
const { RouteTable } = await import(new URL('../../dist/sandbox/http/router.js', import.meta.url).href);

/**
 * Requests the sandbox's servers receive, by kind; the time its handlers take, by kind; and each request's
 * timeline on the server (arrival, handler start and end, in ms from `since`), for where the wall goes.
 */
function counter(sandbox) {
  const counts = new Map();
  const handlerMs = new Map();
  let events = [];
  let since = performance.now();
  /** Arrivals waiting for their handler, per path (first in, first out: one latency per API). */
  const waiting = new Map();
  const faults = sandbox.world.faults;
  const decide = faults.decide.bind(faults);
  faults.decide = (api, path) => {
    const kind = kindOf(api, path);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const decision = decide(api, path);
    const key = path;
    const queue = waiting.get(key) ?? [];
    queue.push({ kind, arrive: performance.now() - since, latencyMs: decision.latencyMs });
    waiting.set(key, queue);
    return decision;
  };
  // Connections the servers accept: with keep-alive working, far fewer than requests.
  let connections = 0;
  const emit = Server.prototype.emit;
  Server.prototype.emit = function (event, ...args) {
    if (event === 'connection') connections++;
    return emit.call(this, event, ...args);
  };
  const handle = RouteTable.prototype.handle;
  RouteTable.prototype.handle = function (req) {
    const t = performance.now();
    const out = handle.call(this, req);
    const end = performance.now();
    const isKube = req.path.startsWith('/api') || req.path.startsWith('/apis');
    const queue = waiting.get(req.path);
    const arrival = queue?.shift();
    const kind = arrival?.kind ?? (isKube ? `k8s ${req.path.split('/').at(-1)}` : kindOf('google', req.path));
    handlerMs.set(kind, (handlerMs.get(kind) ?? 0) + end - t);
    if (arrival !== undefined) {
      const e = { ...arrival, start: t - since, handlerMs: end - t };
      Promise.resolve(out).then(
        () => events.push({ ...e, done: performance.now() - since }),
        () => undefined,
      );
    }
    return out;
  };
  return {
    take() {
      const out = Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
      counts.clear();
      return out;
    },
    takeConnections() {
      const out = connections;
      connections = 0;
      return out;
    },
    takeHandlerMs() {
      const out = Object.fromEntries([...handlerMs].sort(([, a], [, b]) => b - a).map(([k, v]) => [k, Math.round(v)]));
      handlerMs.clear();
      return out;
    },
    /** The requests since the last call, each {kind, arrive, start, done, latencyMs, handlerMs}, and restart. */
    takeEvents() {
      const out = events;
      events = [];
      since = performance.now();
      return out;
    },
  };
}

/**
 * Where a run's wall went, from the server's side: the window from the first arrival to the last answer, how full
 * the concurrency budget was (requests in flight ÷ budget, averaged over the window), the time requests waited for
 * the sandbox's thread beyond their injected latency and handler (queueing: the sandbox busy elsewhere), and the
 * first arrival and last answer of each kind.
 */
function timeline(events, wallMs) {
  if (events.length === 0) return undefined;
  const first = Math.min(...events.map((e) => e.arrive));
  const last = Math.max(...events.map((e) => e.done));
  const inFlightMs = events.reduce((a, e) => a + (e.done - e.arrive), 0);
  const kinds = {};
  for (const e of events) {
    const k = (kinds[e.kind] ??= { n: 0, firstArrive: Infinity, lastDone: 0, waitMs: 0, maxWaitMs: 0 });
    k.n++;
    k.firstArrive = Math.min(k.firstArrive, e.arrive);
    k.lastDone = Math.max(k.lastDone, e.done);
    const wait = Math.max(0, e.done - e.arrive - e.latencyMs - e.handlerMs);
    k.waitMs += wait;
    k.maxWaitMs = Math.max(k.maxWaitMs, wait);
  }
  const round = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));
  // In flight per second of the window (server view), to see a budget left idle.
  const seconds = Math.ceil((last - 0) / 1000);
  const perSecond = new Array(seconds).fill(0);
  for (const e of events)
    for (let t = Math.floor(e.arrive / 1000); t <= Math.floor(e.done / 1000) && t < seconds; t++)
      perSecond[t] += (Math.min(e.done, (t + 1) * 1000) - Math.max(e.arrive, t * 1000)) / 1000;
  return {
    wallMs: Math.round(wallMs),
    firstArrivalMs: Math.round(first),
    lastAnswerMs: Math.round(last),
    budgetFull: inFlightMs / (CONCURRENCY * (last - first)),
    queueingMs: Math.round(events.reduce((a, e) => a + Math.max(0, e.done - e.arrive - e.latencyMs - e.handlerMs), 0)),
    inFlightPerSecond: perSecond.map((x) => Math.round(x * 10) / 10),
    kinds: Object.fromEntries(
      Object.entries(kinds)
        .sort(([, a], [, b]) => a.firstArrive - b.firstArrive)
        .map(([k, v]) => [k, round(v)]),
    ),
  };
}

function kindOf(api, path) {
  const p = path.split('?')[0];
  if (api === 'kubernetes') return `k8s ${p.split('/').at(-1)}`;
  if (/:searchAll\w+/.test(p)) return `cloudasset ${/:(searchAll\w+)/.exec(p)[1]}`;
  if (/serviceAccounts\/[^/]+:getIamPolicy$/.test(p)) return 'iam serviceAccounts.getIamPolicy';
  if (/serviceAccounts\/[^/:]+$/.test(p)) return 'iam serviceAccounts.get';
  if (/serviceAccounts$/.test(p)) return 'iam serviceAccounts.list';
  if (/:getIamPolicy$/.test(p)) return `${api} getIamPolicy`;
  if (/:getAncestry$/.test(p)) return 'crm getAncestry';
  if (/\/clusters$/.test(p)) return 'container clusters.list';
  if (/\/clusters\/[^/]+$/.test(p)) return 'container clusters.get';
  if (/\/services$/.test(p)) return 'serviceusage services.list';
  return `${api} ${p.replace(/\/[^/]*\d[^/]*/g, '/*')}`;
}

const total = (counts) => Object.values(counts).reduce((a, n) => a + n, 0);
const google = (counts) =>
  Object.entries(counts)
    .filter(([k]) => !k.startsWith('k8s '))
    .reduce((a, [, n]) => a + n, 0);

function timed(args, env) {
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/time',
      [
        '-f',
        'TIME %e %M %U %S',
        process.execPath,
        ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(values.out, 'prof')}`] : []),
        bin,
        ...args,
      ],
      { env, maxBuffer: 1 << 28, timeout: limitMs },
      (error, stdout, stderr) => {
        const m = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
        if (!m || (error && error.code !== 1)) reject(new Error(`${args.join(' ')}: ${error?.message}\n${stderr}`));
        else
          resolve({
            wallMs: Number(m[1]) * 1000,
            rssMiB: Math.round(Number(m[2]) / 1024),
            cpuMs: (Number(m[3]) + Number(m[4])) * 1000,
            stdout,
          });
      },
    );
  });
}

/**
 * The lower bound of the fleet run's calls under the budget: finding the clusters (the resource search's pages,
 * one after another) comes first; everything else may overlap, and takes at least
 * max(⌈Google calls / C⌉ × 80 ms, Σ latencies / C).
 */
function bound(counts) {
  const discovery = (counts['cloudasset searchAllResources'] ?? 0) * GOOGLE_LATENCY_MS;
  const g = google(counts) - (counts['cloudasset searchAllResources'] ?? 0);
  const k = total(counts) - google(counts);
  const rest = Math.max(
    Math.ceil(g / CONCURRENCY) * GOOGLE_LATENCY_MS,
    (g * GOOGLE_LATENCY_MS + k * KUBE_LATENCY_MS) / CONCURRENCY,
  );
  return discovery + rest;
}

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-bench-fleet-'));
const t0 = performance.now();
const sandbox = await startSandbox({ scenario: fleetScenario(N) });
console.log(
  `world: ${N.projects} projects, ${N.clusters} clusters, ${N.ksas} KSAs, ${N.gsas} GSAs; sandbox up in ${s(performance.now() - t0)}`,
);
const count = counter(sandbox);
const env = {
  ...process.env,
  ...sandbox.env,
  METADATA_SERVER_DETECTION: 'none',
  GCE_METADATA_HOST: '127.0.0.1:9',
  GCE_METADATA_IP: '127.0.0.1:9',
  CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
};
const result = {
  world: N,
  latency: { googleMs: GOOGLE_LATENCY_MS, kubeMs: KUBE_LATENCY_MS },
  concurrency: CONCURRENCY,
};
try {
  count.take();
  count.takeHandlerMs();
  count.takeEvents();
  count.takeConnections();
  const elu0 = performance.eventLoopUtilization();
  const out = join(dir, 'fleet.json');
  const fleet = await timed(
    [
      'check',
      '--all',
      '--clusters',
      `organizations/${ORG}`,
      '--format',
      'json',
      '--output',
      out,
      '--quiet',
      ...TIMEOUT,
      ...(values.scope !== undefined ? ['--scope', values.scope] : []),
      ...(values['cluster-concurrency'] !== undefined ? ['--cluster-concurrency', values['cluster-concurrency']] : []),
    ],
    env,
  );
  const calls = count.take();
  const sandboxElu = performance.eventLoopUtilization(elu0);
  const handlerMs = count.takeHandlerMs();
  const events = count.takeEvents();
  const connections = count.takeConnections();
  const report = JSON.parse(readFileSync(out, 'utf8'));
  const subjects = report.verdicts.length;
  const statuses = {};
  const causes = {};
  for (const v of report.verdicts) {
    statuses[v.status] = (statuses[v.status] ?? 0) + 1;
    if (v.status !== 'pass')
      causes[`${v.status} ${v.rootCause ?? ''}`] = (causes[`${v.status} ${v.rootCause ?? ''}`] ?? 0) + 1;
  }
  const unknownChecks = {};
  for (const c of report.clusters)
    for (const r of c.report.results)
      if (r.status === 'unknown')
        unknownChecks[`${r.check}: ${r.cause ?? ''}`.slice(0, 160)] =
          (unknownChecks[`${r.check}: ${r.cause ?? ''}`.slice(0, 160)] ?? 0) + 1;
  result.fleet = {
    ...fleet,
    stdout: undefined,
    calls,
    totalCalls: total(calls),
    googleCalls: google(calls),
    boundMs: bound(calls),
    // The second line: wi-doctor's own CPU is a floor too. It collects on its main thread and diagnoses and
    // renders on a worker thread, so on two cores its CPU takes at least half of it in wall time; the bound with
    // it is the larger of the two (full overlap), the sum is what no overlap at all would cost.
    boundWithCpuMs: Math.max(bound(calls), fleet.cpuMs / 2),
    callsPlusCpuMs: bound(calls) + fleet.cpuMs,
    clustersReached: report.summary.filter((c) => c.reachable).length,
    subjects,
    statuses,
    causes,
    unknownChecks: Object.fromEntries(Object.entries(unknownChecks).slice(0, 10)),
    notReached: report.summary.filter((c) => !c.reachable).map((c) => `${c.cluster}: ${c.error ?? ''}`),
    searched: report.searched,
    notes: report.notes.slice(0, 10),
  };
  console.log(
    `fleet: ${s(fleet.wallMs)} (CPU ${s(fleet.cpuMs)}), peak RSS ${fleet.rssMiB} MiB, ${total(calls)} calls (${google(calls)} Google), ` +
      `bound ${s(bound(calls))} (${(fleet.wallMs / bound(calls)).toFixed(2)}×); ${result.fleet.clustersReached} clusters reached, ${subjects} verdicts ${JSON.stringify(statuses)}`,
  );
  console.log(
    `  bound with wi-doctor's own CPU (two threads): max(${s(bound(calls))}, ${s(fleet.cpuMs)} / 2) = ${s(result.fleet.boundWithCpuMs)} ` +
      `(${(fleet.wallMs / result.fleet.boundWithCpuMs).toFixed(2)}×); calls then CPU, no overlap: ${s(result.fleet.callsPlusCpuMs)}`,
  );
  console.log(`  calls by kind: ${JSON.stringify(calls)}`);
  console.log(
    `  sandbox thread: busy ${s(sandboxElu.active)} of ${s(sandboxElu.active + sandboxElu.idle)} (${(sandboxElu.utilization * 100).toFixed(0)} %); handler time by kind (ms): ${JSON.stringify(handlerMs)}`,
  );
  console.log(`  connections accepted by the sandbox: ${connections} for ${total(calls)} requests`);
  result.fleet.sandbox = { busyMs: sandboxElu.active, utilization: sandboxElu.utilization, handlerMs, connections };
  result.fleet.timeline = timeline(events, fleet.wallMs);
  if (events.length !== total(calls)) console.log(`  (timeline: ${events.length} of ${total(calls)} requests paired)`);
  const tl = result.fleet.timeline;
  if (tl)
    console.log(
      `  timeline (server side): first call at ${s(tl.firstArrivalMs)}, last answer at ${s(tl.lastAnswerMs)} of ${s(tl.wallMs)}; ` +
        `budget ${(tl.budgetFull * 100).toFixed(0)} % full; requests waited ${s(tl.queueingMs)} in all for the sandbox's thread beyond latency and handler`,
    );

  if (N.sample > 0) {
    // The alternative: the single-cluster command, one cluster after another, with the same search coverage.
    const sample = Math.min(N.sample, N.clusters);
    let wall = 0;
    let cpu = 0;
    let perCalls = 0;
    for (let c = 0; c < sample; c++) {
      const ctx = `gke_${pid(c)}_europe-west1_c${String(c).padStart(2, '0')}`;
      const r = await timed(
        [
          'check',
          '--all',
          '--context',
          ctx,
          '--scope',
          `organizations/${ORG}`,
          '--format',
          'json',
          '--quiet',
          ...TIMEOUT,
        ],
        env,
      );
      wall += r.wallMs;
      cpu += r.cpuMs;
      perCalls += total(count.take());
    }
    const scaled = (wall / sample) * N.clusters;
    result.perCluster = {
      sampled: sample,
      sampledWallMs: wall,
      sampledCpuMs: cpu,
      scaledCpuMs: (cpu / sample) * N.clusters,
      scaledWallMs: scaled,
      callsPerCluster: perCalls / sample,
      scaledCalls: (perCalls / sample) * N.clusters,
    };
    console.log(
      `per-cluster runs: ${sample} of ${N.clusters} clusters in ${s(wall)} (${s(wall / sample)} each, ${Math.round(perCalls / sample)} calls each); ` +
        `CPU ${s(cpu / sample)} each; scaled to ${N.clusters}: ${s(scaled)} (CPU ${s((cpu / sample) * N.clusters)}), ${Math.round(result.perCluster.scaledCalls)} calls → fleet ${(scaled / fleet.wallMs).toFixed(1)}× faster`,
    );
  }
} finally {
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
}
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`raw results: ${join(values.out, 'results.json')}`);
