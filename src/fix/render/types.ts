// What one action's renderer returns, and how it reads the plan's params.

import type { FixPlan } from '../../model/results.js';
import { FixPlanError } from './targets.js';

export interface Rendered {
  gcloud: string | null;
  kubectl: string | null;
  terraform: string | null;
  /** Appended to the plan's description: why a tool is null, or what the command does not cover. */
  note?: string;
}

export type Renderer = (plan: FixPlan) => Rendered;

export function param(plan: FixPlan, name: string): string {
  const value = plan.params[name];
  if (value === undefined || value === '')
    throw new FixPlanError(plan.action, plan.target, `param "${name}" is required`);
  return value;
}

export function optionalParam(plan: FixPlan, name: string): string | undefined {
  const value = plan.params[name];
  return value === undefined || value === '' ? undefined : value;
}
