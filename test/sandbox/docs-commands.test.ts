// The gcloud/kubectl lines docs/sandbox.md shows under its sandbox-commands marker, run exactly as written
// (bash, the sandbox's environment) against the healthy scenario: each must exit 0.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HAS_GCLOUD, startCli, type Cli } from './gcloud-helpers.js';

const run = promisify(execFile);
const doc = readFileSync(new URL('../../docs/sandbox.md', import.meta.url), 'utf8');
const block = /<!-- sandbox-commands:[^>]*-->\n```sh\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
const commands = block.split('\n').filter((l) => l.trim() !== '');

describe.skipIf(!HAS_GCLOUD)('docs/sandbox.md commands', { timeout: 180_000 }, () => {
  let cli: Cli;
  beforeAll(async () => {
    cli = await startCli('healthy');
  });
  afterAll(async () => {
    await cli.stop();
  });

  test('the block is there', () => {
    expect(commands.length).toBeGreaterThanOrEqual(5);
  });

  test.each(commands)('%s', async (line) => {
    const { stdout } = await run('bash', ['-c', line], { env: cli.env, timeout: 90_000 });
    expect(stdout.length).toBeGreaterThan(0);
  });
});
