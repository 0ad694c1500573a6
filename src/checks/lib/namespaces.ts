// Per-namespace lookups the subject checks share: labels, and the KSAs that carry the Workload Identity
// annotation (hints for "which KSA did you mean").

import type { Facts } from '../../model/facts.js';
import { WI_ANNOTATION } from '../../model/k8s/types.js';
import type { Namespace, ServiceAccountObject } from '../../model/k8s/types.js';

/** Labels of a namespace, undefined when the namespace object was not read. */
export function namespaceLabels(facts: Facts, namespace: string): Record<string, string> | undefined {
  const fact = facts.k8s.get<Namespace>('namespaces', undefined, namespace);
  return fact.status === 'present' ? (fact.value.metadata.labels ?? {}) : undefined;
}

export interface AnnotatedKsa {
  name: string;
  gsa: string;
}

/** KSAs of the namespace that carry the exact annotation (empty when service accounts were not read). */
export function annotatedServiceAccounts(facts: Facts, namespace: string): AnnotatedKsa[] {
  const fact = facts.k8s.inNamespace<ServiceAccountObject>('serviceaccounts', namespace);
  if (fact.status !== 'present') return [];
  const found: AnnotatedKsa[] = [];
  for (const ksa of fact.value) {
    const gsa = ksa.metadata.annotations?.[WI_ANNOTATION];
    if (gsa !== undefined) found.push({ name: ksa.metadata.name, gsa });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** The annotated KSA most likely meant for a workload: the one named like the workload, else the only one. */
export function probableKsa(
  candidates: readonly AnnotatedKsa[],
  workloadName: string | undefined,
): AnnotatedKsa | undefined {
  if (workloadName !== undefined) {
    const same = candidates.find((c) => c.name === workloadName);
    if (same !== undefined) return same;
    // `cart-worker` running as `default` while `cart` is annotated: a shared prefix is the next best sign.
    const related = candidates.filter(
      (c) => workloadName.startsWith(`${c.name}-`) || c.name.startsWith(`${workloadName}-`),
    );
    if (related.length === 1) return related[0];
  }
  return candidates.length === 1 ? candidates[0] : undefined;
}
