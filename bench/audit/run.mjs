// Benchmark: live `wi-doctor audit` (the same collection as `collect --audit`: keys, Policy Analyzer activity,
// the newest GenerateAccessToken log entry per GSA) against the sandbox with injected latency (80 ms per Google
// call, 10 ms per Kubernetes call), on the worlds of bench/live/world.mjs: 1 KSA, 200 KSAs / 40 GSAs, 5,000
// KSAs / 500 GSAs.
// Usage: npm run build && node bench/audit/run.mjs [--sizes small,medium,large] [--no-sequential]
//        [--limit-minutes 10] [--out bench/out/audit]
// For each world: the audit in a child process (its peak RSS) at the default concurrency (and at 1), calls
// counted in the runner and at the sandbox's servers, against the minimum (bench/audit/minimum.mjs) and the
// critical-path lower bound; and the call count of the gcloud loop a user would script instead. Loopback only;
// stops by itself. Not a test: numbers go to BENCHMARKS.md by hand.

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchArgs, oneOf, positive } from '../args.mjs';

const SIZE_NAMES = ['small', 'medium', 'large'];
const values = benchArgs(
  'bench:audit',
  {
    sizes: { type: 'string', default: 'small,medium,large' },
    'no-sequential': { type: 'boolean', default: false },
    'limit-minutes': { type: 'string', default: '10' },
    out: { type: 'string', default: 'bench/out/audit' },
  },
  (v) => oneOf(v, 'sizes', SIZE_NAMES) ?? positive(v, 'limit-minutes'),
);

const { callKind, levelBound } = await import('../live/minimum.mjs');
const { auditMinimum, userLoopCalls } = await import('./minimum.mjs');
const { benchScenario, SIZES } = await import('../live/world.mjs');
const { startSandbox } = await import('../../dist/sandbox/index.js');
const { countRequests, diff, total } = await import('../sandbox-count.mjs');

const DEFAULT_CONCURRENCY = 8;
const limitMs = Number(values['limit-minutes']) * 60_000;
const deadline = setTimeout(() => {
  console.error(`bench:audit: stopped after ${values['limit-minutes']} minutes`);
  process.exit(2);
}, limitMs);
deadline.unref();

const childPath = fileURLToPath(new URL('./audit-child.mjs', import.meta.url));
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

function runChild(env, concurrency) {
  return new Promise((resolve, reject) => {
    const config = JSON.stringify({ env, ...(concurrency !== undefined ? { concurrency } : {}) });
    execFile(
      process.execPath,
      [childPath, config],
      { timeout: limitMs, maxBuffer: 1 << 28 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`audit child failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}

/** A call's kind, with the audit's extra kinds named. */
function auditKind(e) {
  const p = new URL(e.url).pathname;
  if (/entries:list$/.test(p)) return 'logging entries.list';
  if (/activities:query$/.test(p)) return 'policyanalyzer activities.query';
  if (/\/activities/.test(p)) return 'policyanalyzer activities';
  if (/\/clusters$/.test(p)) return 'container clusters.list';
  if (/\/locations\/-\/clusters$/.test(p)) return 'container clusters.list';
  return callKind(e.url);
}

async function benchOne(sizeName) {
  const size = SIZES[sizeName];
  console.log(`\n## ${sizeName}: ${size.ksas} KSAs / ${size.gsas} GSAs in ${size.namespaces} namespaces`);
  const sandbox = await startSandbox({ scenario: benchScenario(size) });
  const requests = countRequests(sandbox);
  const result = { size: sizeName, ...size, runs: {} };
  try {
    const variants = [['default', undefined], ...(values['no-sequential'] ? [] : [['sequential', 1]])];
    for (const [name, concurrency] of variants) {
      const before = requests();
      const run = await runChild(sandbox.env, concurrency);
      const server = diff(requests(), before);
      const c = concurrency ?? DEFAULT_CONCURRENCY;
      const byKind = {};
      for (const e of run.trace) byKind[auditKind(e)] = (byKind[auditKind(e)] ?? 0) + 1;
      const minimum = auditMinimum(sandbox, run.requires);
      const bound = minimum.levels.reduce((a, level) => a + levelBound(level, c), 0);
      // When each kind of call ran (first start, last end): where the wall goes beyond the bound.
      const windows = {};
      for (const e of run.trace) {
        const w = (windows[auditKind(e)] ??= [e.start, e.end]);
        w[0] = Math.min(w[0], e.start);
        w[1] = Math.max(w[1], e.end);
      }
      const r = {
        concurrency: c,
        firstCallStartMs: Math.min(...run.trace.map((e) => e.start)),
        windows: Object.fromEntries(Object.entries(windows).map(([k, [a, b]]) => [k, [Math.round(a), Math.round(b)]])),
        calls: run.totalCalls,
        serverRequests: total(server),
        byKind,
        minimum: minimum.total,
        minimumByKind: minimum.byKind,
        boundMs: bound,
        collectMs: run.collectMs,
        runnerWallMs: run.runnerWallMs,
        auditMs: run.auditMs,
        totalMs: run.totalMs,
        maxRssKiB: run.maxRssKiB,
        cpuMs: run.cpuMs,
        retries: run.retries,
        failures: run.failures,
        errors: run.errors,
        byCheck: run.byCheck,
      };
      result.runs[name] = r;
      console.log(
        `audit ${name} (concurrency ${c}): ${r.calls} calls (sandbox saw ${r.serverRequests}; minimum ${r.minimum}); ` +
          `collect ${s(r.collectMs)} vs bound ${s(bound)} (${(r.collectMs / bound).toFixed(2)}×); audit ${s(r.auditMs)}; ` +
          `total ${s(r.totalMs)}; peak RSS ${Math.round(r.maxRssKiB / 1024)} MiB; CPU ${s(r.cpuMs)}`,
      );
      console.log(`  calls by kind: ${JSON.stringify(byKind)}`);
      console.log(`  first call after ${s(r.firstCallStartMs)}; when (ms): ${JSON.stringify(r.windows)}`);
      console.log(`  minimum by kind: ${JSON.stringify(minimum.byKind)}`);
      console.log(`  results: ${JSON.stringify(r.byCheck)}`);
      if (r.failures > 0 || Object.keys(r.errors).length > 0) console.log(`  FAILURES: ${JSON.stringify(r.errors)}`);
    }
    result.userLoop = userLoopCalls(sandbox);
    console.log(`user's gcloud loop: ${JSON.stringify(result.userLoop)}`);
  } finally {
    await sandbox.stop();
  }
  return result;
}

const results = [];
for (const name of values.sizes.split(',')) results.push(await benchOne(name));
mkdirSync(values.out, { recursive: true });
writeFileSync(`${values.out}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nraw results: ${values.out}/results.json`);
clearTimeout(deadline);
