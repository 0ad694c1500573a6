// The tests a mutation run uses (`npm run mutation`): the unit tests that pin src/checks and src/model down
// (test/checks, test/model, test/engine). The example bundles, renderers, sandbox, live, CLI and differential
// suites run the same code end to end and take far longer per mutant; the differential test's own rate of
// caught mutants is measured apart (scripts/mutation-sample.mjs, docs/testing.md).

import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    env: { ...base.test?.env, WI_DOCTOR_MUTATION: '1' },
    include: ['test/checks/**/*.test.ts', 'test/model/**/*.test.ts', 'test/engine/**/*.test.ts'],
  },
});
