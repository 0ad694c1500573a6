// A fix that changes a KSA's annotation is printed with the restart of the workloads running as the KSA: pods
// read the annotation only when they start. `fix` plans the same restart, as one triggered by the change.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { readBundleSync } from '../../src/collect/bundle/read.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { resolveSubjects } from '../../src/engine/subjects.js';
import { buildFixPlan } from '../../src/fix/plan.js';

const example = (name: string) => readBundleSync(join(import.meta.dirname, '..', '..', 'examples', name)).facts;

function diagnosed(name: string, ksa: string) {
  const facts = example(name);
  const report = diagnose(facts, CHECKS, {
    targets: { ksa: [ksa] },
    options: DEFAULT_OPTIONS,
    source: name,
    version: 'test',
    generatedAt: '2026-12-01T00:00:00Z',
  });
  return { facts, report };
}

describe('identity changes printed with their restart', () => {
  it('ksa-annotation (misspelled key): annotate, then restart the Deployment, in check and in fix', () => {
    const { facts, report } = diagnosed('multi-team', 'analytics/reporter');
    const result = report.results.find((r) => r.check === 'ksa-annotation');
    expect(result?.fix.map((f) => `${f.action} ${f.target}`)).toEqual([
      'annotate-service-account namespaces/analytics/serviceaccounts/reporter',
      'remove-annotation namespaces/analytics/serviceaccounts/reporter',
      'restart-workload namespaces/analytics/deployments/reporter',
    ]);
    expect(report.verdicts[0]?.fix.map((f) => f.action)).toContain('restart-workload');
    const plan = buildFixPlan({ report, facts, subjects: resolveSubjects(facts, { ksa: ['analytics/reporter'] }) });
    const restarts = plan.steps.filter((s) => s.action === 'restart-workload');
    expect(restarts).toHaveLength(1);
    // Still a restart the change triggers (apply skips it when the annotation was already right), not one asked for.
    expect(restarts[0]?.why).toEqual([]);
    expect(restarts[0]?.triggeredBy).toEqual([1]);
  });

  it('no identity change, no restart: a passing annotation prints nothing', () => {
    const { report } = diagnosed('healthy', 'shop/cart');
    expect(report.results.find((r) => r.check === 'ksa-annotation')?.fix).toEqual([]);
  });
});
