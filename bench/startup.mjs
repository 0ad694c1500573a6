// Startup: how long a command takes from launch to exit, against the lower bound (bare `node`) and the
// alternative a user has (`kubectl version --client`, where kubectl is installed). Median of N runs each.
// Usage: npm run build && node bench/startup.mjs [--runs 15]

import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const RUNS = Number(values.runs);
const bin = 'dist/cli/bin.js';

const cases = [
  ['node -e 0 (lower bound)', process.execPath, ['-e', '0']],
  ['wi-doctor --version', process.execPath, [bin, '--version']],
  ['wi-doctor check --help', process.execPath, [bin, 'check', '--help']],
  [
    'wi-doctor check --from examples/healthy --all',
    process.execPath,
    [bin, 'check', '--from', 'examples/healthy', '--all'],
  ],
  ['kubectl version --client', 'kubectl', ['version', '--client']],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [label, cmd, args] of cases) {
  const walls = [];
  let rss = 0;
  let failed;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const run = spawnSync(cmd, cmd === process.execPath ? ['--import', './bench/rss-at-exit.mjs', ...args] : args, {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    walls.push(performance.now() - start);
    if (run.error) {
      failed = run.error.message;
      break;
    }
    const m = /bench: maxRSS (\d+) KiB/.exec(run.stderr ?? '');
    if (m) rss = Math.max(rss, Number(m[1]));
  }
  if (failed) {
    console.log(`${label.padEnd(48)} not run: ${failed}`);
    continue;
  }
  const ms = median(walls);
  console.log(
    `${label.padEnd(48)} ${(ms / 1000).toFixed(3)} s median of ${RUNS}${rss ? `, peak RSS ${(rss / 1024).toFixed(0)} MiB` : ''}`,
  );
}
