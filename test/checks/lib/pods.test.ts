import { describe, expect, it } from 'vitest';

import { inspectedSpecs, nodeFact } from '../../../src/checks/lib/pods.js';
import type { Subject } from '../../../src/engine/subject.js';
import { factError, present } from '../../../src/model/facts.js';
import type { Fact, Facts } from '../../../src/model/facts.js';
import type { Node, Pod } from '../../../src/model/k8s/types.js';

/** Facts whose only part is `k8s.get`, answering from `nodes` and counting the reads. */
function nodeFacts(nodes: Record<string, Fact<Node>>): { facts: Facts; reads: string[] } {
  const reads: string[] = [];
  const k8s = {
    get: (_kind: string, _namespace: string | undefined, name: string) => {
      reads.push(name);
      return nodes[name] ?? factError(`k8s:nodes/${name}`, 'not found in this test');
    },
  };
  return { facts: { k8s } as unknown as Facts, reads };
}

const node = (name: string): Fact<Node> => present({ metadata: { name } }, 'k8s/nodes.json');

describe('nodeFact', () => {
  it('reads a present node once per facts', () => {
    const { facts, reads } = nodeFacts({ a: node('a') });
    expect(nodeFact(facts, 'a').status).toBe('present');
    expect(nodeFact(facts, 'a').status).toBe('present');
    expect(reads).toEqual(['a']);
  });

  it('reads an unreadable node every time, so that every check that reads it records it', () => {
    const { facts, reads } = nodeFacts({});
    expect(nodeFact(facts, 'b').status).toBe('error');
    expect(nodeFact(facts, 'b').status).toBe('error');
    expect(reads).toEqual(['b', 'b']);
  });

  it('keeps one facts apart from another', () => {
    const first = nodeFacts({ a: node('a') });
    const second = nodeFacts({});
    expect(nodeFact(first.facts, 'a').status).toBe('present');
    expect(nodeFact(second.facts, 'a').status).toBe('error');
  });
});

describe('inspectedSpecs', () => {
  const pod = (name: string): Pod => ({
    metadata: { name, namespace: 'shop', labels: { app: name } },
    spec: { containers: [] },
  });
  const subject = (pods: readonly Pod[]): Subject => ({ pods: present(pods, 'k8s/pods.json') }) as unknown as Subject;

  it('lists each pod of a pod list once while the checks of its subject ask', () => {
    const pods = [pod('a'), pod('b')];
    const first = inspectedSpecs(subject(pods));
    expect(first.map((s) => s.label)).toEqual(['pod `shop/a`', 'pod `shop/b`']);
    expect(inspectedSpecs(subject(pods))).toBe(first);
  });

  it('lists another pod list on its own, and the first again after it', () => {
    const pods = [pod('a')];
    expect(inspectedSpecs(subject(pods)).map((s) => s.label)).toEqual(['pod `shop/a`']);
    expect(inspectedSpecs(subject([pod('c')])).map((s) => s.label)).toEqual(['pod `shop/c`']);
    expect(inspectedSpecs(subject(pods)).map((s) => s.label)).toEqual(['pod `shop/a`']);
  });
});
