// `wi-doctor fix`: diagnose (live or from a bundle), print the fix plan; with --apply, ask once, carry the plan
// out through the API clients, print and log each change as it happens, then verify with the real token chain.
// Exit 0 only when everything needed was applied and the subjects verifiably work.

import { CHECKS } from '../../checks/index.js';
import { readBundle } from '../../collect/bundle/read.js';
import type { LiveOptions } from '../../collect/live/live.js';
import { liveFacts } from '../../collect/live/live.js';
import { diagnose } from '../../engine/diagnose.js';
import { UsageError } from '../../engine/errors.js';
import { resolveSubjects } from '../../engine/subjects.js';
import { isKnownPermission, similarPermissions } from '../../model/iam/catalog.js';
import { isServiceAccountEmail } from '../../model/identifiers.js';
import type { Facts } from '../../model/facts.js';
import { applyPlan } from '../../fix/apply/apply.js';
import type { ApplyResult, ChangeRecord } from '../../fix/apply/apply.js';
import { writeContext } from '../../fix/apply/context.js';
import { GoogleWriter } from '../../fix/apply/google.js';
import { KubeWriter } from '../../fix/apply/kube.js';
import { clean, countSteps, PLAN_RENDERERS, planText } from '../../fix/format/plan.js';
import type { PlanFormat } from '../../fix/format/plan.js';
import { observeLive } from '../../fix/observe.js';
import { buildFixPlan, stepsToApply } from '../../fix/plan.js';
import type { FixPlanDocument } from '../../fix/plan.js';
import { verify } from '../../fix/verify.js';
import type { VerifyResult } from '../../fix/verify.js';
import { confirm, logWriter } from '../consent.js';
import type { ConsentIo } from '../consent.js';
import { validateAccessFlags } from '../options.js';
import type { Io } from '../output.js';
import { emit, warn } from '../output.js';
import { packageVersion } from '../package-info.js';
import { liveHooks } from './collect.js';

export interface FixCommandOptions extends LiveOptions {
  from?: string;
  ksa?: string[];
  workload?: string[];
  pod?: string[];
  all?: boolean;
  need?: string[];
  on?: string;
  impersonate?: string;
  format: PlanFormat;
  output?: string;
  apply?: boolean;
  yes?: boolean;
  allowDisruptive?: boolean;
  verifyTimeout: number;
  log?: string;
}

/** Test seams: how verification waits. */
export interface FixSeams {
  firstDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

function validate(options: FixCommandOptions): void {
  const { ksa, workload, pod, all } = options;
  if (!all && !ksa?.length && !workload?.length && !pod?.length) {
    throw new UsageError('name what to fix: --ksa NS/KSA, --workload NS/KIND/NAME, --pod NS/POD, or --all');
  }
  if (options.on && !options.need?.length) throw new UsageError('--on needs --need PERMISSION_OR_ROLE');
  validateAccessFlags(options, isKnownPermission, similarPermissions, isServiceAccountEmail);
  if (options.apply && options.from !== undefined) {
    throw new UsageError(
      '--apply changes the live cluster and project, and --from reads a bundle: drop --from to apply, or drop --apply for the plan',
    );
  }
  if (options.apply && (options.format === 'shell' || options.format === 'terraform')) {
    throw new UsageError(`--format ${options.format} is a plan to run by hand: use it without --apply`);
  }
  if (!options.apply) {
    const stray = (['yes', 'allowDisruptive', 'log'] as const).filter((k) => options[k] !== undefined);
    if (stray.length > 0) {
      const flag = { yes: '--yes', allowDisruptive: '--allow-disruptive', log: '--log' }[stray[0] ?? 'yes'];
      throw new UsageError(`${flag} only means something with --apply`);
    }
  }
}

async function readFacts(options: FixCommandOptions, io: Io): Promise<Facts> {
  if (options.from !== undefined) {
    const { facts, notes } = await readBundle(options.from);
    for (const note of notes) warn(io, note);
    return facts;
  }
  const hooks = liveHooks(io, options);
  try {
    const { facts, notes } = await liveFacts(options, hooks);
    for (const note of notes) warn(io, note);
    return facts;
  } finally {
    hooks.finish();
  }
}

const STATUS_WORD: Record<ChangeRecord['status'], string> = {
  applied: 'applied ',
  'no-op': 'no-op   ',
  withheld: 'withheld',
  manual: 'manual  ',
  failed: 'FAILED  ',
  'not-run': 'not run ',
};

function changeLine(r: ChangeRecord): string {
  const etags =
    r.etagBefore !== undefined && r.status === 'applied' ? ` (etag ${r.etagBefore} → ${r.etagAfter ?? '?'})` : '';
  return `  ${STATUS_WORD[r.status]} ${r.step}. ${r.action} ${clean(r.target)}: ${clean(r.detail)}${etags}`;
}

function summaryText(plan: FixPlanDocument, applied: ApplyResult, verification: VerifyResult | undefined): string {
  const count = (s: ChangeRecord['status']) => applied.records.filter((r) => r.status === s);
  const lines = ['', 'Summary'];
  lines.push(
    `  ${count('applied').length} applied, ${count('no-op').length} already in place, ${count('withheld').length} withheld, ${count('manual').length} manual, ${count('failed').length} failed, ${count('not-run').length} not run`,
  );
  for (const r of count('applied')) {
    lines.push(
      `  changed: ${r.step}. ${r.action} ${clean(r.target)}${r.etagBefore !== undefined ? ` etag ${r.etagBefore} → ${r.etagAfter ?? '?'}` : ''}`,
    );
  }
  for (const r of count('withheld'))
    lines.push(`  withheld: ${r.step}. ${r.action} ${clean(r.target)} (${clean(r.detail)})`);
  for (const r of count('manual')) lines.push(`  to do by hand: ${r.step}. ${clean(r.detail)}`);
  if (applied.failed !== undefined) {
    lines.push(`  stopped at ${applied.failed.step}. ${applied.failed.action}: ${clean(applied.failed.detail)}`);
  }
  if (verification === undefined) {
    lines.push('  not verified: a change failed');
  } else if (verification.ok) {
    lines.push(
      `  verified: ${plan.subjects.map((s) => s.id).join(', ')}: no check fails and the token chain works (${verification.rounds} round${verification.rounds === 1 ? '' : 's'}, ${Math.round(verification.elapsedMs / 1000)} s)`,
    );
  } else {
    lines.push(`  NOT verified: ${clean(verification.reason ?? 'verification failed')}`);
    for (const r of verification.failing) lines.push(`    ${r.check} on ${r.subject}: ${clean(r.cause ?? r.title)}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runFixCommand(options: FixCommandOptions, io: ConsentIo, seams: FixSeams = {}): Promise<number> {
  validate(options);
  const facts = await readFacts(options, io);
  const targets = { all: options.all, ksa: options.ksa, workload: options.workload, pod: options.pod };
  const report = diagnose(facts, CHECKS, {
    targets,
    options: { need: options.need ?? [], on: options.on, impersonate: options.impersonate, e2e: false },
    source: options.from ?? 'live',
    version: packageVersion(),
    generatedAt: new Date().toISOString(),
  });
  const plan = buildFixPlan({ report, facts, subjects: resolveSubjects(facts, targets) });
  if (!options.apply) {
    emit(io, PLAN_RENDERERS[options.format](plan), options.output);
    return 0;
  }

  const json = options.format === 'json';
  // With --format json the final document is the only thing on stdout; people read stderr.
  const human = json || options.output !== undefined ? io.stderr : io.stdout;
  human.write(planText(plan));
  const toApply = stepsToApply(plan, options.allowDisruptive === true);
  const c = countSteps(plan);
  if (toApply.length > 0) {
    const question = `Apply ${toApply.length} change${toApply.length === 1 ? '' : 's'} to cluster ${plan.cluster}${
      c.disruptive > 0 && options.allowDisruptive !== true ? ` (${c.disruptive} disruptive withheld)` : ''
    }?`;
    if (!(await confirm(io, question, options.yes))) {
      human.write('Nothing changed.\n');
      return 1;
    }
  }
  const log = logWriter(options.log);
  const hooks = liveHooks(io, options);
  const context = writeContext(options, hooks);
  human.write(`\nApplying to ${plan.cluster}\n`);
  const applied = await applyPlan(
    plan,
    { google: new GoogleWriter(context), kube: new KubeWriter(context) },
    {
      allowDisruptive: options.allowDisruptive === true,
      onChange: (record) => {
        human.write(`${changeLine(record)}\n`);
        log({ type: 'change', ...record });
      },
    },
  );

  let verification: VerifyResult | undefined;
  if (applied.failed === undefined) {
    human.write(`\nVerifying: collect again, diagnose, run the token chain (up to ${options.verifyTimeout} s)\n`);
    verification = await verify({
      subjects: plan.subjects.map((s) => ({ id: s.id, ksa: s.ksa })),
      timeoutMs: options.verifyTimeout * 1000,
      observe: () => observeLive({ ...options, e2e: true }, { ...hooks, onProgress: undefined }, packageVersion()),
      onWait: (elapsed, reason) => warn(io, `waiting for IAM propagation… ${elapsed} s (${clean(reason)})`),
      ...(seams.firstDelayMs !== undefined ? { firstDelayMs: seams.firstDelayMs } : {}),
      ...(seams.sleep ? { sleep: seams.sleep } : {}),
    });
    log({
      type: 'verification',
      at: new Date().toISOString(),
      ok: verification.ok,
      rounds: verification.rounds,
      elapsedMs: verification.elapsedMs,
      ...(verification.reason !== undefined ? { reason: verification.reason } : {}),
    });
  }
  hooks.finish();
  const withheld = applied.records.some((r) => r.status === 'withheld');
  const exitCode = applied.failed === undefined && !withheld && verification?.ok === true ? 0 : 1;
  human.write(summaryText(plan, applied, verification));
  if (json) {
    const document = {
      format: 'wi-doctor-fix-result/1',
      plan,
      changes: applied.records,
      verification:
        verification === undefined
          ? null
          : {
              ok: verification.ok,
              rounds: verification.rounds,
              elapsedMs: verification.elapsedMs,
              reason: verification.reason ?? null,
              failing: verification.failing.map((r) => ({
                check: r.check,
                subject: r.subject,
                cause: r.cause ?? r.title,
              })),
              brokenChains: verification.brokenChains,
            },
      exitCode,
    };
    emit(io, `${JSON.stringify(document, null, 2)}\n`, options.output);
  } else if (options.output !== undefined) {
    emit(
      io,
      `${planText(plan)}${applied.records.map(changeLine).join('\n')}\n${summaryText(plan, applied, verification)}`,
      options.output,
    );
  }
  return exitCode;
}
