import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The slowest files (measured, BENCHMARKS.md "The test suite"), started first: a long file started last keeps
 * the run going on one core after the others finished. Vitest orders by the durations it cached on a previous
 * run; a clean checkout (the CI) has none, and file size says little about duration here.
 */
const SLOW_FIRST = [
  'test/docs/commands-pages-1.test.ts',
  'test/docs/commands-pages-2.test.ts',
  'test/docs/commands-pages-3.test.ts',
  'test/sandbox/gcloud.test.ts',
  'test/sandbox/google-keys.test.ts',
  'test/fleet/docs-commands.test.ts',
  'test/sandbox/google-inventory.test.ts',
  'test/cli/audit-docs-commands.test.ts',
  'test/browser/report.test.ts',
  'test/sandbox/google-addressing.test.ts',
  'test/sandbox/google-audit.test.ts',
  'test/docs/html-commands.test.ts',
  'test/engine/must-not-pass.test.ts',
  'test/differential/static-vs-sandbox.test.ts',
  'test/audit/gcloud-live.test.ts',
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification): number => {
      const at = SLOW_FIRST.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
      return at < 0 ? SLOW_FIRST.length : at;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most test time is spent waiting on child processes and loopback servers (gcloud, kubectl, the sandbox):
    // three workers on two cores finish in about 6 minutes where one worker took about 10.
    maxWorkers: 3,
    // One worker runs many files in turn, its loaded modules kept: a fresh process per file cost about 0.7 s of
    // CPU each (Node start-up, loading src/ again), half the CPU of the unit folders. Test files restore what
    // they change of process-wide state (process.env, cwd) and stop what they start.
    isolate: false,
    sequence: { sequencer: SlowFirst },
    env: {
      // Client libraries probe 169.254.169.254 and metadata.google.internal when left alone.
      METADATA_SERVER_DETECTION: 'none',
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
      NO_COLOR: '1',
    },
  },
});
