// The fix plan: the diagnosis' fix actions for the subjects (every failing and warning result that bears on
// them, their own and their cluster's, node pools' and project's), deduplicated, ordered along the chain
// (src/fix/order.ts), each with why and what it changes. Restarts are added for the workloads whose pods would
// keep an identity the plan changes. The plan depends only on each action's data (action, target, params);
// commands are rendered from it, never the other way round.

import type { Subject } from '../engine/subject.js';
import type { FixActionName } from './actions.js';
import type { Facts } from '../model/facts.js';
import type { FixPlan, Report, Status } from '../model/results.js';
import { identityChangeOf, restartFix, workloadsRunningAs } from '../checks/lib/workloads.js';
import { describeChange } from './describe.js';
import { isFixAction, traitsOf } from './order.js';
import { parseIamResource, parseObject, WORKLOAD_KINDS } from './render/targets.js';

export const PLAN_FORMAT = 'wi-doctor-fix-plan/1';

/** How a step is carried out: by `--apply`, by `--apply --allow-disruptive` only, or by a person. */
export type StepMode = 'auto' | 'disruptive' | 'manual';

export interface StepReason {
  check: string;
  subject: string;
  status: Status;
  cause: string;
}

export interface PlanStep {
  /** 1-based position in the plan. */
  n: number;
  action: FixActionName;
  target: string;
  params: Record<string, string>;
  description: string;
  /** The results that ask for this step (empty for a restart the plan adds). */
  why: StepReason[];
  before: string;
  after: string;
  mode: StepMode;
  /** Why the step is disruptive, or why no tool can do it. */
  note?: string;
  /**
   * For a restart the plan adds: the steps whose change the pods must pick up. When apply finds all of them
   * already done, the restart is not needed.
   */
  triggeredBy?: number[];
}

export interface PlanSubject {
  id: string;
  /** `NS/KSA` the subject's pods run as. */
  ksa: string;
  /** The annotated GSA (impersonation), if any. */
  gsa?: string;
  rootCause: string | null;
  headline: string;
}

export interface FixPlanDocument {
  format: typeof PLAN_FORMAT;
  /** A bundle path or `live`. */
  source: string;
  cluster: string;
  generatedAt: string;
  subjects: PlanSubject[];
  steps: PlanStep[];
}

const NEEDS_ACTION: ReadonlySet<Status> = new Set<Status>(['fail', 'warn']);

/**
 * The live token chain's own advice ("apply the fix of X, then run the chain again") is what `fix --apply`
 * does by itself: it runs the chain after every change. Its result explains; it adds no step.
 */
const EXPLAINS_ONLY = new Set(['end-to-end-token']);

/** Kinds whose pod template cannot change in place (a pod, a Job): those edits are for a person. */
const IMMUTABLE_TEMPLATE = new Set(['pods', 'jobs']);
const TEMPLATE_EDITS = new Set(['set-service-account-name', 'unset-host-network', 'remove-credential-override']);

/** Why a step from the vocabulary still cannot be done through an API here; undefined when it can. */
function manualReason(plan: FixPlan): string | undefined {
  // Typed by the vocabulary, but a plan may come from outside (a probe report of a bundle): checked at run time.
  const action: string = plan.action;
  if (!isFixAction(action)) return `no tool knows the action "${action}"`;
  if (plan.action === 'manual') return 'a step no API call expresses';
  if (plan.action === 'add-iam-binding' || plan.action === 'remove-iam-member') {
    const resource = parseIamResource(plan.action, plan.target);
    if (resource.type === 'other')
      return `wi-doctor writes no policy of ${resource.fullName}: use that service's own IAM command`;
  }
  if (TEMPLATE_EDITS.has(plan.action)) {
    const w = parseObject(plan.action, plan.target, WORKLOAD_KINDS);
    if (IMMUTABLE_TEMPLATE.has(w.kind))
      return `a ${w.kind === 'pods' ? 'pod' : 'Job'}'s pod template cannot change in place: change its manifest and recreate it`;
  }
  if (plan.action === 'restart-workload') {
    const w = parseObject(plan.action, plan.target, WORKLOAD_KINDS);
    if (w.kind === 'jobs' || w.kind === 'cronjobs')
      return 'a Job or CronJob cannot be restarted: its next pods get the change';
  }
  return undefined;
}

function modeOf(plan: FixPlan): { mode: StepMode; note?: string } {
  const manual = manualReason(plan);
  if (manual !== undefined) return { mode: 'manual', note: manual };
  if (plan.action === 'restart-workload' && plan.target.split('/')[2] === 'pods') {
    return { mode: 'disruptive', note: 'deletes a pod that no controller recreates' };
  }
  const traits = traitsOf(plan.action);
  return traits.disruptive ? { mode: 'disruptive', note: traits.why ?? 'disruptive' } : { mode: 'auto' };
}

const keyOf = (p: { action: string; target: string; params: Record<string, string> }): string =>
  `${p.action} ${p.target} ${JSON.stringify(Object.entries(p.params).sort(([a], [b]) => a.localeCompare(b)))}`;

interface Draft {
  plan: FixPlan;
  why: StepReason[];
  seen: number;
  triggeredByKeys?: string[];
}

/**
 * The check names each metadata-egress NetworkPolicy after its pod selector (`check` prints the same name). Two
 * different selectors whose values spell the same name (`app=cart` and `tier=cart`) would still overwrite each
 * other: only then is a number added.
 */
function separateEgressPolicies(drafts: readonly Draft[]): void {
  const byTarget = new Map<string, Draft[]>();
  for (const d of drafts) {
    if (d.plan.action !== 'allow-metadata-egress') continue;
    byTarget.set(d.plan.target, [...(byTarget.get(d.plan.target) ?? []), d]);
  }
  for (const [target, group] of byTarget) {
    if (group.length < 2) continue;
    group.forEach((d, i) => {
      if (i > 0) d.plan.target = `${target}-${i + 1}`;
    });
  }
}

export { workloadsRunningAs };

export interface PlanInput {
  report: Report;
  facts: Facts;
  subjects: readonly Subject[];
}

export function buildFixPlan({ report, facts, subjects }: PlanInput): FixPlanDocument {
  const drafts = new Map<string, Draft>();
  let seen = 0;
  const add = (plan: FixPlan, reason: StepReason | undefined): Draft => {
    const key = keyOf(plan);
    let draft = drafts.get(key);
    if (draft === undefined) {
      draft = {
        plan: { action: plan.action, target: plan.target, params: { ...plan.params }, description: plan.description },
        why: [],
        seen: seen++,
      };
      drafts.set(key, draft);
    }
    if (reason !== undefined && !draft.why.some((w) => w.check === reason.check && w.subject === reason.subject)) {
      draft.why.push(reason);
    }
    return draft;
  };

  for (const verdict of report.verdicts) {
    const bearing = new Set([verdict.subject, ...verdict.related]);
    for (const result of report.results) {
      if (!bearing.has(result.subject) || !NEEDS_ACTION.has(result.status) || EXPLAINS_ONLY.has(result.check)) continue;
      const reason: StepReason = {
        check: result.check,
        subject: result.subject,
        status: result.status,
        cause: result.cause ?? result.title,
      };
      // A check prints the restarts that follow its identity change (withRestarts); the plan adds them itself
      // below, as restarts triggered by that change, which apply skips when the change was already made.
      const followUps = result.fix.some((f) => identityChangeOf(f) !== undefined);
      for (const fix of result.fix) if (!(followUps && fix.action === 'restart-workload')) add(fix, reason);
    }
  }

  // Pods keep the identity they started with: restart the workloads of every KSA whose identity changes,
  // unless the plan already replaces their pods by editing their template.
  const templateEdited = new Set(
    [...drafts.values()].filter((d) => TEMPLATE_EDITS.has(d.plan.action)).map((d) => d.plan.target),
  );
  for (const draft of [...drafts.values()]) {
    const ksa = identityChangeOf(draft.plan);
    if (ksa === undefined) continue;
    for (const target of workloadsRunningAs(facts, ksa)) {
      if (templateEdited.has(target)) continue;
      const existing = drafts.get(keyOf({ action: 'restart-workload', target, params: {} }));
      // A restart the diagnosis asked for runs whatever else happens; one the plan adds only when needed.
      if (existing !== undefined && existing.why.length > 0) continue;
      const restart = add(restartFix(target, ksa), undefined);
      restart.triggeredByKeys = [...(restart.triggeredByKeys ?? []), keyOf(draft.plan)];
    }
  }

  separateEgressPolicies([...drafts.values()]);
  const ordered = [...drafts.values()].sort(
    (a, b) => traitsOf(a.plan.action).phase - traitsOf(b.plan.action).phase || a.seen - b.seen,
  );
  const numberOf = new Map(ordered.map((d, i) => [keyOf(d.plan), i + 1]));
  const steps: PlanStep[] = ordered.map((d, i) => {
    const { mode, note } = modeOf(d.plan);
    const change = describeChange(facts, d.plan);
    const step: PlanStep = {
      n: i + 1,
      action: d.plan.action,
      target: d.plan.target,
      params: d.plan.params,
      description: d.plan.description,
      why: d.why,
      before: change.before,
      after: change.after,
      mode,
    };
    if (note !== undefined) step.note = note;
    if (d.why.length === 0 && d.triggeredByKeys !== undefined) {
      step.triggeredBy = d.triggeredByKeys.map((k) => numberOf.get(k) ?? 0).filter((n) => n > 0);
    }
    return step;
  });

  const byId = new Map(subjects.map((s) => [s.id, s]));
  return {
    format: PLAN_FORMAT,
    source: report.source,
    cluster: report.cluster,
    generatedAt: report.generatedAt,
    subjects: report.verdicts.map((v) => {
      const s = byId.get(v.subject);
      const out: PlanSubject = {
        id: v.subject,
        ksa: s === undefined ? v.subject : `${s.namespace}/${s.ksaName}`,
        rootCause: v.rootCause,
        headline: v.headline,
      };
      if (s?.gsaEmail !== undefined) out.gsa = s.gsaEmail;
      return out;
    }),
    steps,
  };
}

/** Steps `--apply` will carry out, given whether disruptive ones are allowed. */
export function stepsToApply(plan: FixPlanDocument, allowDisruptive: boolean): PlanStep[] {
  return plan.steps.filter((s) => s.mode === 'auto' || (s.mode === 'disruptive' && allowDisruptive));
}
