// The pod specs a subject check inspects: its pods when any are known, else the workload's pod template
// (a workload with no pods running is still worth checking), and the nodes those pods run on.

import { need } from '../../model/facts.js';
import type { Fact, Facts } from '../../model/facts.js';
import type { Node, Pod, PodSpec } from '../../model/k8s/types.js';
import type { Subject } from '../../engine/subject.js';

/** Shared by the checks that inspect a subject's pods: read, never changed. */
export interface InspectedSpec {
  /** For messages: `pod \`shop/cart-7d9f8b6c5d-abcde\`` or `the pod template of \`shop/deployment/cart\``. */
  readonly label: string;
  /** The pod, when this spec is a pod's (undefined for a template). */
  readonly pod: Pod | undefined;
  readonly labels: Record<string, string> | undefined;
  readonly spec: PodSpec;
}

function podLabel(pod: Pod): string {
  return `pod \`${pod.metadata.namespace ?? '?'}/${pod.metadata.name}\``;
}

/**
 * Several checks inspect each subject's pods, one subject after another: the specs of the last pod list are kept,
 * so that they are listed once per subject without holding 50,000 of them to the end of the run.
 */
let lastPods: readonly Pod[] | undefined;
let lastSpecs: readonly InspectedSpec[] = [];

function podSpecs(pods: readonly Pod[]): readonly InspectedSpec[] {
  if (pods !== lastPods) {
    lastSpecs = pods.map((pod) => ({ label: podLabel(pod), pod, labels: pod.metadata.labels, spec: pod.spec }));
    lastPods = pods;
  }
  return lastSpecs;
}

/**
 * The subject's pod specs. Pods win when there are some; else the template; else no spec (an empty list,
 * which callers report as nothing to inspect). Throws through `need` when the pods could not be read and
 * no template is known: the check is then unknown.
 */
export function inspectedSpecs(subject: Subject): readonly InspectedSpec[] {
  const pods = subject.pods.status === 'present' ? subject.pods.value : undefined;
  if (pods !== undefined && pods.length > 0) return podSpecs(pods);
  if (subject.template !== undefined) {
    const owner =
      subject.workload !== undefined
        ? `${subject.namespace}/${subject.workload.kind.toLowerCase()}/${subject.workload.name}`
        : subject.id;
    return [
      {
        label: `the pod template of \`${owner}\``,
        pod: undefined,
        labels: subject.template.metadata?.labels,
        spec: subject.template.spec,
      },
    ];
  }
  need(subject.pods);
  return [];
}

/** The pods of a subject (unknown when not readable). */
export function subjectPods(subject: Subject): readonly Pod[] {
  return need(subject.pods);
}

/** The distinct node names the pods are scheduled on; pods with no node yet are returned apart. */
export function nodesOfPods(pods: readonly Pod[]): { nodes: Map<string, Pod[]>; unscheduled: Pod[] } {
  const nodes = new Map<string, Pod[]>();
  const unscheduled: Pod[] = [];
  for (const pod of pods) {
    const node = pod.spec.nodeName;
    if (node === undefined || node === '') {
      unscheduled.push(pod);
      continue;
    }
    const list = nodes.get(node) ?? [];
    list.push(pod);
    nodes.set(node, list);
  }
  return { nodes, unscheduled };
}

/**
 * Nodes read, per facts: a few hundred nodes carry tens of thousands of pods. Only nodes that were read are kept:
 * reading a missing or unreadable one again is what records it for the check that reads it (a check that read
 * a broken fact never passes), and reading a present one records nothing.
 */
const presentNodes = new WeakMap<Facts, Map<string, Fact<Node>>>();

export function nodeFact(facts: Facts, name: string): Fact<Node> {
  let nodes = presentNodes.get(facts);
  if (nodes === undefined) {
    nodes = new Map();
    presentNodes.set(facts, nodes);
  }
  const known = nodes.get(name);
  if (known !== undefined) return known;
  const fact = facts.k8s.get<Node>('nodes', undefined, name);
  if (fact.status === 'present') nodes.set(name, fact);
  return fact;
}

/** Pods that are still running or about to (finished pods hold no credentials). */
export function isLive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}
