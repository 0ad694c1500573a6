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
    env: {
      // Client libraries probe 169.254.169.254 and metadata.google.internal when left alone.
      METADATA_SERVER_DETECTION: 'none',
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
      NO_COLOR: '1',
    },
  },
});
