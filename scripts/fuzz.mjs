// `npm run fuzz -- --runs N [--seed S]`: the fuzz suite of the input boundary (test/fuzz/), longer than the
// seeded run of `npm test`. Run it before a release with a few thousand runs; a failure prints the seed and
// the path that reproduce it (`--seed S` with the same runs replays it).

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '1000' }, seed: { type: 'string' } },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('fuzz: --runs and --seed take whole numbers, e.g. npm run fuzz -- --runs 2000 --seed 7');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
console.log(`fuzz: ${runs} runs, seed ${seed}`);
const result = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/fuzz'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_SEED: String(seed) },
});
process.exit(result.status ?? 1);
