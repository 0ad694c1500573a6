// Golden files: `expectGolden(name, text)` compares with test/report/golden/<name>; UPDATE_GOLDEN=1
// (npm run golden) rewrites them instead. Review the diff of the golden files before committing.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'vitest';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');

export function expectGolden(name: string, text: string): void {
  const file = join(GOLDEN_DIR, name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(`golden file ${name} is missing: run \`npm run golden\` and review it`);
  }
  expect(text, `output differs from golden/${name} (npm run golden rewrites it)`).toBe(readFileSync(file, 'utf8'));
}
