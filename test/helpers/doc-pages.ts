// The Markdown pages under docs/ (paths relative to the repository), for tests that read what the docs say.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');

export function docsPages(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(REPO, dir))) {
      const p = join(dir, entry);
      if (statSync(join(REPO, p)).isDirectory()) walk(p);
      else if (p.endsWith('.md')) out.push(p);
    }
  };
  walk('docs');
  return out;
}
