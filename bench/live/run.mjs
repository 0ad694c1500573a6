// Benchmark: live collection for `check --all` against the sandbox with injected latency (80 ms per Google
// call, 10 ms per Kubernetes call), on worlds of 1 KSA, 200 KSAs / 40 GSAs and 5,000 KSAs / 500 GSAs.
// Usage: npm run build && node bench/live/run.mjs [--sizes small,medium,large] [--sample 3] [--no-guide]
//        [--no-sequential] [--limit-minutes 20]
// For each world: our collector at the default concurrency and at concurrency 1 (each in a child process, for
// its peak memory), against the minimum number of calls and the critical-path lower bound; the reference
// guide's diagnostic script with gcloud/kubectl/jq on a sample of KSAs, scaled linearly. Loopback only; stops
// by itself. Not a test: numbers go to BENCHMARKS.md by hand. Raw results: bench/out/live/results.json.

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runGuideScript } from './guide-script.mjs';
import { callKind, chainsOfTrace, levelBound, lowerBound, minimumCalls, worldCounts } from './minimum.mjs';
import { benchScenario, CLUSTER, ksasOf, SIZES } from './world.mjs';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'small,medium,large' },
    sample: { type: 'string', default: '3' },
    'no-guide': { type: 'boolean', default: false },
    'no-sequential': { type: 'boolean', default: false },
    'limit-minutes': { type: 'string', default: '20' },
    out: { type: 'string', default: 'bench/out/live' },
  },
});

const DEFAULT_CONCURRENCY = 8; // `--concurrency` default (src/collect/live/live.ts)
const limitMs = Number(values['limit-minutes']) * 60_000;
const deadline = setTimeout(() => {
  console.error(`bench: stopped after ${values['limit-minutes']} minutes`);
  process.exit(2);
}, limitMs);
deadline.unref();

const dist = new URL('../../dist/', import.meta.url);
const { startSandbox } = await import(new URL('sandbox/index.js', dist).href);
const { DIAGNOSE_CHECKS: CHECKS } = await import(new URL('checks/index.js', dist).href);
const { selectChecks } = await import(new URL('engine/diagnose.js', dist).href);
const { requiredFacts } = await import(new URL('collect/live/live.js', dist).href);
const { kindsFor } = await import(new URL('collect/live/collect.js', dist).href);

const childPath = fileURLToPath(new URL('./collect-child.mjs', import.meta.url));
const kinds = kindsFor({ requires: requiredFacts(selectChecks(CHECKS)), targets: { all: true }, options: {} });

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes) => `${Math.round(bytes / 2 ** 20)} MiB`;

/** Count every request the sandbox's servers receive, by API (Google, Kubernetes, metadata). */
function countRequests(sandbox) {
  const counts = {};
  const faults = sandbox.world.faults;
  const decide = faults.decide.bind(faults);
  faults.decide = (api, path) => {
    counts[api] = (counts[api] ?? 0) + 1;
    return decide(api, path);
  };
  return () => ({ ...counts });
}
const diff = (after, before) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)])
      .filter(([, v]) => v > 0),
  );
const total = (counts) => Object.values(counts).reduce((a, n) => a + n, 0);

function runChild(env, concurrency, timeoutMs) {
  return new Promise((resolve, reject) => {
    const config = JSON.stringify({ env, ...(concurrency !== undefined ? { concurrency } : {}) });
    execFile(
      process.execPath,
      [childPath, config],
      { timeout: timeoutMs, maxBuffer: 1 << 28 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`collector child failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}

function byKind(trace) {
  const out = {};
  for (const e of trace) out[callKind(e.url)] = (out[callKind(e.url)] ?? 0) + 1;
  return out;
}

async function benchOne(sizeName) {
  const size = SIZES[sizeName];
  console.log(
    `\n## ${sizeName}: ${size.ksas} KSAs / ${size.gsas} GSAs in ${size.namespaces} namespaces, ${size.nodes} nodes`,
  );
  const t0 = performance.now();
  const sandbox = await startSandbox({ scenario: benchScenario(size) });
  console.log(`sandbox up in ${s(performance.now() - t0)}`);
  const requests = countRequests(sandbox);
  const result = { size: sizeName, ...size, runs: {} };
  try {
    const counts = worldCounts(sandbox, kinds, CLUSTER.project);
    const minimum = minimumCalls(counts);
    result.world = counts;
    result.minimum = {
      total: minimum.total,
      google: minimum.google,
      kube: minimum.kube,
      byLevel: minimum.levels.map((l) => l.map((c) => `${c.what} ×${c.n}`)),
      boundDefault: lowerBound(minimum.levels, DEFAULT_CONCURRENCY),
      boundSequential: lowerBound(minimum.levels, 1),
    };
    console.log(`world: ${JSON.stringify(counts.objects)}; accounts ${JSON.stringify(counts.accounts)}`);
    console.log(
      `minimum: ${minimum.total} calls (${minimum.google} Google, ${minimum.kube} Kubernetes); ` +
        `its lower bound ${s(result.minimum.boundDefault)} at concurrency ${DEFAULT_CONCURRENCY}, ${s(result.minimum.boundSequential)} at 1`,
    );

    const variants = [['default', undefined], ...(values['no-sequential'] ? [] : [['sequential', 1]])];
    for (const [name, concurrency] of variants) {
      const before = requests();
      const run = await runChild(sandbox.env, concurrency, limitMs);
      const server = diff(requests(), before);
      const c = concurrency ?? DEFAULT_CONCURRENCY;
      const phases = chainsOfTrace(run.trace);
      const phaseBounds = phases.map((p) => ({
        phase: p.name,
        calls: p.chains.reduce((a, ch) => a + ch.n, 0),
        boundMs: levelBound(p.chains, c),
      }));
      const boundMs = phaseBounds.reduce((a, p) => a + p.boundMs, 0);
      const googleMs = run.trace
        .filter((e) => !/\/apis?\//.test(new URL(e.url).pathname))
        .map((e) => e.ms)
        .sort((a, b) => a - b);
      const r = {
        concurrency: c,
        calls: run.totalCalls,
        serverRequests: total(server),
        callsByKind: byKind(run.trace),
        retries: run.retries,
        failures: run.failures,
        errors: run.errors,
        peakInFlight: run.peakInFlight,
        collectMs: run.collectMs,
        runnerWallMs: run.runnerWallMs,
        diagnoseMs: run.diagnoseMs,
        totalMs: run.totalMs,
        boundMs,
        phaseBounds,
        phaseActualMs: phases.map((p) => {
          const events = run.trace.filter((e) => e.phase === p.name);
          return { phase: p.name, ms: Math.max(...events.map((e) => e.end)) - Math.min(...events.map((e) => e.start)) };
        }),
        googleCallMs: {
          p50: googleMs[googleMs.length >> 1],
          p90: googleMs[Math.floor(googleMs.length * 0.9)],
          max: googleMs.at(-1),
        },
        firstCallStartMs: Math.min(...run.trace.map((e) => e.start)),
        cpuMs: run.cpuMs,
        maxRssKiB: run.maxRssKiB,
        peakHeapBytes: run.peakHeapBytes,
        subjects: run.subjects,
        results: run.results,
        summary: run.summary,
        verdicts: run.verdicts,
        notPass: run.notPass,
      };
      result.runs[name] = r;
      console.log(
        `wi-doctor ${name} (concurrency ${c}): ${r.calls} calls (sandbox saw ${r.serverRequests}; minimum ${minimum.total}), ` +
          `collect ${s(r.collectMs)} (first call to last answer ${s(r.runnerWallMs)}) vs bound ${s(boundMs)} for these calls ` +
          `(${(r.runnerWallMs / boundMs).toFixed(2)}×) and ${s(c === 1 ? result.minimum.boundSequential : result.minimum.boundDefault)} for the minimum; ` +
          `diagnose ${s(r.diagnoseMs)}; total ${s(r.totalMs)}; peak RSS ${mib(r.maxRssKiB * 1024)}; ` +
          `${r.subjects} verdicts ${JSON.stringify(r.verdicts)}, summary ${JSON.stringify(r.summary)} ${JSON.stringify(r.notPass)}`,
      );
      console.log(`  calls by kind: ${JSON.stringify(r.callsByKind)}`);
      console.log(
        `  phases (actual vs bound): ${r.phaseActualMs.map((p, i) => `${p.phase} ${s(p.ms)} vs ${s(phaseBounds[i].boundMs)} (${phaseBounds[i].calls} calls)`).join('; ')}`,
      );
      console.log(
        `  Google call time p50 ${r.googleCallMs.p50} ms, p90 ${r.googleCallMs.p90} ms, max ${r.googleCallMs.max} ms; first call after ${s(r.firstCallStartMs)}; CPU ${s(r.cpuMs)}`,
      );
      if (r.failures > 0 || Object.keys(r.errors).length > 0) console.log(`  FAILURES: ${JSON.stringify(r.errors)}`);
    }

    if (!values['no-guide']) {
      const all = ksasOf(size);
      const n = Math.min(Number(values.sample), all.length);
      // First, middle and last KSAs (or as many as asked), so the sample is spread over namespaces and GSAs.
      const sample = Array.from({ length: n }, (_, i) => all[Math.floor((i * (all.length - 1)) / Math.max(1, n - 1))]);
      const before = requests();
      const runs = await runGuideScript(sandbox.env, { cluster: CLUSTER.name, location: CLUSTER.location }, sample);
      const server = diff(requests(), before);
      const meanMs = runs.reduce((a, r) => a + r.ms, 0) / runs.length;
      // Each of the four answers must be there: the pool, the annotation, the binding, the KSA name; and no errors.
      const ok = runs.every(
        (r) =>
          r.code === 0 &&
          r.stderr.trim() === '' &&
          r.stdout.includes(`${CLUSTER.project}.svc.id.goog`) &&
          r.stdout.includes('iam.gke.io/gcp-service-account') &&
          r.stdout.includes('roles/iam.workloadIdentityUser') &&
          r.stdout.includes(`\n${r.ksa.split('/')[1]}\n`),
      );
      result.guide = {
        sampled: runs.map((r) => ({ ksa: r.ksa, ms: r.ms, code: r.code })),
        meanMs,
        scaledMs: meanMs * size.ksas,
        serverRequestsPerKsa: total(server) / runs.length,
        serverRequestsByApi: server,
        ok,
        exampleOutput: runs[0]?.stdout,
        stderr: runs.map((r) => r.stderr).filter((e) => e.trim() !== ''),
      };
      console.log(
        `guide script: ${runs.length} KSAs sampled, ${s(meanMs)} per KSA (${runs.map((r) => s(r.ms)).join(', ')}), ` +
          `${result.guide.serverRequestsPerKsa} requests per KSA ${JSON.stringify(server)}; ` +
          `scaled to ${size.ksas} KSAs: ${s(result.guide.scaledMs)}; outputs as expected: ${ok}`,
      );
      if (!ok) console.log(`  guide stderr: ${result.guide.stderr.join('\n').slice(0, 2000)}`);
      const ours = result.runs.default?.totalMs;
      if (ours !== undefined)
        console.log(
          `  wi-doctor check --all (collect + diagnose) is ${(result.guide.scaledMs / ours).toFixed(1)}× faster`,
        );
    }
  } finally {
    await sandbox.stop();
  }
  return result;
}

const results = [];
for (const name of values.sizes.split(',')) {
  if (!(name in SIZES)) throw new Error(`unknown size ${name} (${Object.keys(SIZES).join(', ')})`);
  results.push(await benchOne(name));
}
mkdirSync(values.out, { recursive: true });
writeFileSync(`${values.out}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nraw results: ${values.out}/results.json`);
clearTimeout(deadline);
