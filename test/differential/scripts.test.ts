// The long-running measurement scripts refuse bad flags the way the CLI does: one line on stderr naming the
// flag, exit 2, no stack trace, and nothing started.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

function run(script: string, args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', script), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('scripts/differential.mjs and scripts/mutation-sample.mjs: bad flags', () => {
  it.each([
    ['differential.mjs', ['--runs', 'many'], /^differential: --runs "many": expected a positive integer\n$/],
    ['differential.mjs', ['--runs', '0'], /^differential: --runs "0": expected a positive integer\n$/],
    ['differential.mjs', ['--seed', '1.5'], /^differential: --seed "1.5": expected an integer\n$/],
    ['differential.mjs', ['--rns', '3'], /^differential: .*--rns.*\n$/],
    ['mutation-sample.mjs', [], /^mutation-sample: --tests: name the test files or folders to run\n$/],
    [
      'mutation-sample.mjs',
      ['--tests', 'test/x', '--sample=-1'],
      /^mutation-sample: --sample -1: expected a positive integer\n$/,
    ],
    [
      'mutation-sample.mjs',
      ['--tests', 'test/x', '--sample', '-1'],
      /^mutation-sample: Option '--sample' argument is ambiguous\.\n$/,
    ],
  ])('%s %j', (script, args, message) => {
    const r = run(script, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
