// What the CLI loads to start: commands that read an evidence bundle must not load the Google and Kubernetes
// client libraries (about 1 s of CPU per run, most of the start-up), which only live collection and uploads
// need and import when called. Read from the sources' static imports (`import type` loads nothing).

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', '..', 'src');
const HEAVY = ['@kubernetes/client-node', 'google-auth-library'];

/** The modules a source file loads when it is imported: static imports and re-exports, types excluded. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/gm)) {
    if (m[2] === undefined && m[4] !== undefined) specs.push(m[4]);
  }
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) if (m[1] !== undefined) specs.push(m[1]);
  return specs;
}

/** The chain of static imports from `entry` to one of `packages`, or undefined when none reaches them. */
function chainTo(entry: string, packages: readonly string[]): string[] | undefined {
  const from = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const spec of staticImports(file)) {
      if (packages.some((p) => spec === p || spec.startsWith(`${p}/`))) {
        const chain = [spec];
        for (let at: string | undefined = file; at !== undefined; at = from.get(at))
          chain.unshift(at.slice(src.length + 1));
        return chain;
      }
      if (!spec.startsWith('.')) continue;
      const next = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      if (!from.has(next)) {
        from.set(next, file);
        queue.push(next);
      }
    }
  }
  return undefined;
}

describe('CLI start-up', () => {
  it.for(['check', 'audit', 'logs', 'catalog', 'collect', 'graph', 'explain-error'])(
    'the %s action loads no Google or Kubernetes client until it collects live',
    (action) => {
      expect(chainTo(join(src, 'cli', 'actions', `${action}.ts`), HEAVY)).toBeUndefined();
    },
  );

  it('sees a static import of a client (the check above can fail)', () => {
    expect(chainTo(join(src, 'collect', 'live', 'live.ts'), HEAVY)).toEqual([
      'collect/live/live.ts',
      'collect/live/credentials.ts',
      '@kubernetes/client-node',
    ]);
  });
});
