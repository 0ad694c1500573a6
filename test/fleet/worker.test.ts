// The fleet's clusters are diagnosed on a worker thread when the command runs from the built package, and on the
// main thread from the sources (these tests' other runs): both must write the same reports, baseline included
// (each cluster's baseline use is counted on the worker and added up on the main thread).

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheckCommand } from '../../src/cli/actions/check.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';
import { sandboxEnv } from '../fix/helpers.js';
import { memoryIo } from '../helpers/memory-io.js';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'dist', 'cli', 'bin.js');
const built = existsSync(bin);
const STAGING = 'gke_acme-shop_us-central1_staging';

/** A report with the times of its making taken out (two runs may fall on either side of a minute). */
const normalized = (text: string): string =>
  text
    .replace(/"(generatedAt|collectedAt)": ?"[^"]*"/g, '"$1": "…"')
    .replace(/^(Generated|Collected).*$/gm, '')
    .replace(/read live at \d{4}-\d\d-\d\d \d\d:\d\d UTC/g, 'read live at …');

describe.skipIf(!built)('fleet diagnosis on a worker thread', { timeout: 120_000 }, () => {
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let baseline: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: join(repo, 'scenarios', 'fleet.yaml') });
    env = { ...process.env, ...sandboxEnv(sandbox, { CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false' }) };
    dir = mkdtempSync(join(tmpdir(), 'wi-doctor-fleet-worker-'));
    baseline = join(dir, 'baseline.yaml');
    writeFileSync(
      baseline,
      `suppress:\n  - check: wi-binding\n    subject: shop/orders\n    cluster: ${STAGING}\n    reason: moving to direct binding\n` +
        `  - check: wi-binding\n    subject: shop/gone\n    reason: fixed long ago\n`,
    );
  });
  afterAll(async () => {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const format of ['json', 'text'] as const) {
    it(`--format ${format}: the built command (worker thread) writes what the main thread writes`, async () => {
      const args = ['--clusters', 'projects/acme-shop', '--all', '--format', format, '--baseline', baseline];
      const onWorker = join(dir, `worker.${format}`);
      const child = await run(process.execPath, [bin, 'check', ...args, '--output', onWorker, '--debug'], {
        env,
        cwd: dir,
      });
      expect(child.stderr).toContain('clusters diagnosed on a worker thread');

      const onMain = join(dir, `main.${format}`);
      const io = memoryIo(env);
      const code = await runCheckCommand(
        { format, failOn: 'fail', all: true, clusters: 'projects/acme-shop', baseline, output: onMain, debug: true },
        io,
      );
      expect(code).toBe(0);
      expect(io.err()).toContain('clusters diagnosed on the main thread');

      const written = normalized(readFileSync(onWorker, 'utf8'));
      expect(written).toBe(normalized(readFileSync(onMain, 'utf8')));
      if (format === 'json') {
        const fleet = JSON.parse(written) as {
          clusters: unknown[];
          baseline: { suppressed: number; unused: string[] };
        };
        expect(fleet.clusters).toHaveLength(2);
        expect(fleet.baseline.suppressed).toBe(1);
        expect(fleet.baseline.unused).toHaveLength(1);
      }
    });
  }
});
