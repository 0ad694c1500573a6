// Every check has a registry entry, a docs page with the fixed headings, and a test file; ids are unique,
// kebab-case, equal to their file names; the README's check table matches the registry.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../src/checks/index.js';
import { FIX_ACTIONS } from '../src/fix/actions.js';
import { PROBE_CHECKS } from '../src/probe/types.js';

/** The Audit table's ids, a public contract: exactly these run in `wi-doctor audit`. */
const AUDIT_IDS = [
  'admin-read-audit-logs',
  'broad-project-roles',
  'default-ksa-annotated',
  'gsa-shared',
  'gsa-user-managed-keys',
  'identity-sameness',
  'node-default-sa',
  'orphan-bindings',
  'primitive-roles',
  'principal-set-grants',
  'project-level-impersonation',
  'unused-gsa',
  'zonal-cluster',
];

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

  it('the audit group holds exactly the Audit ids, and the README lists them in its audit table', () => {
    expect(CHECKS.filter((c) => c.group === 'audit').map((c) => c.id)).toEqual(AUDIT_IDS);
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const section = /## Audit, logs and error messages\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const listed = [...section.matchAll(/^\| \[`([a-z0-9-]+)`\]\(docs\/checks\/[a-z0-9-]+\.md\) \|/gm)].map(
      (m) => m[1],
    );
    expect([...listed].sort()).toEqual(AUDIT_IDS);
  });

  it('every check id the docs and the checks point to exists (no link to a check that is not there)', () => {
    const known = new Set<string>([...CHECKS.map((c) => c.id), ...PROBE_CHECKS]);
    const dangling: string[] = [];
    for (const file of readdirSync(join(repo, 'docs/checks'))) {
      const text = readFileSync(join(repo, 'docs/checks', file), 'utf8');
      const related = /\n## Related checks\n([\s\S]*)$/.exec(text)?.[1] ?? '';
      for (const m of related.matchAll(/`([a-z0-9]+(?:-[a-z0-9]+)+)`/g)) {
        if (!known.has(m[1] ?? '')) dangling.push(`${file}: ${m[1] ?? ''}`);
      }
    }
    for (const file of readdirSync(join(repo, 'src/checks')).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(repo, 'src/checks', file), 'utf8');
      for (const m of text.matchAll(/\(see ([a-z0-9]+(?:-[a-z0-9]+)+)\)/g)) {
        if (!known.has(m[1] ?? '')) dangling.push(`src/checks/${file}: ${m[1] ?? ''}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it('every fix action is documented in docs/fixes.md', () => {
    const doc = readFileSync(join(repo, 'docs/fixes.md'), 'utf8');
    for (const action of FIX_ACTIONS) expect(doc).toContain(`\`${action}\``);
  });
});
