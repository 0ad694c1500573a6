// Benchmark: the HTML report and the identity graph of a large cluster, built and opened in a browser.
// Usage: npm run build && node bench/html-graph.mjs [--ksas 5000] [--pods 12500] [--gsas 500] [--runs 3]
// Generates the bundle with bench/scale-bundle.mjs, times graph building and HTML rendering in this process,
// then opens `graph --format html` and `check --all --format html` in Debian's headless Chromium
// (/usr/bin/chromium, driven by playwright-core) and reports, per page, the time from navigation start to
// the graph being drawn (the page sets data-ready on #graph-canvas after Cytoscape's first layout), the
// time to expand one namespace and to highlight one subject's path. Not a test: numbers go to BENCHMARKS.md.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    ksas: { type: 'string', default: '5000' },
    pods: { type: 'string', default: '12500' },
    gsas: { type: 'string', default: '500' },
    namespaces: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench/out/html-graph' },
  },
});
const RUNS = Number(values.runs);
const bundle = join(values.out, 'bundle');

const gen = spawnSync(
  process.execPath,
  [
    'bench/scale-bundle.mjs',
    '--ksas',
    values.ksas,
    '--pods',
    values.pods,
    '--gsas',
    values.gsas,
    '--namespaces',
    values.namespaces,
    '--out',
    bundle,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
);
if (gen.status !== 0) process.exit(gen.status ?? 1);

const { readBundle } = await import('../dist/collect/bundle/read.js');
const { diagnose } = await import('../dist/engine/diagnose.js');
const { CHECKS } = await import('../dist/checks/index.js');
const { identityGraph } = await import('../dist/graph/index.js');
const { renderHtml, renderGraphHtml } = await import('../dist/report/html/index.js');
const { renderGraphJson } = await import('../dist/report/graph/json.js');

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const { facts } = await readBundle(bundle);
const report = diagnose(facts, CHECKS, {
  targets: { all: true },
  options: { need: [], on: undefined, impersonate: undefined, e2e: false },
  source: bundle,
  version: 'bench',
});
let t = performance.now();
const graph = identityGraph(facts, report);
const graphMs = performance.now() - t;
t = performance.now();
const graphJson = renderGraphJson(graph);
const jsonMs = performance.now() - t;
t = performance.now();
const graphPage = renderGraphHtml(graph);
const graphPageMs = performance.now() - t;
t = performance.now();
const reportPage = renderHtml(report, { graph });
const reportPageMs = performance.now() - t;

const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-bench-html-'));
const pages = { 'graph --format html': join(dir, 'graph.html'), 'check --all --format html': join(dir, 'report.html') };
writeFileSync(pages['graph --format html'], graphPage);
writeFileSync(pages['check --all --format html'], reportPage);
const mb = (file) => `${(statSync(file).size / 1e6).toFixed(1)} MB`;

console.log(
  `load average at start: ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (${(await import('node:os')).cpus().length} cores)`,
);
console.log(`bundle: ${values.ksas} KSAs, ${values.pods} pods, ${values.gsas} GSAs, ${values.namespaces} namespaces`);
console.log(
  `graph: ${graph.nodes.length} nodes, ${graph.edges.length} edges, built in ${fmt(graphMs)}; JSON ${(graphJson.length / 1e6).toFixed(1)} MB in ${fmt(jsonMs)}`,
);
console.log(`graph page: ${mb(pages['graph --format html'])}, rendered in ${fmt(graphPageMs)}`);
console.log(
  `report page: ${mb(pages['check --all --format html'])} (${report.verdicts.length} subjects), rendered in ${fmt(reportPageMs)}`,
);

const { chromium } = await import('playwright-core');
const profile = mkdtempSync(join(tmpdir(), 'wi-doctor-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1280, height: 900 },
});
const firstSubject = graph.subjects.find((s) => s.status === 'fail')?.subject ?? graph.subjects[0]?.subject;
const results = {};
try {
  for (const [name, file] of Object.entries(pages)) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const page = await context.newPage();
      // Main-thread busy time (CDP Performance.getMetrics), next to wall time: on a shared machine, wall time
      // also counts waiting for a core.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const errors = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href, { timeout: 120_000 });
      await page.waitForSelector('#graph-canvas[data-ready="true"]', { timeout: 120_000 });
      // performance.now() counts from navigation start; the mark is set when the first layout is drawn.
      const ready = await page.evaluate(`performance.getEntriesByName('wi-graph-ready')[0].startTime`);
      const loaded = await page.evaluate(`performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd`);
      const metric = (all, name) => all.find((m) => m.name === name)?.value ?? NaN;
      const { metrics } = await cdp.send('Performance.getMetrics');
      const busy = metric(metrics, 'TaskDuration') * 1000;
      const script = metric(metrics, 'ScriptDuration') * 1000;
      let s = performance.now();
      await page.selectOption('#g-namespace', { index: 1 });
      await page.click('#g-expand');
      const expandMs = performance.now() - s;
      s = performance.now();
      await page.selectOption('#g-subject', firstSubject);
      const highlightMs = performance.now() - s;
      const status = await page.locator('#g-status').textContent();
      runs.push({ loaded, ready, busy, script, expandMs, highlightMs, status, errors: errors.length });
      await page.close();
    }
    results[name] = runs;
    const median = (key) => [...runs.map((r) => r[key])].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
    console.log(
      `${name}: DOMContentLoaded ${fmt(median('loaded'))}, graph drawn ${fmt(median('ready'))} (main thread busy ${fmt(median('busy'))}, of it script ${fmt(median('script'))}), expand one namespace ${fmt(median('expandMs'))}, highlight a path ${fmt(median('highlightMs'))} (median of ${RUNS}; console errors: ${runs.reduce((n, r) => n + r.errors, 0)})`,
    );
    console.log(`  graph status: ${runs[0]?.status}`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(join(values.out, 'results.json'), JSON.stringify({ args: values, results }, null, 2));
