// Carry out a fix plan in its order. Manual steps are reported, never guessed; disruptive ones are withheld
// without --allow-disruptive; the first failed write stops the run (a refused write is never retried), and
// what was applied and what was not is reported. Every outcome is handed to `onChange` as it happens: the CLI
// prints it and appends it to the --log file.

import type { PlanStep, FixPlanDocument } from '../plan.js';
import { isFixAction } from '../order.js';
import { FixPlanError } from '../render/targets.js';
import { addIamBindings, APPLIERS } from './steps.js';
import type { Writers } from './steps.js';
import { WriteFailure } from './rmw.js';

export type ChangeStatus = 'applied' | 'no-op' | 'withheld' | 'manual' | 'failed' | 'not-run';

/** One line of the audit trail. */
export interface ChangeRecord {
  at: string;
  step: number;
  action: string;
  target: string;
  status: ChangeStatus;
  detail: string;
  etagBefore?: string;
  etagAfter?: string;
  /** HTTP status of a failed call. */
  httpStatus?: number;
  /** Read-modify-write attempts (1 + one per 409). */
  attempts?: number;
}

export interface ApplyOptions {
  allowDisruptive: boolean;
  onChange?: (record: ChangeRecord) => void;
  now?: () => Date;
}

export interface ApplyResult {
  records: ChangeRecord[];
  /** The step whose failure stopped the run. */
  failed?: ChangeRecord;
}

export async function applyPlan(plan: FixPlanDocument, writers: Writers, options: ApplyOptions): Promise<ApplyResult> {
  const now = options.now ?? (() => new Date());
  const records: ChangeRecord[] = [];
  const byStep = new Map<number, ChangeRecord>();
  let failed: ChangeRecord | undefined;
  const record = (step: PlanStep, status: ChangeStatus, detail: string, extra: Partial<ChangeRecord> = {}): void => {
    const r: ChangeRecord = {
      at: now().toISOString(),
      step: step.n,
      action: step.action,
      target: step.target,
      status,
      detail,
      ...extra,
    };
    records.push(r);
    byStep.set(step.n, r);
    options.onChange?.(r);
  };

  /** The steps after `i` that can share its policy write: consecutive grants on the same policy, same mode. */
  const batchOf = (i: number): PlanStep[] => {
    const step = plan.steps[i];
    const batch: PlanStep[] = [];
    for (let j = i; step !== undefined && j < plan.steps.length; j++) {
      const s = plan.steps[j];
      if (s?.action !== 'add-iam-binding' || s.target !== step.target || s.mode !== step.mode) break;
      if (s.triggeredBy !== undefined && s.triggeredBy.length > 0) break;
      batch.push(s);
    }
    return batch;
  };

  for (let i = 0; i < plan.steps.length; i++) {
    const step = plan.steps[i];
    if (step === undefined) continue;
    if (step.mode === 'manual') {
      record(step, 'manual', `${step.description}${step.note !== undefined ? ` (${step.note})` : ''}`);
      continue;
    }
    if (step.mode === 'disruptive' && !options.allowDisruptive) {
      record(step, 'withheld', `${step.note ?? 'disruptive'}: run with --allow-disruptive to apply`);
      continue;
    }
    if (failed !== undefined) {
      record(step, 'not-run', `not attempted: step ${failed.step} failed`);
      continue;
    }
    if (step.triggeredBy !== undefined && step.triggeredBy.length > 0) {
      const triggers = step.triggeredBy.map((n) => byStep.get(n)?.status);
      if (triggers.every((s) => s === 'no-op')) {
        record(step, 'no-op', `step ${step.triggeredBy.join(', ')} changed nothing, so the pods need no restart`);
        continue;
      }
    }
    if (!isFixAction(step.action) || step.action === 'manual') {
      record(step, 'manual', step.description);
      continue;
    }
    const batch = batchOf(i);
    if (batch.length > 1) {
      // One read-modify-write for every grant this policy gains: one read and one write, not one per member.
      try {
        const results = await addIamBindings(batch, writers);
        batch.forEach((s, k) => {
          const result = results[k];
          if (result === undefined) return;
          const extra: Partial<ChangeRecord> = { attempts: result.attempts ?? 1 };
          if (result.etagBefore !== undefined) extra.etagBefore = result.etagBefore;
          if (result.etagAfter !== undefined) extra.etagAfter = result.etagAfter;
          record(s, result.changed ? 'applied' : 'no-op', result.detail, extra);
        });
      } catch (error) {
        if (!(error instanceof WriteFailure) && !(error instanceof FixPlanError)) throw error;
        const extra: Partial<ChangeRecord> = {};
        if (error instanceof WriteFailure && error.status !== undefined) extra.httpStatus = error.status;
        const [head, ...rest] = batch;
        if (head !== undefined) record(head, 'failed', error.message, extra);
        failed = head === undefined ? undefined : byStep.get(head.n);
        for (const s of rest) record(s, 'not-run', `not attempted: step ${head?.n ?? step.n} failed`);
      }
      i += batch.length - 1;
      continue;
    }
    try {
      const result = await APPLIERS[step.action](step, writers);
      const extra: Partial<ChangeRecord> = {};
      if (result.etagBefore !== undefined) extra.etagBefore = result.etagBefore;
      if (result.etagAfter !== undefined) extra.etagAfter = result.etagAfter;
      if (result.attempts !== undefined) extra.attempts = result.attempts;
      record(step, result.changed ? 'applied' : 'no-op', result.detail, extra);
    } catch (error) {
      if (!(error instanceof WriteFailure) && !(error instanceof FixPlanError) && !(error instanceof SyntaxError))
        throw error;
      const extra: Partial<ChangeRecord> = {};
      if (error instanceof WriteFailure && error.status !== undefined) extra.httpStatus = error.status;
      record(step, 'failed', error.message, extra);
      failed = byStep.get(step.n);
    }
  }
  return failed === undefined ? { records } : { records, failed };
}
