// One live collection in a process of its own, so that its peak memory is the collector's and not the
// sandbox's. Input: argv[2] = JSON {env, concurrency?}. Output: one JSON line on stdout (counts, times, the
// trace of every HTTP attempt with its phase, peak RSS, the verdicts of `check --all`).

import { performance } from 'node:perf_hooks';

process.env.METADATA_SERVER_DETECTION = 'none';
const config = JSON.parse(process.argv[2] ?? '{}');
const root = new URL('../../dist/', import.meta.url);
const { DIAGNOSE_CHECKS: CHECKS } = await import(new URL('checks/index.js', root).href);
const { selectChecks, diagnose } = await import(new URL('engine/diagnose.js', root).href);
const { collectLiveInput, requiredFacts } = await import(new URL('collect/live/live.js', root).href);
const { factsFromFiles } = await import(new URL('collect/bundle/facts.js', root).href);

let peakHeap = 0;
const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 10);

const checks = selectChecks(CHECKS, undefined, undefined);
const requires = requiredFacts(checks);
const options = {
  all: true,
  quiet: true,
  ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
};
const t0 = performance.now();
const trace = [];
const { input, stats } = await collectLiveInput(options, requires, {
  env: { ...config.env, METADATA_SERVER_DETECTION: 'none' },
  // onTrace runs before the call settles and phases are separated by barriers (collect.ts), so the phase at
  // settle time is the phase the attempts ran in.
  onProgress: (p) => {
    for (let i = trace.length - 1; i >= 0 && trace[i].phase === undefined; i--) trace[i].phase = p.phase;
  },
  onTrace: (e) => {
    const end = performance.now() - t0;
    trace.push({ url: e.url, status: e.status, ms: e.ms, end, start: end - e.ms });
  },
});
const collectMs = performance.now() - t0;
const facts = factsFromFiles(input);
const report = diagnose(facts, CHECKS, {
  targets: { all: true },
  options: { need: [], on: undefined, impersonate: undefined, e2e: false },
  source: 'live',
  version: 'bench',
});
const totalMs = performance.now() - t0;
clearInterval(sampler);
// Results that are neither pass nor skip, by check and status: what the world makes the checks say.
const notPass = {};
for (const r of report.results) {
  if (r.status === 'pass' || r.status === 'skip') continue;
  const key = `${r.checkId ?? r.check ?? r.id}:${r.status}`;
  notPass[key] = (notPass[key] ?? 0) + 1;
}
const verdicts = {};
// Root cause per subject (`none` = nothing failed), to show the collection was complete enough for a verdict.
for (const v of report.verdicts) verdicts[v.rootCause ?? 'none'] = (verdicts[v.rootCause ?? 'none'] ?? 0) + 1;
process.stdout.write(
  `${JSON.stringify({
    requires,
    concurrency: options.concurrency ?? 'default',
    collectMs,
    diagnoseMs: totalMs - collectMs,
    totalMs,
    runnerWallMs: stats.wallMs,
    calls: stats.calls,
    totalCalls: stats.totalCalls,
    retries: stats.retries,
    failures: stats.failures,
    peakInFlight: stats.peakInFlight,
    phases: stats.phases,
    errors: input.manifest.errors ?? {},
    absent: input.manifest.absent ?? [],
    subjects: report.verdicts.length,
    results: report.results.length,
    summary: report.summary,
    verdicts,
    notPass,
    maxRssKiB: process.resourceUsage().maxRSS,
    cpuMs: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1000,
    peakHeapBytes: peakHeap,
    trace,
  })}\n`,
);
