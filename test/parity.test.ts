// Every check has a registry entry, a docs page with the fixed headings, and a test file; ids are unique,
// kebab-case, equal to their file names; the README's check table matches the registry.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../src/checks/index.js';
import { FIX_ACTIONS } from '../src/fix/actions.js';

const repo = join(import.meta.dirname, '..');
const HEADINGS = ['## Why', '## What is checked', '## Examples', '## How to fix', '## Related checks'];

describe('check parity', () => {
  it('ids are unique, kebab-case and sorted in the registry', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(ids).toEqual([...ids].sort());
  });

  it('every check file is registered', () => {
    const files = readdirSync(join(repo, 'src/checks'))
      .filter((f) => f.endsWith('.ts') && !['index.ts', 'define.ts'].includes(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(files.sort()).toEqual(CHECKS.map((c) => c.id).sort());
  });

  for (const check of CHECKS) {
    it(`${check.id} has a docs page with the fixed headings and a test file`, () => {
      const doc = join(repo, 'docs/checks', `${check.id}.md`);
      expect(existsSync(doc), doc).toBe(true);
      const text = readFileSync(doc, 'utf8');
      expect(text.startsWith(`# ${check.id}`)).toBe(true);
      let last = -1;
      for (const heading of HEADINGS) {
        const at = text.indexOf(`\n${heading}\n`);
        expect(at, `${check.id}.md lacks "${heading}"`).toBeGreaterThan(last);
        last = at;
      }
      expect(existsSync(join(repo, 'test/checks', `${check.id}.test.ts`))).toBe(true);
    });
  }

  it('the README lists exactly the registered checks', () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const listed = [...readme.matchAll(/^\| \[`([a-z0-9-]+)`\]\(docs\/checks\/[a-z0-9-]+\.md\) \|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(CHECKS.map((c) => c.id).sort());
  });

  it('every fix action is documented in docs/fixes.md', () => {
    const doc = readFileSync(join(repo, 'docs/fixes.md'), 'utf8');
    for (const action of FIX_ACTIONS) expect(doc).toContain(`\`${action}\``);
  });
});
