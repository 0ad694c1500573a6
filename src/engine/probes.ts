// Probe reports that joined the facts (a bundle's probe/ folder): their results are what a pod actually saw,
// so they are shown with the subject whose pod ran the probe, after the static checks.

import type { Facts } from '../model/facts.js';
import { FIX_ACTIONS } from '../fix/actions.js';
import type { CheckResult, FixPlan } from '../model/results.js';
import { STATUSES } from '../model/results.js';
import type { Subject } from './subject.js';

function isResult(value: unknown): value is CheckResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<CheckResult>;
  return (
    typeof r.check === 'string' &&
    typeof r.subject === 'string' &&
    typeof r.title === 'string' &&
    STATUSES.includes(r.status as CheckResult['status'])
  );
}

/** Probe results per subject id; reports of another format, or results naming no subject of this run, are noted. */
export function probeResultsFor(
  facts: Facts,
  subjects: readonly Subject[],
): { bySubject: Map<string, CheckResult[]>; notes: string[] } {
  const bySubject = new Map<string, CheckResult[]>();
  const notes: string[] = [];
  if (facts.probes.length === 0) return { bySubject, notes };
  // A probe names its pod (`ns/pod/NAME`) or the workload it was placed like (`ns/kind/name`).
  const owners = new Map<string, Subject>();
  for (const subject of subjects) {
    owners.set(subject.id, subject);
    if (subject.workload) owners.set(`${subject.namespace}/${subject.workload.kind}/${subject.workload.name}`, subject);
    if (subject.pods.status === 'present') {
      for (const pod of subject.pods.value) owners.set(`${subject.namespace}/pod/${pod.metadata.name}`, subject);
    }
  }
  for (const { source, report } of facts.probes) {
    const r = report as { format?: unknown; results?: unknown };
    if (r.format !== 'wi-doctor-report/1' || !Array.isArray(r.results)) {
      notes.push(`${source}: not a wi-doctor probe report (format wi-doctor-report/1); ignored`);
      continue;
    }
    for (const result of r.results) {
      if (!isResult(result)) continue;
      const owner = owners.get(result.subject);
      if (!owner) continue;
      const list = bySubject.get(owner.id) ?? [];
      list.push({
        ...result,
        subject: owner.id,
        fix: fixPlansOf(result.fix),
        location: typeof result.location === 'string' && result.location ? result.location : source,
        evidence: {
          ...result.evidence,
          notes: [...(result.evidence?.notes ?? []), `seen by the probe in ${result.subject} (${source})`],
        },
      });
      bySubject.set(owner.id, list);
    }
  }
  return { bySubject, notes };
}

/**
 * The fixes of a probe result, read from JSON: plans of the vocabulary are kept as plans; anything else
 * with a description becomes a `manual` step, so that nothing a probe said is lost or rendered blindly.
 */
function fixPlansOf(value: unknown): FixPlan[] {
  if (!Array.isArray(value)) return [];
  const plans: FixPlan[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const f = item as Record<string, unknown>;
    const description = typeof f['description'] === 'string' ? f['description'] : undefined;
    const target = typeof f['target'] === 'string' ? f['target'] : '';
    const params = f['params'];
    const stringParams =
      typeof params === 'object' && params !== null && Object.values(params).every((v) => typeof v === 'string')
        ? (params as Record<string, string>)
        : undefined;
    const action = (FIX_ACTIONS as readonly unknown[]).includes(f['action'])
      ? (f['action'] as FixPlan['action'])
      : undefined;
    if (action !== undefined && stringParams !== undefined && description !== undefined) {
      plans.push({ action, target, params: stringParams, description });
    } else if (description !== undefined) {
      plans.push({ action: 'manual', target, params: {}, description });
    }
  }
  return plans;
}
