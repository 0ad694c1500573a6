// Reading a bundle needs no Google or Kubernetes client library: @kubernetes/client-node alone is about 850
// modules, and loading it and google-auth-library cost every `check --from` and `audit --from` about a second of
// CPU and 80 MB. They load only where live collection or an upload starts (dynamic `import()`). This walks the
// static imports (type-only imports aside) from what a bundle run loads and finds none of those libraries.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLIENTS = ['@kubernetes/client-node', 'google-auth-library', '@googleapis/'];

/** Static, non-type imports and re-exports of one TypeScript source. */
function staticImports(source: string): string[] {
  const specs: string[] = [];
  const pattern = /^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm;
  for (const m of source.matchAll(pattern)) if (m[1] !== undefined) specs.push(m[1]);
  return specs;
}

/** Every package reached through static imports from `entry`, each with the chain of files that reaches it. */
function packagesReached(entry: string): Map<string, string[]> {
  const from = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  const packages = new Map<string, string[]>();
  const chain = (file: string): string[] => {
    const files: string[] = [];
    for (let f: string | undefined = file; f !== undefined; f = from.get(f)) files.unshift(relative(ROOT, f));
    return files;
  };
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const next = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (existsSync(next) && !from.has(next)) {
          from.set(next, file);
          queue.push(next);
        }
      } else if (!packages.has(spec)) {
        packages.set(spec, chain(file));
      }
    }
  }
  return packages;
}

describe('a bundle run loads no cloud client library', () => {
  // logs, collect and permissions (catalog.ts) read a bundle or only list what they would read; graph never goes live.
  const entries = [
    'src/cli/bin.ts',
    'src/cli/actions/check.ts',
    'src/cli/actions/audit.ts',
    'src/cli/actions/logs.ts',
    'src/cli/actions/collect.ts',
    'src/cli/actions/catalog.ts',
    'src/cli/actions/graph.ts',
  ];
  for (const entry of entries) {
    it(entry, () => {
      const reached = packagesReached(join(ROOT, entry));
      // The walk works: it reaches the packages a bundle run does use.
      expect(reached.has('commander') || entry !== 'src/cli/bin.ts').toBe(true);
      expect(reached.size).toBeGreaterThan(0);
      const clients = [...reached].filter(([spec]) => CLIENTS.some((c) => spec.startsWith(c)));
      expect(clients.map(([spec, files]) => `${spec} via ${files.join(' → ')}`)).toEqual([]);
    });
  }
});
