// explain-error on real error texts (test/fixtures/errors/, each with the public thread it comes from): the right
// signature first, every expected one found, none invented; each named check exists.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { classifyBytes, classifyText, rankedChecks } from '../../src/explain/classify.js';
import { SIGNATURES } from '../../src/explain/signatures.js';
import { PROBE_CHECKS } from '../../src/probe/types.js';

const repo = join(import.meta.dirname, '..', '..');
const dir = join(repo, 'test', 'fixtures', 'errors');
interface Entry {
  file: string;
  source: string;
  first: string | null;
  signatures: string[];
}
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { files: Entry[] };

describe('explain-error on the corpus of real error texts', () => {
  it('every fixture file is indexed with a public source', () => {
    for (const e of index.files) expect(e.source).toMatch(/^https:\/\/github\.com\/[^/]+\/[^/]+\/(issues|pull)\/\d+$/);
  });

  for (const entry of index.files) {
    it(`${entry.file} → ${entry.first ?? 'unknown'}`, () => {
      const result = classifyBytes(readFileSync(join(dir, entry.file)));
      if (entry.first === null) {
        expect(result.kind).toBe('unknown');
        return;
      }
      expect(result.kind).toBe('matched');
      if (result.kind !== 'matched') return;
      const found = result.matches.map((m) => m.signature);
      expect(found[0]).toBe(entry.first);
      expect([...found].sort()).toEqual([...entry.signatures].sort());
      for (const m of result.matches) expect(m.excerpt.length).toBeGreaterThan(0);
    });
  }

  it('every signature is exercised by the corpus', () => {
    const covered = new Set(index.files.flatMap((e) => e.signatures));
    expect(SIGNATURES.map((s) => s.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  it('names as checks only ids of the catalog, which `wi-doctor explain` knows', () => {
    const catalog = new Set(CHECKS.map((c) => c.id));
    const named = SIGNATURES.flatMap((s) => s.causes.flatMap((c) => c.checks));
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((id) => !catalog.has(id))).toEqual([]);
    for (const id of new Set(named)) expect(existsSync(join(repo, 'docs', 'checks', `${id}.md`)), id).toBe(true);
  });

  it('names the in-pod probe checks as such, with how to run the probe', () => {
    const probeIds = new Set<string>(PROBE_CHECKS);
    const causes = SIGNATURES.flatMap((s) => s.causes);
    expect(causes.some((c) => (c.probe ?? []).length > 0)).toBe(true);
    for (const cause of causes) {
      for (const id of cause.probe ?? []) {
        expect(probeIds.has(id), id).toBe(true);
        expect(cause.next).toContain('wi-doctor probe-pod');
        expect(cause.next).toContain(id);
      }
    }
  });

  it('explains the text of a 401 with catalog checks and a labelled probe step (wi-doctor explain works on each)', () => {
    const c = classifyText('Request had invalid authentication credentials. Expected OAuth 2 access token');
    expect(c.kind).toBe('matched');
    if (c.kind !== 'matched') return;
    const first = c.matches[0]?.causes[0];
    expect(first?.checks).toEqual(['token-claims']);
    expect(first?.probe).toEqual(['credential-config']);
    expect(first?.next).toMatch(/probe-pod .*read its credential-config result \(in-pod probe check/);
  });

  it('ranks checks for check --error: the most likely cause first, each once', () => {
    const c = classifyText("Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).");
    expect(rankedChecks(c).slice(0, 3)).toEqual(['wi-binding', 'gsa-exists', 'ksa-annotation']);
  });

  it('empty, whitespace and binary input are said so', () => {
    expect(classifyBytes(new Uint8Array()).kind).toBe('empty');
    expect(classifyText('  \n\t ').kind).toBe('empty');
    expect(classifyBytes(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00])).kind).toBe('binary');
  });

  it('a whole log: several errors, the most specific first, counted', () => {
    const log = [
      '2026-11-28T10:00:00Z INFO starting',
      "2026-11-28T10:00:01Z ERROR Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
      "2026-11-28T10:00:02Z ERROR Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
      '2026-11-28T10:00:03Z ERROR net/http: timeout awaiting response headers',
    ].join('\n');
    const c = classifyText(log);
    expect(c.kind).toBe('matched');
    if (c.kind !== 'matched') return;
    expect(c.matches.map((m) => [m.signature, m.line, m.count])).toEqual([
      ['get-access-token-denied', 2, 2],
      ['metadata-server-timeout', 4, 1],
    ]);
  });
});
