// Write an in-memory bundle (`BundleInput`) as a bundle folder (docs/bundle.md): bundle.json plus one pretty
// JSON file per entry. Error entries are not files: they live in the manifest's `errors`. Every file is
// reduced to the fields the checks read and redacted of secrets once more on the way out (allowlist.ts):
// whatever hands it a bundle, nothing else is written.

import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { UsageError } from '../../engine/errors.js';
import { redactSecrets } from '../../model/redact.js';
import { allowlistedFile } from './allowlist.js';
import type { BundleInput } from './facts.js';
import { MANIFEST_FILE } from './layout.js';

export interface WriteOptions {
  /** Write into a folder that already holds files. */
  force?: boolean;
}

function isNonEmptyDir(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${dir}: exists and is not a folder`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  return readdirSync(dir).length > 0;
}

/** A bundle-relative POSIX path that stays inside the folder. */
function safeJoin(dir: string, path: string): string {
  const rel = normalize(path.split('/').join(sep));
  if (rel.startsWith('..') || rel.startsWith(sep) || path.includes('\0')) {
    throw new Error(`refusing to write ${JSON.stringify(path)} outside the bundle folder`);
  }
  return join(dir, rel);
}

const pretty = (json: unknown) => `${JSON.stringify(json, null, 2)}\n`;

/** Returns the paths written (bundle-relative, the manifest first). */
export function writeBundle(dir: string, input: BundleInput, options: WriteOptions = {}): string[] {
  if (isNonEmptyDir(dir) && !options.force) {
    throw new UsageError(`${dir} is not empty: choose an empty folder or add --force to write into it`);
  }
  mkdirSync(dir, { recursive: true });
  const written = [MANIFEST_FILE];
  const errors: Record<string, string> = { ...(input.manifest.errors ?? {}) };
  for (const [path, entry] of input.files) {
    if (!('json' in entry)) {
      errors[path] ??= redactSecrets(entry.error);
      continue;
    }
    const target = safeJoin(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(
      target,
      typeof entry.json === 'string' && path.endsWith('.jwt') ? entry.json : pretty(allowlistedFile(path, entry.json)),
    );
    written.push(path);
  }
  // The manifest last: a folder with a bundle.json is complete.
  for (const [key, message] of Object.entries(errors)) errors[key] = redactSecrets(message);
  const manifest = Object.keys(errors).length > 0 ? { ...input.manifest, errors } : input.manifest;
  writeFileSync(join(dir, MANIFEST_FILE), pretty(manifest));
  return written;
}
