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
import { kubeRolloutReader, rolloutTargets, waitForRollouts } from '../../fix/rollout.js';
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

/**
 * Before verifying a change that replaces pods: wait (within --verify-timeout) until the controller has
 * replaced them, or the verification would judge the old pods. What the wait ends with is printed; the
 * verification that follows judges the pods either way.
 */
async function awaitRollouts(
  applied: ApplyResult,
  kube: KubeWriter,
  options: FixCommandOptions,
  io: ConsentIo,
  human: Io['stdout'],
  seams: FixSeams,
): Promise<void> {
  const targets = rolloutTargets(applied.records);
  if (targets.length === 0) return;
  human.write(
    `\nWaiting for the new pods of ${targets.map((t) => `${t.namespace}/${t.name}`).join(', ')} to replace the old ones\n`,
  );
  const reader = kubeRolloutReader(kube);
  const waited = await waitForRollouts(reader, targets, {
    timeoutMs: options.verifyTimeout * 1000,
    firstDelayMs: seams.firstDelayMs ?? 500,
    maxDelayMs: 5000,
    onWait: (elapsed, reason) => warn(io, `waiting for the rollout… ${elapsed} s (${clean(reason)})`),
    ...(seams.sleep ? { sleep: seams.sleep } : {}),
  });
  human.write(
    waited.ok
      ? `  rolled out (${Math.round(waited.elapsedMs / 1000)} s)\n`
      : `  not rolled out: ${clean(waited.reason ?? 'unknown')}\n`,
  );
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

function summaryText(
  applied: ApplyResult,
  verification: VerifyResult | undefined,
  round: number | undefined,
  plan: FixPlanDocument,
): string {
  const count = (s: ChangeRecord['status']) => applied.records.filter((r) => r.status === s);
  const lines = ['', round === undefined ? 'Summary' : `Summary of round ${round}`];
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

/** Rounds of apply-and-verify: the first changes can reveal what the first diagnosis could not see (a binding
 * can only be planned once the cluster has a workload pool). */
const MAX_ROUNDS = 3;

interface Round {
  plan: FixPlanDocument;
  applied: ApplyResult;
  verification: VerifyResult | undefined;
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
  let plan = buildFixPlan({ report, facts, subjects: resolveSubjects(facts, targets) });
  if (!options.apply) {
    emit(io, PLAN_RENDERERS[options.format](plan), options.output);
    return 0;
  }

  const json = options.format === 'json';
  // With --format json the final document is the only thing on stdout; people read stderr.
  const human = json || options.output !== undefined ? io.stderr : io.stdout;
  const log = logWriter(options.log);
  const hooks = liveHooks(io, options);
  const context = writeContext(options, hooks);
  const writers = { google: new GoogleWriter(context), kube: new KubeWriter(context) };
  const rounds: Round[] = [];
  try {
    for (let n = 1; n <= MAX_ROUNDS; n++) {
      if (n > 1) human.write('\nThe changes so far revealed more to fix:\n');
      human.write(planText(plan));
      const toApply = stepsToApply(plan, options.allowDisruptive === true);
      const c = countSteps(plan);
      if (toApply.length > 0) {
        const question = `Apply ${toApply.length} change${toApply.length === 1 ? '' : 's'} to cluster ${plan.cluster}${
          c.disruptive > 0 && options.allowDisruptive !== true ? ` (${c.disruptive} disruptive withheld)` : ''
        }?`;
        if (!(await confirm(io, question, options.yes))) {
          human.write('Nothing changed.\n');
          return rounds.length === 0 ? 1 : finish(rounds);
        }
        human.write(`\nApplying to ${plan.cluster}\n`);
      }
      const applied = await applyPlan(plan, writers, {
        allowDisruptive: options.allowDisruptive === true,
        onChange: (record) => {
          human.write(`${changeLine(record)}\n`);
          log({ type: 'change', round: n, ...record });
        },
      });
      const round: Round = { plan, applied, verification: undefined };
      rounds.push(round);
      if (applied.failed !== undefined) break;
      await awaitRollouts(applied, writers.kube, options, io, human, seams);
      human.write(`\nVerifying: collect again, diagnose, run the token chain (up to ${options.verifyTimeout} s)\n`);
      const verification = await verify({
        subjects: plan.subjects.map((s) => ({ id: s.id, ksa: s.ksa })),
        timeoutMs: options.verifyTimeout * 1000,
        observe: () => observeLive({ ...options, e2e: true }, { ...hooks, onProgress: undefined }, packageVersion()),
        onWait: (elapsed, reason) => warn(io, `waiting for IAM propagation… ${elapsed} s (${clean(reason)})`),
        ...(seams.firstDelayMs !== undefined ? { firstDelayMs: seams.firstDelayMs } : {}),
        ...(seams.sleep ? { sleep: seams.sleep } : {}),
      });
      round.verification = verification;
      log({
        type: 'verification',
        round: n,
        at: new Date().toISOString(),
        ok: verification.ok,
        rounds: verification.rounds,
        elapsedMs: verification.elapsedMs,
        ...(verification.reason !== undefined ? { reason: verification.reason } : {}),
      });
      const changed = applied.records.some((r) => r.status === 'applied');
      const after = verification.observation.facts;
      if (verification.ok || !changed || after === undefined) break;
      const next = buildFixPlan({
        report: verification.report,
        facts: after,
        subjects: resolveSubjects(after, targets),
      });
      if (stepsToApply(next, options.allowDisruptive === true).length === 0) break;
      plan = next;
    }
  } finally {
    hooks.finish();
  }
  return finish(rounds);

  function finish(done: readonly Round[]): number {
    const last = done[done.length - 1];
    const failed = done.some((r) => r.applied.failed !== undefined);
    const withheld = last?.applied.records.some((r) => r.status === 'withheld') ?? false;
    const exitCode = !failed && !withheld && last?.verification?.ok === true ? 0 : 1;
    const summary = done
      .map((r, i) => summaryText(r.applied, r.verification, done.length > 1 ? i + 1 : undefined, r.plan))
      .join('');
    human.write(summary);
    if (json) {
      const document = {
        format: 'wi-doctor-fix-result/1',
        rounds: done.map((r) => ({
          plan: r.plan,
          changes: r.applied.records,
          verification:
            r.verification === undefined
              ? null
              : {
                  ok: r.verification.ok,
                  rounds: r.verification.rounds,
                  elapsedMs: r.verification.elapsedMs,
                  reason: r.verification.reason ?? null,
                  failing: r.verification.failing.map((f) => ({
                    check: f.check,
                    subject: f.subject,
                    cause: f.cause ?? f.title,
                  })),
                  brokenChains: r.verification.brokenChains,
                },
        })),
        exitCode,
      };
      emit(io, `${JSON.stringify(document, null, 2)}\n`, options.output);
    } else if (options.output !== undefined) {
      const text = done.map((r) => `${planText(r.plan)}${r.applied.records.map(changeLine).join('\n')}\n`).join('\n');
      emit(io, `${text}${summary}`, options.output);
    }
    return exitCode;
  }
}
