// Where the package's own files are (docs, data, examples), whether running from src/ (tests) or dist/ (built).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root: src/cli and dist/cli are both two levels below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function packageVersion(): string {
  const json = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return json.version ?? '0.0.0';
}
