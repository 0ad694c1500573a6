// The engine's rule, for every check: a check whose facts could not be read may fail (with evidence) or be
// unknown, never pass. Swept over every example bundle × every fact kind some check requires × {absent,
// error, wrong shape (types swapped), wrong shape (root of the wrong type)}: breaking a fact never makes a
// check pass that did not pass on the intact bundle, and a pass that survives is the very same pass (the
// broken fact played no part in it). Absent is a real state ("the GSA does not exist" fails gsa-exists), so
// for it only the shape of the results is checked: no internal error, every fail and warn with evidence.
//
// Plus the rule itself on a check that reads what it wants: the engine, not the check, enforces it.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnyCheck, CheckOptions, FactName } from '../../src/checks/define.js';
import { defineCheck } from '../../src/checks/define.js';
import { CHECKS } from '../../src/checks/index.js';
import type { BundleInput } from '../../src/collect/bundle/facts.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { classifyPath } from '../../src/collect/bundle/layout.js';
import { informational } from '../../src/engine/consulted.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { UsageError } from '../../src/engine/errors.js';
import type { TargetRequest } from '../../src/engine/subjects.js';
import { KIND_TO_RESOURCE } from '../../src/model/k8s/types.js';
import type { Report } from '../../src/model/results.js';
import { EXAMPLES_DIR, cloneInput, loadExampleFiles } from '../fixtures/load-example.js';

interface Expected {
  targets: TargetRequest;
  options?: Partial<CheckOptions>;
}

const EXAMPLES = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** Which files of a bundle hold a fact kind (Google facts), by the role their path plays. */
const ROLES: Partial<Record<FactName, readonly string[]>> = {
  cluster: ['cluster'],
  project: ['project'],
  projectPolicy: ['projectPolicy'],
  projectServices: ['projectServices'],
  projectServiceAccounts: ['projectServiceAccounts'],
  projectClusters: ['projectClusters'],
  serviceAccount: ['serviceAccount'],
  serviceAccountPolicy: ['serviceAccountPolicy'],
  serviceAccountKeys: ['serviceAccountKeys'],
  serviceAccountActivity: ['projectActivity'],
  customRoles: ['customRole'],
  resourcePolicies: ['resource'],
  ancestorPolicies: ['ancestorPolicy'],
  logEntries: ['logs'],
  tokens: ['token'],
};

type Variant = 'absent' | 'error' | 'types swapped' | 'root of the wrong type';
const VARIANTS: readonly Variant[] = ['absent', 'error', 'types swapped', 'root of the wrong type'];
const BROKEN: ReadonlySet<Variant> = new Set(['error', 'types swapped', 'root of the wrong type']);

type Json = unknown;

/** Every boolean and number as a string ("true", "3"); when there is none, every string as a number. */
function swapTypes(value: Json): Json {
  let changed = false;
  const swap = (v: Json, strings: boolean): Json => {
    if (Array.isArray(v)) return v.map((x) => swap(x, strings));
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x, strings)]));
    }
    if (!strings && (typeof v === 'boolean' || typeof v === 'number')) {
      changed = true;
      return String(v);
    }
    if (strings && typeof v === 'string') {
      changed = true;
      return v.length;
    }
    return v;
  };
  const first = swap(value, false);
  return changed ? first : swap(value, true);
}

const wrongRoot = (value: Json): Json => (Array.isArray(value) ? { items: 'not a list' } : [value]);

/** The k8s kind (plural) of a fact name, if it is one. */
const k8sKindOf = (fact: FactName): string | undefined => (fact.startsWith('k8s:') ? fact.slice(4) : undefined);

/** A copy of the bundle with every instance of one fact kind broken the given way; undefined when it has none. */
function breakFact(input: BundleInput, fact: FactName, variant: Variant): BundleInput | undefined {
  const out = cloneInput(input);
  const manifest = out.manifest;
  const kind = k8sKindOf(fact);
  let touched = false;
  if (kind !== undefined) {
    if (variant === 'error') {
      manifest.errors = { ...manifest.errors, [`k8s:${kind}`]: `403 Forbidden: cannot list resource "${kind}"` };
      for (const [path, entry] of out.files) {
        if (classifyPath(path).role === 'k8s' && 'json' in entry) {
          const items = (entry.json as { items?: unknown[] }).items ?? [];
          entry.json = { ...(entry.json as object), items: items.filter((i) => kindOf(i) !== kind) };
        }
      }
      return out;
    }
    for (const [path, entry] of out.files) {
      if (classifyPath(path).role !== 'k8s' || !('json' in entry)) continue;
      const list = entry.json as { items?: unknown[] };
      if (!Array.isArray(list.items)) continue;
      const items: unknown[] = [];
      for (const item of list.items) {
        if (kindOf(item) !== kind) {
          items.push(item);
          continue;
        }
        touched = true;
        if (variant === 'types swapped') items.push(swapTypes(item));
        else if (variant === 'root of the wrong type')
          items.push({ kind: (item as { kind: string }).kind, metadata: [] });
        // absent: dropped (the kind stays listed in k8sKinds: known to have none)
      }
      entry.json = { ...list, items };
    }
    return touched ? out : undefined;
  }
  const roles = ROLES[fact] ?? [];
  for (const [path, entry] of [...out.files]) {
    if (!roles.includes(classifyPath(path).role)) continue;
    touched = true;
    if (variant === 'absent') {
      out.files.delete(path);
      manifest.absent = [...(manifest.absent ?? []), path];
    } else if (variant === 'error') {
      out.files.delete(path);
      manifest.errors = { ...manifest.errors, [path]: '403 PERMISSION_DENIED: The caller does not have permission' };
    } else if ('json' in entry) {
      if (fact === 'tokens') entry.json = '\u0000not a token';
      else entry.json = variant === 'types swapped' ? swapTypes(entry.json) : wrongRoot(entry.json);
    }
  }
  return touched ? out : undefined;
}

function kindOf(item: unknown): string | undefined {
  const kind = (item as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' ? KIND_TO_RESOURCE[kind] : undefined;
}

/** The report, or undefined when the targets cannot be resolved at all (the CLI's one line and exit 2). */
function run(input: BundleInput, expected: Expected): Report | undefined {
  try {
    return runOrThrow(input, expected);
  } catch (e) {
    if (e instanceof UsageError) return undefined;
    throw e;
  }
}

function runOrThrow(input: BundleInput, expected: Expected): Report {
  return diagnose(factsFromFiles(input), CHECKS, {
    targets: expected.targets,
    options: { ...DEFAULT_OPTIONS, ...expected.options },
    source: 'sweep',
    version: 'test',
    generatedAt: '2026-01-01T00:00:00Z',
  });
}

const key = (check: string, subject: string) => `${check} ${subject}`;
const FACT_KINDS = [...new Set(CHECKS.flatMap((c) => c.requires))].sort();

describe('must not pass: every check × every fact kind it requires × {absent, error, wrong shape}', () => {
  for (const example of EXAMPLES) {
    it(example, () => {
      const expected = JSON.parse(readFileSync(join(EXAMPLES_DIR, example, 'expected.json'), 'utf8')) as Expected;
      const intact = loadExampleFiles(example);
      const base = new Map(runOrThrow(intact, expected).results.map((r) => [key(r.check, r.subject), r]));
      let swept = 0;
      for (const fact of FACT_KINDS) {
        const checks = new Set(CHECKS.filter((c) => c.requires.includes(fact)).map((c) => c.id));
        for (const variant of VARIANTS) {
          const broken = breakFact(intact, fact, variant);
          if (broken === undefined) continue;
          swept++;
          const where = `${example}: ${fact} ${variant}`;
          const report = run(broken, expected);
          for (const r of report?.results ?? []) {
            expect(r.missing?.join(' ') ?? '', `${where}: ${r.check}`).not.toMatch(/internal error/);
            if (r.status === 'fail' || r.status === 'warn')
              expect(r.evidence, `${where}: ${r.check} evidence`).toBeDefined();
            if (!checks.has(r.check) || !BROKEN.has(variant) || r.status !== 'pass') continue;
            const before = base.get(key(r.check, r.subject));
            // A pass that survives a broken fact is the same pass: the fact played no part in it.
            expect({ where, check: r.check, subject: r.subject, status: before?.status, cause: before?.cause }).toEqual(
              {
                where,
                check: r.check,
                subject: r.subject,
                status: 'pass',
                cause: r.cause,
              },
            );
          }
        }
      }
      expect(swept).toBeGreaterThan(10);
    });
  }
});

describe('the rule is the engine’s, not each check’s', () => {
  const input = loadExampleFiles('healthy');
  input.files.delete('k8s/nodes.json');
  input.manifest.k8sKinds = input.manifest.k8sKinds?.filter((k) => k !== 'nodes');
  input.manifest.errors = { 'k8s:nodes': '403 Forbidden: nodes is forbidden' };
  const facts = factsFromFiles(input);

  const reader = (id: string, read: (facts: import('../../src/model/facts.js').Facts) => void): AnyCheck =>
    defineCheck({
      id,
      title: 'reads nodes and passes whatever it read',
      failureTitle: '-',
      group: 'diagnose',
      scope: 'cluster',
      chainOrder: 1,
      requires: ['k8s:nodes'],
      run: ({ facts: f }) => {
        read(f);
        return { status: 'pass', cause: 'every node looks fine' };
      },
    });
  const resultOf = (check: AnyCheck) =>
    diagnose(facts, [check], { targets: { ksa: ['shop/cart'] }, options: DEFAULT_OPTIONS, source: 't', version: 't' })
      .results[0];

  it('a pass that read a broken fact is unknown, with what could not be read and what it would have said', () => {
    const result = resultOf(reader('reads-nodes', (f) => void f.k8s.list('nodes')));
    expect(result?.status).toBe('unknown');
    expect(result?.cause).toBe(
      '`k8s:nodes` could not be read (403 Forbidden: nodes is forbidden), so this cannot pass; on what could be read it would have: every node looks fine',
    );
    expect(result?.missing).toEqual(['k8s:nodes: 403 Forbidden: nodes is forbidden']);
  });

  it('a fact read for information only does not stop a pass; one not read at all neither', () => {
    expect(resultOf(reader('reads-for-a-note', (f) => void informational(f.k8s.list('nodes'))))?.status).toBe('pass');
    expect(resultOf(reader('reads-nothing', () => undefined))?.status).toBe('pass');
  });

  it('a known-absent fact is a fact: it does not stop a pass', () => {
    const result = resultOf(reader('reads-absent', (f) => void f.k8s.get('pods', 'shop', 'no-such-pod')));
    expect(result?.status).toBe('pass');
  });
});
