// Finding the Workload Identity annotation, and keys that were probably meant to be it.

import { WI_ANNOTATION } from '../model/k8s/types.js';
import type { AnnotationFinding } from './subject.js';

const WI_SUFFIX = 'gcp-service-account';

/** Levenshtein distance, bounded: returns `limit + 1` as soon as the distance exceeds `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}

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
