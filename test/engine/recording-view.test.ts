// The recording views through which checks read facts (src/engine/consulted.ts) are made once per diagnosis and
// once per subject, not a Proxy per read: these tests hold them to what a Proxy gave by construction. Every
// way a check can reach a fact (a method of Facts, a property of Facts, the nested k8s index, a fact field of
// its subject, a copy of its subject made with a spread) is recorded, and a read that touches no broken fact
// does not stop a pass.

import { describe, expect, it } from 'vitest';
import type { AnyCheck } from '../../src/checks/define.js';
import { defineCheck } from '../../src/checks/define.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import type { Subject } from '../../src/engine/subject.js';
import { resolveSubjects } from '../../src/engine/subjects.js';
import type { Facts } from '../../src/model/facts.js';
import { loadExampleFiles } from '../fixtures/load-example.js';

/** The healthy example with the pods and the cluster unreadable (403), everything else intact. */
function brokenFacts(): Facts {
  const input = loadExampleFiles('healthy');
  input.files.delete('k8s/pods.json');
  input.files.delete('gcp/cluster.json');
  input.manifest.k8sKinds = input.manifest.k8sKinds?.filter((k) => k !== 'pods');
  input.manifest.errors = {
    'k8s:pods': '403 Forbidden: pods is forbidden',
    'gcp/cluster.json': '403 Forbidden: container.clusters.get',
  };
  return factsFromFiles(input);
}

const facts = brokenFacts();

function subjectCheck(id: string, read: (subject: Subject, facts: Facts) => unknown): AnyCheck {
  return defineCheck({
    id,
    title: 'passes whatever it read',
    failureTitle: '-',
    group: 'diagnose',
    scope: 'subject',
    chainOrder: 1,
    requires: ['k8s:pods'],
    run: ({ target, facts: f }) => {
      void read(target.subject, f);
      return { status: 'pass', cause: 'looks fine' };
    },
  });
}

/** The status each of the given checks gets, per subject: every subject has its own view. */
function statuses(check: AnyCheck): string[] {
  const report = diagnose(facts, [check], {
    targets: { ksa: ['shop/cart', 'shop/api'] },
    options: DEFAULT_OPTIONS,
    source: 't',
    version: 't',
  });
  return report.results.filter((r) => r.check === check.id).map((r) => `${r.subject} ${r.status}`);
}

describe('recording views: every way to a fact is recorded', () => {
  it('the broken facts are broken in this bundle (else the tests below prove nothing)', () => {
    expect(facts.cluster.status).toBe('error');
    expect(facts.k8s.list('pods').status).not.toBe('present');
  });

  it('a fact field of the subject (its pods)', () => {
    expect(statuses(subjectCheck('reads-pods', (s) => s.pods))).toEqual(['shop/cart unknown', 'shop/api unknown']);
  });

  it('a copy of the subject made with a spread (as a check does to judge it against another pool)', () => {
    expect(statuses(subjectCheck('spreads', (s) => ({ ...s, named: true })))).toEqual([
      'shop/cart unknown',
      'shop/api unknown',
    ]);
  });

  it('a property of Facts (the cluster), a method of Facts, and the nested k8s index', () => {
    expect(statuses(subjectCheck('reads-cluster', (_s, f) => f.cluster))).toEqual([
      'shop/cart unknown',
      'shop/api unknown',
    ]);
    expect(
      statuses(subjectCheck('reads-pods-of-ksa', (s, f) => f.k8s.podsOfServiceAccount(s.namespace, s.ksaName))),
    ).toEqual(['shop/cart unknown', 'shop/api unknown']);
  });

  it('reads that touch no broken fact do not stop a pass: the subject’s names, its KSA, another fact', () => {
    const check = subjectCheck('reads-intact', (s, f) => [
      s.id,
      s.namespace,
      s.ksa,
      s.principal,
      f.k8s.list('serviceaccounts'),
    ]);
    expect(statuses(check)).toEqual(['shop/cart pass', 'shop/api pass']);
  });

  it('a subject view shows every field of its subject, with the same values', () => {
    let seen: Subject | undefined;
    statuses(subjectCheck('copies', (s) => (seen = { ...s })));
    const subjects = resolveSubjects(facts, { ksa: ['shop/cart', 'shop/api'] });
    expect(subjects.at(-1)).toBeDefined();
    expect(seen).toEqual(subjects.at(-1));
  });
});
