// Fix commands belong to the report layer: the engine hands over plans (action, target, params) and the
// renderers ask here for their gcloud, kubectl and Terraform text. Each plan is rendered once per run.

import { renderFix } from '../fix/render.js';
import type { FixAction, FixPlan } from '../model/results.js';

const rendered = new WeakMap<FixPlan, FixAction>();

/**
 * A plan with its commands. A plan the renderers reject (a malformed target: a bug in a check) keeps its
 * description and says that its commands could not be rendered; it is never dropped. The tests render
 * every plan of every example with `renderFix` itself, which throws instead.
 */
export function renderedFix(plan: FixPlan): FixAction {
  let fix = rendered.get(plan);
  if (fix === undefined) {
    try {
      fix = renderFix(plan);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      fix = {
        ...plan,
        params: { ...plan.params },
        description: `${plan.description.trimEnd()} (wi-doctor could not render its commands: ${why})`,
        gcloud: null,
        kubectl: null,
        terraform: null,
      };
    }
    rendered.set(plan, fix);
  }
  return fix;
}

export type FixTool = 'gcloud' | 'kubectl' | 'terraform';

/** Every command of a fix, labelled, in the order a person runs them: shell commands before Terraform. */
export function fixCommands(plan: FixPlan): { tool: FixTool; command: string }[] {
  const fix = renderedFix(plan);
  const out: { tool: FixTool; command: string }[] = [];
  if (fix.gcloud !== null) out.push({ tool: 'gcloud', command: fix.gcloud });
  if (fix.kubectl !== null) out.push({ tool: 'kubectl', command: fix.kubectl });
  if (fix.terraform !== null) out.push({ tool: 'terraform', command: fix.terraform });
  return out;
}

/** The first command a person would paste (gcloud or kubectl), if the fix has one. */
export function firstShellCommand(plan: FixPlan): string | undefined {
  return fixCommands(plan).find((c) => c.tool !== 'terraform')?.command;
}
