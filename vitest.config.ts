import { defineConfig } from 'vitest/config';

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
    env: {
      // Client libraries probe 169.254.169.254 and metadata.google.internal when left alone.
      METADATA_SERVER_DETECTION: 'none',
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
      NO_COLOR: '1',
    },
  },
});
