// npm run mutation:sample -- --tests test/differential [--sample 30] [--seed 1] [--src src/checks]
// How many mutants a test suite catches, on a seeded sample: for suites too slow for a full mutation run (the
// differential test starts a sandbox per world). Each mutant flips one comparison or boolean operator, or drops
// one negation, in the TypeScript sources under --src (found with the TypeScript compiler API); the suite runs
// against a copy of the repository with that one change, and a failing run catches it. The working tree is
// never touched. `npm run mutation` (StrykerJS) is the full run over the unit tests.

import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`mutation-sample: ${message}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      src: { type: 'string', multiple: true, default: ['src/checks'] },
      tests: { type: 'string', multiple: true },
      sample: { type: 'string', default: '30' },
      seed: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '900' },
      out: { type: 'string' },
    },
  });
} catch (error) {
  fail((error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '');
}
const { values } = parsed;
if (values.tests === undefined || values.tests.length === 0) fail('--tests: name the test files or folders to run');
const sampleSize = Number(values.sample);
const seed = Number(values.seed);
const timeoutMs = Number(values.timeout) * 1000;
if (!Number.isInteger(sampleSize) || sampleSize < 1) fail(`--sample ${values.sample}: expected a positive integer`);
if (!Number.isInteger(seed)) fail(`--seed ${values.seed}: expected an integer`);
if (!(timeoutMs > 0)) fail(`--timeout ${values.timeout}: expected seconds`);

/** Operator flips: each comparison to its opposite, && and || to each other. */
const FLIPS = new Map([
  [ts.SyntaxKind.EqualsEqualsEqualsToken, '!=='],
  [ts.SyntaxKind.ExclamationEqualsEqualsToken, '==='],
  [ts.SyntaxKind.LessThanToken, '>='],
  [ts.SyntaxKind.LessThanEqualsToken, '>'],
  [ts.SyntaxKind.GreaterThanToken, '<='],
  [ts.SyntaxKind.GreaterThanEqualsToken, '<'],
  [ts.SyntaxKind.AmpersandAmpersandToken, '||'],
  [ts.SyntaxKind.BarBarToken, '&&'],
]);

function sourcesUnder(dir) {
  const out = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...sourcesUnder(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

/** Every mutation site of one file: { file, start, end, replacement, line, description }. */
function sitesOf(file) {
  const text = readFileSync(join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const sites = [];
  const visit = (node) => {
    if (ts.isBinaryExpression(node) && FLIPS.has(node.operatorToken.kind)) {
      const op = node.operatorToken;
      sites.push({
        file,
        start: op.getStart(source),
        end: op.getEnd(),
        replacement: FLIPS.get(op.kind),
        line: source.getLineAndCharacterOfPosition(op.getStart(source)).line + 1,
        description: `${op.getText(source)} → ${FLIPS.get(op.kind)}`,
      });
    } else if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
      const start = node.getStart(source);
      sites.push({
        file,
        start,
        end: start + 1,
        replacement: '',
        line: source.getLineAndCharacterOfPosition(start).line + 1,
        description: `drop ! of ${node.getText(source).slice(0, 40)}`,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** mulberry32: a small seeded generator, so a sample can be drawn again. */
function random(seedValue) {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const files = values.src.flatMap(sourcesUnder);
const all = files.flatMap(sitesOf);
const next = random(seed);
const shuffled = all.map((s) => ({ s, k: next() })).sort((a, b) => a.k - b.k);
const sample = shuffled.slice(0, Math.min(sampleSize, all.length)).map((x) => x.s);

// A copy of the repository to mutate; node_modules is shared through a symlink.
const copy = mkdtempSync(join(tmpdir(), 'wi-doctor-mutation-'));
for (const name of readdirSync(root)) {
  if (['node_modules', '.git', 'dist', 'dist-check', '.stryker-tmp', 'reports', 'coverage', 'bench'].includes(name))
    continue;
  cpSync(join(root, name), join(copy, name), { recursive: true });
}
symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');

let current;
function cleanUp() {
  if (current !== undefined) {
    try {
      process.kill(-current.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(copy, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanUp();
  process.exit(130);
});
process.on('SIGTERM', () => {
  cleanUp();
  process.exit(143);
});

function runTests() {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [join(copy, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...values.tests],
      {
        cwd: copy,
        stdio: 'ignore',
        detached: true,
        env: { ...process.env, METADATA_SERVER_DETECTION: 'none', CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false' },
      },
    );
    current = child;
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ code, timedOut: signal === 'SIGKILL', seconds: (Date.now() - started) / 1000 });
    });
  });
}

const log = (line) => process.stdout.write(`${line}\n`);
log(
  `${all.length} mutation sites in ${files.length} files under ${values.src.join(', ')}; sample of ${sample.length} (seed ${seed})`,
);
log(`suite: vitest run ${values.tests.join(' ')}`);

const baseline = await runTests();
if (baseline.code !== 0) {
  cleanUp();
  fail(`the suite fails without any mutation (exit ${String(baseline.code)}): fix it first`);
}
log(`baseline passes in ${baseline.seconds.toFixed(0)} s`);

const results = [];
for (const [i, site] of sample.entries()) {
  const path = join(copy, site.file);
  const original = readFileSync(path, 'utf8');
  writeFileSync(path, original.slice(0, site.start) + site.replacement + original.slice(site.end));
  const outcome = await runTests();
  writeFileSync(path, original);
  const caught = outcome.code !== 0;
  results.push({ ...site, caught, timedOut: outcome.timedOut, seconds: outcome.seconds });
  log(
    `${String(i + 1).padStart(3)}/${sample.length} ${caught ? 'caught  ' : 'SURVIVED'} ${relative('.', site.file)}:${site.line} ${site.description}`,
  );
}
cleanUp();

const caught = results.filter((r) => r.caught).length;
const summary = {
  suite: values.tests,
  src: values.src,
  sites: all.length,
  sample: results.length,
  seed,
  caught,
  rate: Number((caught / Math.max(1, results.length)).toFixed(3)),
  survivors: results.filter((r) => !r.caught).map((r) => `${r.file}:${r.line} ${r.description}`),
};
if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify({ ...summary, results }, null, 2)}\n`);
log(`\ncaught ${caught} of ${results.length} (${(summary.rate * 100).toFixed(1)} %)`);
