// The fix plan in four forms: text for people, JSON for tools, a shell script and Terraform to review and
// run by hand. Commands come from the per-action renderers (src/fix/render.ts), fed the plan's data.

import type { FixAction } from '../../model/results.js';
import { oneLine, redactSecrets } from '../../report/common.js';
import type { FixPlanDocument, PlanStep } from '../plan.js';
import { renderFix } from '../render.js';

export const PLAN_FORMATS = ['text', 'json', 'shell', 'terraform'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

/**
 * One printable line: no secrets (redacted first, so that escaping cannot split one), no line breaks, control and
 * bidi characters escaped (a terminal must not be steered).
 */
export const clean = (text: string): string => oneLine(redactSecrets(text));

/** The commands of one step, or the reason there are none. */
export function commandsOf(step: PlanStep): { rendered?: FixAction; error?: string } {
  try {
    return {
      rendered: renderFix({
        action: step.action,
        target: step.target,
        params: step.params,
        description: step.description,
      }),
    };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** The one command a person would run for a step: gcloud, else kubectl. */
export function commandOf(step: PlanStep): string | null {
  const { rendered } = commandsOf(step);
  return rendered?.gcloud ?? rendered?.kubectl ?? null;
}

const MODE_NOTE: Record<PlanStep['mode'], string> = {
  auto: '',
  disruptive: 'disruptive, applied only with --allow-disruptive',
  manual: 'manual: printed, never applied',
};

export function countSteps(plan: FixPlanDocument): { auto: number; disruptive: number; manual: number } {
  const count = { auto: 0, disruptive: 0, manual: 0 };
  for (const s of plan.steps) count[s.mode]++;
  return count;
}

export function planText(plan: FixPlanDocument): string {
  const lines: string[] = [];
  lines.push(
    `Fix plan for ${plan.subjects.map((s) => s.id).join(', ') || 'no subject'} (cluster ${plan.cluster}, from ${plan.source})`,
  );
  for (const s of plan.subjects) lines.push(`  ${s.id}: ${clean(s.headline)}`);
  lines.push('');
  if (plan.steps.length === 0) {
    lines.push('Nothing to change: no failing or warning result of these subjects has a fix.');
    return `${lines.join('\n')}\n`;
  }
  for (const step of plan.steps) {
    const mode = MODE_NOTE[step.mode];
    lines.push(`${step.n}. ${step.action} ${clean(step.target)}${mode ? `  [${mode}]` : ''}`);
    lines.push(`   ${clean(step.description)}`);
    for (const why of step.why)
      lines.push(`   why:    ${why.check} (${why.status}) on ${why.subject}: ${clean(why.cause)}`);
    if (step.triggeredBy !== undefined && step.triggeredBy.length > 0) {
      lines.push(`   why:    pods keep the identity they started with; step ${step.triggeredBy.join(', ')} changes it`);
    }
    if (step.before !== '') lines.push(`   before: ${clean(step.before)}`);
    if (step.after !== '') lines.push(`   after:  ${clean(step.after)}`);
    if (step.note !== undefined) lines.push(`   note:   ${clean(step.note)}`);
    const command = commandOf(step);
    if (command !== null) {
      const [first = '', ...rest] = command.split('\n');
      lines.push(`   run:    ${first}`, ...rest.map((l) => `           ${l}`));
    }
  }
  const c = countSteps(plan);
  lines.push('');
  lines.push(
    `${c.auto} change${c.auto === 1 ? '' : 's'} for --apply, ${c.disruptive} disruptive (--allow-disruptive), ${c.manual} manual.`,
  );
  return `${lines.join('\n')}\n`;
}

export function planJson(plan: FixPlanDocument): string {
  const steps = plan.steps.map((step) => {
    const { rendered, error } = commandsOf(step);
    return {
      ...step,
      commands: {
        gcloud: rendered?.gcloud ?? null,
        kubectl: rendered?.kubectl ?? null,
        terraform: rendered?.terraform ?? null,
        ...(error !== undefined ? { error } : {}),
      },
    };
  });
  return `${JSON.stringify({ ...plan, steps }, null, 2)}\n`;
}

const comment = (text: string): string => `# ${clean(text)}`;

/**
 * A bash script: `set -euo pipefail` stops at the first failing command; every argument is quoted by the
 * renderers; heredoc terminators start their line; disruptive steps are commented out; manual steps are
 * comments. Nothing runs that the plan does not show.
 */
export function planShell(plan: FixPlanDocument): string {
  const out: string[] = [
    '#!/usr/bin/env bash',
    comment(
      `wi-doctor fix plan for ${plan.subjects.map((s) => s.id).join(', ')} (cluster ${plan.cluster}, from ${plan.source}, ${plan.generatedAt})`,
    ),
    '# Review before running: the steps run in order and the script stops at the first failure.',
    'set -euo pipefail',
  ];
  if (plan.steps.length === 0) out.push('', '# Nothing to change.');
  for (const step of plan.steps) {
    out.push('', comment(`${step.n}. ${step.action} ${step.target}: ${step.description}`));
    if (step.before !== '') out.push(comment(`   before: ${step.before}`), comment(`   after:  ${step.after}`));
    const command = commandOf(step);
    if (step.mode === 'manual' || command === null) {
      out.push(comment(`   not scripted: ${step.note ?? 'no gcloud or kubectl command does this'}`));
      continue;
    }
    if (step.mode === 'disruptive') {
      out.push(comment(`   disruptive (${step.note ?? ''}): uncomment to run`));
      out.push(...command.split('\n').map((l) => `# ${l}`));
      continue;
    }
    out.push(command);
  }
  return `${out.join('\n')}\n`;
}

/** Terraform for the steps a resource expresses; the rest as comments naming the command instead. */
export function planTerraform(plan: FixPlanDocument): string {
  const out: string[] = [
    comment(
      `wi-doctor fix plan for ${plan.subjects.map((s) => s.id).join(', ')} (cluster ${plan.cluster}, from ${plan.source})`,
    ),
    '# Resources for the steps Terraform can express; merge them into your configuration and review `terraform plan`.',
  ];
  for (const step of plan.steps) {
    const { rendered } = commandsOf(step);
    out.push('', comment(`${step.n}. ${step.action} ${step.target}: ${step.description}`));
    if (rendered?.terraform != null && step.mode !== 'manual') {
      if (step.mode === 'disruptive') out.push(comment(`   disruptive: ${step.note ?? ''}`));
      out.push(rendered.terraform);
    } else {
      const command = rendered?.gcloud ?? rendered?.kubectl ?? null;
      out.push(
        comment(
          `   no Terraform resource${command !== null ? `; instead: ${command.split('\n')[0] ?? ''}` : ''}${step.note !== undefined ? ` (${step.note})` : ''}`,
        ),
      );
    }
  }
  return `${out.join('\n')}\n`;
}

export const PLAN_RENDERERS: Record<PlanFormat, (plan: FixPlanDocument) => string> = {
  text: planText,
  json: planJson,
  shell: planShell,
  terraform: planTerraform,
};
