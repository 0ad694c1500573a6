// A RuleTester-style table harness for checks: each case starts from an example bundle, patches it in memory,
// runs one check through the real engine, and asserts status, subject, cause, fix actions and evidence.

import { describe, expect, it } from 'vitest';
import type { AnyCheck, CheckOptions } from '../../src/checks/define.js';
import type { BundleInput } from '../../src/collect/bundle/facts.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { audit } from '../../src/engine/audit.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import type { TargetRequest } from '../../src/engine/subjects.js';
import type { KObject } from '../../src/model/k8s/types.js';
import { KIND_TO_RESOURCE } from '../../src/model/k8s/types.js';
import type { CheckResult, Evidence, Status } from '../../src/model/results.js';
import { loadExampleFiles } from '../fixtures/load-example.js';

export interface Expectation {
  status: Status;
  subject?: string;
  cause?: RegExp;
  fix?: string[];
  missing?: RegExp;
  evidence?: (evidence: Evidence) => void;
}

export interface CheckCase {
  name: string;
  example?: string;
  patch?: (bundle: BundleEditor) => void;
  subject?: TargetRequest;
  options?: Partial<CheckOptions>;
  expect: Expectation | ((results: CheckResult[]) => void);
}

type Json = Record<string, unknown>;

function isList(json: unknown): json is { items: KObject[] } {
  return typeof json === 'object' && json !== null && Array.isArray((json as Json).items);
}

export class BundleEditor {
  constructor(private readonly input: BundleInput) {}

  get manifest(): BundleInput['manifest'] {
    return this.input.manifest;
  }

  edit(path: string, fn: (json: any) => unknown): void {
    const entry = this.input.files.get(path);
    if (!entry || !('json' in entry)) throw new Error(`patch: no file ${path} in the example bundle`);
    const replaced = fn(entry.json);
    if (replaced !== undefined) this.input.files.set(path, { json: replaced });
  }

  set(path: string, json: unknown): void {
    this.input.files.set(path, { json });
  }

  remove(path: string): void {
    this.input.files.delete(path);
  }

  absent(path: string): void {
    this.input.files.delete(path);
    this.input.manifest.absent = [...(this.input.manifest.absent ?? []), path];
  }

  /** A file, or a whole Kubernetes kind (`k8s:pods`), that could not be read: its objects are gone too, as in a real bundle. */
  error(pathOrKind: string, message: string): void {
    this.input.files.delete(pathOrKind);
    if (pathOrKind.startsWith('k8s:')) {
      const kind = pathOrKind.slice(4);
      for (const found of [...this.objects()]) {
        if (found.object.kind && KIND_TO_RESOURCE[found.object.kind] === kind) {
          if (found.container) found.container.splice(found.container.indexOf(found.object), 1);
          else this.input.files.delete(found.path);
        }
      }
    }
    this.input.manifest.errors = { ...(this.input.manifest.errors ?? {}), [pathOrKind]: message };
  }

  private *objects(): Generator<{ path: string; object: KObject; container: KObject[] | undefined }> {
    for (const [path, entry] of this.input.files) {
      if (!path.startsWith('k8s/') || !('json' in entry)) continue;
      if (isList(entry.json))
        for (const object of entry.json.items) yield { path, object, container: entry.json.items };
      else if (typeof entry.json === 'object' && entry.json !== null)
        yield { path, object: entry.json as KObject, container: undefined };
    }
  }

  private find(kind: string, namespace: string | undefined, name: string) {
    for (const found of this.objects()) {
      const o = found.object;
      if (
        o.kind &&
        KIND_TO_RESOURCE[o.kind] === kind &&
        o.metadata.name === name &&
        (o.metadata.namespace ?? undefined) === namespace
      ) {
        return found;
      }
    }
    throw new Error(`patch: no ${kind} ${namespace ?? ''}/${name} in the example bundle`);
  }

  k8s(kind: string, namespace: string | undefined, name: string, fn: (object: any) => void): void {
    fn(this.find(kind, namespace, name).object);
  }

  addK8s(object: KObject): void {
    const entry = this.input.files.get('k8s/extra.json');
    const list =
      entry && 'json' in entry && isList(entry.json)
        ? entry.json
        : { apiVersion: 'v1', kind: 'List', items: [] as KObject[] };
    list.items.push(object);
    this.input.files.set('k8s/extra.json', { json: list });
  }

  removeK8s(kind: string, namespace: string | undefined, name: string): void {
    const found = this.find(kind, namespace, name);
    if (found.container) found.container.splice(found.container.indexOf(found.object), 1);
    else this.input.files.delete(found.path);
  }
}

export function runOneCheck(check: AnyCheck, testCase: Omit<CheckCase, 'name' | 'expect'>): CheckResult[] {
  const input = loadExampleFiles(testCase.example ?? 'healthy');
  testCase.patch?.(new BundleEditor(input));
  const facts = factsFromFiles(input);
  const options = { ...DEFAULT_OPTIONS, ...testCase.options };
  // Audit checks run in the audit engine: its scope is the whole cluster, whatever the subject.
  const report =
    check.group === 'audit'
      ? audit(facts, [check], { options, source: 'test', version: '0.0.0-test' })
      : diagnose(facts, [check], {
          targets: testCase.subject ?? { all: true },
          options,
          source: 'test',
          version: '0.0.0-test',
        });
  return report.results.filter((r) => r.check === check.id);
}

function assertExpectation(results: CheckResult[], expected: Expectation): void {
  const candidates = expected.subject ? results.filter((r) => r.subject === expected.subject) : results;
  expect(candidates, `results: ${JSON.stringify(results.map((r) => [r.subject, r.status, r.cause]))}`).toHaveLength(1);
  const result = candidates[0]!;
  expect({ status: result.status, cause: result.cause }).toMatchObject({ status: expected.status });
  if (expected.cause) expect(result.cause ?? '').toMatch(expected.cause);
  if (expected.fix) expect(result.fix.map((f) => f.action)).toEqual(expected.fix);
  if (expected.missing) expect((result.missing ?? []).join('\n')).toMatch(expected.missing);
  if (expected.evidence) expected.evidence(result.evidence ?? {});
  // Every non-pass result explains itself.
  if (result.status !== 'pass') expect(result.cause, 'a non-pass result needs a cause').toBeTruthy();
  if (result.status === 'fail' || result.status === 'warn')
    expect(result.evidence, 'fail/warn needs evidence').toBeDefined();
}

export function describeCheck(check: AnyCheck, cases: readonly CheckCase[]): void {
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`describeCheck(${check.id}): duplicate case name "${c.name}"`);
    names.add(c.name);
  }
  describe(check.id, () => {
    for (const testCase of cases) {
      it(testCase.name, () => {
        const results = runOneCheck(check, testCase);
        if (typeof testCase.expect === 'function') testCase.expect(results);
        else assertExpectation(results, testCase.expect);
      });
    }
  });
}
