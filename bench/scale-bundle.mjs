// Benchmark: analyse a bundle of 20,000 KSAs and 50,000 pods with `check --all`.
// Usage: npm run build && node bench/scale-bundle.mjs [--ksas 20000] [--pods 50000] [--gsas 500]
// Generates the bundle under bench/out/, then times reading and diagnosing it in this process (wall and CPU
// time per phase, peak RSS), then runs the CLI itself on it — `check --from DIR --all` with the text and
// the JSON report — in a process of its own, for its wall time, CPU time and peak RSS. Not a test: numbers
// go to BENCHMARKS.md by hand.

import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { writeScaleBundle } from './scale-bundle-gen.mjs';

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
const dir = values.out;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

const genMs = writeScaleBundle(dir, { ksas: KSAS, pods: PODS, gsas: GSAS, namespaces: NAMESPACES });
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
