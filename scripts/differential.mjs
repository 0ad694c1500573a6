// npm run differential -- --runs 1000 [--seed 42]
// The differential test's generated worlds at length, outside CI (CI runs 25 seeded worlds inside npm test):
// each world is the healthy sandbox with a random combination of faults, diagnosed live by the tool and
// compared with an oracle and with what the sandbox's metadata servers answer. Prints the summary; exits
// non-zero on the first disagreement (fast-check prints the world and shrinks it).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`differential: ${message}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: { runs: { type: 'string', default: '1000' }, seed: { type: 'string', default: '42' } },
  }));
} catch (error) {
  fail((error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '');
}
const runs = Number(values.runs);
const seed = Number(values.seed);
if (!Number.isInteger(runs) || runs < 1) fail(`--runs ${JSON.stringify(values.runs)}: expected a positive integer`);
if (!Number.isInteger(seed)) fail(`--seed ${JSON.stringify(values.seed)}: expected an integer`);

const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-differential-'));
const report = join(dir, 'summary.json');
const started = Date.now();
const child = spawn(
  process.execPath,
  [
    join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    'test/differential/static-vs-sandbox.test.ts',
    '-t',
    'generated worlds',
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      DIFFERENTIAL_RUNS: String(runs),
      DIFFERENTIAL_SEED: String(seed),
      DIFFERENTIAL_REPORT: report,
      METADATA_SERVER_DETECTION: 'none',
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
    },
  },
);
const stop = (signal) => child.kill(signal);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', (code, signal) => {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  let summary;
  try {
    summary = JSON.parse(readFileSync(report, 'utf8'));
  } catch {
    summary = undefined;
  }
  rmSync(dir, { recursive: true, force: true });
  if (summary !== undefined) {
    process.stdout.write(`\ndifferential: ${JSON.stringify({ ...summary, seconds })}\n`);
  }
  process.exit(code ?? (signal !== null ? 1 : 0));
});
