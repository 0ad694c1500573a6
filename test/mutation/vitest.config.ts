// The tests a mutation run uses (`npm run mutation`): the fast, in-process ones that exercise src/checks and
// src/model. The sandbox, live, CLI and differential suites start servers and take minutes; they are measured
// apart (docs/testing.md).

import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    env: { ...base.test?.env, WI_DOCTOR_MUTATION: '1' },
    include: [
      'test/checks/**/*.test.ts',
      'test/model/**/*.test.ts',
      'test/engine/**/*.test.ts',
      'test/fix/**/*.test.ts',
      'test/report/**/*.test.ts',
      'test/examples.test.ts',
    ],
  },
});
