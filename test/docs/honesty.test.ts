// What ships says only what is true and points only at what ships: no references to documents outside the
// repository, no invented web addresses, no notes about how the work was organised, and every relative
// link of the docs and every docs path a report gives resolves to a file of the package.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { docsUrl } from '../../src/model/results.js';

const repo = join(import.meta.dirname, '..', '..');

/** Text files under the given paths (skipping generated output). */
function files(...paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const full = join(repo, p);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full)) walk(join(p, entry));
    } else if (/\.(ts|mjs|js|md|json|ya?ml|txt|sarif)$/.test(p)) {
      out.push(p);
    }
  };
  for (const p of paths) walk(p);
  return out;
}

const SHIPPED_AND_SOURCE = files('src', 'docs', 'test', 'scripts', 'bench', 'scenarios', 'examples', 'schema').concat(
  ['README.md', 'ARCHITECTURE.md', 'CHANGELOG.md', 'BENCHMARKS.md', 'NOTICE.md', 'package.json'].filter((f) =>
    existsSync(join(repo, f)),
  ),
);

// Spelled in pieces so that this file does not match itself.
const FORBIDDEN: [RegExp, string][] = [
  [new RegExp(['FACTS', '(\\.md| §)'].join('')), 'a reference to a spec file outside the repository'],
  [new RegExp(['(CHECKS|BUNDLE|COMMON|STYLE)', '\\.md'].join('')), 'a reference to a spec file outside the repository'],
  [new RegExp(['shared', '/spec'].join('')), 'a path outside the repository'],
  [new RegExp(['github\\.com', '/wi-doctor'].join('')), 'an invented repository address'],
  [new RegExp(['\\b(round (one|two)|the ', 'lead (wires|will)|coordi', 'nator)\\b'].join(''), 'i'), 'a note about how the work was organised'],
  [new RegExp(['\\bissue ', '\\d+\\b'].join(''), 'i'), 'a note about how the work was organised'],
];

describe('honest references', () => {
  it('scans the repository', () => {
    expect(SHIPPED_AND_SOURCE.length).toBeGreaterThan(100);
  });

  for (const [pattern, what] of FORBIDDEN) {
    it(`has no ${what} (${pattern.source})`, () => {
      const hits = SHIPPED_AND_SOURCE.flatMap((f) =>
        readFileSync(join(repo, f), 'utf8')
          .split('\n')
          .flatMap((line, i) => (pattern.test(line) ? [`${f}:${i + 1}: ${line.trim().slice(0, 120)}`] : [])),
      );
      expect(hits).toEqual([]);
    });
  }

  it('links only to files that exist, from README and docs', () => {
    const broken: string[] = [];
    for (const f of ['README.md', 'ARCHITECTURE.md', ...files('docs', 'examples/README.md')].filter((x) => x.endsWith('.md'))) {
      // Code (fenced blocks, inline spans) holds no links: a pattern like `[a-z]([-a-z0-9]*)` is not one.
      const text = readFileSync(join(repo, f), 'utf8')
        .replace(/^```[\s\S]*?^```/gm, '')
        .replace(/`[^`\n]*`/g, '');
      for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
        const target = m[1] ?? '';
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(repo, dirname(f), target))) broken.push(`${f}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('gives every check a docs path inside the package', () => {
    for (const check of CHECKS) {
      const path = docsUrl(check.id);
      expect(relative(repo, join(repo, path)).startsWith('..')).toBe(false);
      expect(existsSync(join(repo, path)), path).toBe(true);
    }
  });
});
