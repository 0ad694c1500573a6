// Finding the Workload Identity annotation, and keys that were probably meant to be it.

import { WI_ANNOTATION } from '../model/k8s/types.js';
import type { AnnotationFinding } from './subject.js';
import { editDistance } from '../model/edit-distance.js';

const WI_SUFFIX = 'gcp-service-account';

/**
 * Keys that look like `iam.gke.io/gcp-service-account` but are not: within edit distance 3, or the right name
 * under a wrong prefix (`iam.gke.com/gcp-service-account`, `gcp-service-account`).
 */
export function nearMissAnnotations(
  annotations: Record<string, string> | undefined,
): (AnnotationFinding & { distance: number })[] {
  if (!annotations) return [];
  const found: (AnnotationFinding & { distance: number })[] = [];
  for (const [key, value] of Object.entries(annotations)) {
    if (key === WI_ANNOTATION) continue;
    const distance = editDistance(key.toLowerCase(), WI_ANNOTATION, 3);
    const wrongPrefix = key.toLowerCase().endsWith(WI_SUFFIX) || key.toLowerCase().endsWith('gcp-serviceaccount');
    if (distance <= 3 || wrongPrefix) found.push({ key, value, distance: Math.min(distance, 4) });
  }
  return found.sort((a, b) => a.distance - b.distance);
}
