// Groups of subjects that share a root cause, gathered a slice at a time: a failure of a shared object (a node
// pool) groups the subjects that depend on it, one group per object, with the subjects in the order they came.

import { describe, expect, it } from 'vitest';

import { VerdictGrouper, groupVerdicts } from '../../src/engine/verdict.js';
import type { CheckResult, Status, Verdict } from '../../src/model/results.js';

const POOL = 'projects/p/locations/l/clusters/c/nodePools/';

function result(check: string, subject: string, status: Status, title = `${check} title`): CheckResult {
  return { check, status, subject, title, fix: [], docs: `docs/checks/${check}.md`, location: subject };
}

function verdict(subject: string, status: Status, rootCause: string | null, related: string[] = []): Verdict {
  return {
    subject,
    status,
    rootCause,
    headline: `${subject}: ${rootCause ?? status}`,
    ruledOut: [],
    notEvaluated: [],
    fix: [],
    related,
  };
}

describe('VerdictGrouper', () => {
  const shared = [
    result('nodepool-gke-metadata', `${POOL}a`, 'fail'),
    result('nodepool-gke-metadata', `${POOL}b`, 'fail'),
  ];

  it('makes one group per failing shared object, whichever slice its subjects come in', () => {
    const grouper = new VerdictGrouper(shared);
    grouper.add([verdict('ns/one', 'fail', 'nodepool-gke-metadata', [`${POOL}a`])], []);
    grouper.add([verdict('ns/two', 'fail', 'nodepool-gke-metadata', [`${POOL}b`])], []);
    grouper.add([verdict('ns/three', 'fail', 'nodepool-gke-metadata', [`${POOL}a`])], []);
    const groups = grouper.groups();
    expect(groups.map((g) => g.subjects)).toEqual([['ns/one', 'ns/three'], ['ns/two']]);
    // A shared object's failure is told by the verdict's headline, which names it.
    expect(groups[0]?.headline).toBe('ns/one: nodepool-gke-metadata');
  });

  it("titles a group of a subject's own failure with the failing check's title", () => {
    const grouper = new VerdictGrouper(shared);
    grouper.add(
      [verdict('ns/one', 'fail', 'wi-binding'), verdict('ns/two', 'fail', 'wi-binding')],
      [result('wi-binding', 'ns/one', 'fail', 'No binding'), result('wi-binding', 'ns/two', 'fail', 'No binding')],
    );
    expect(grouper.groups()).toEqual([
      { status: 'fail', rootCause: 'wi-binding', headline: 'No binding', subjects: ['ns/one', 'ns/two'] },
    ]);
  });

  it('orders groups most severe first, then the largest; subjects with no root cause by their status', () => {
    const groups = groupVerdicts(
      [
        verdict('ns/a', 'pass', null),
        verdict('ns/b', 'unknown', null),
        verdict('ns/c', 'pass', null),
        verdict('ns/d', 'fail', 'ksa-exists'),
      ],
      [result('ksa-exists', 'ns/d', 'fail')],
    );
    expect(groups.map((g) => [g.status, g.subjects.join(' ')])).toEqual([
      ['fail', 'ns/d'],
      ['unknown', 'ns/b'],
      ['pass', 'ns/a ns/c'],
    ]);
  });
});
