// Run a rotation from its journal: every step not yet done, in order, each recorded as started before it runs
// and as done (or skipped, or failed) after. Every step is idempotent (it reads the live state and does only
// what is missing), so a step that was started but not recorded as done simply runs again on --resume. The
// first failure stops the run with the journal saying where.

import type { TokenChainApi } from '../../collect/live/e2e.js';
import { runTokenChain } from '../../collect/live/e2e.js';
import { WORKLOAD_IDENTITY_USER } from '../../checks/lib/gsa.js';
import { formatMember } from '../../model/identifiers.js';
import { WI_ANNOTATION } from '../../model/k8s/types.js';
import type { RoleResolver } from '../../model/iam/roles.js';
import { addMember, copyGrants, describeGrant } from '../policy.js';
import type { Grant } from '../policy.js';
import { parseIamResource } from '../render/targets.js';
import type { GoogleWriter } from '../apply/google.js';
import type { KubeWriter } from '../apply/kube.js';
import { must, readModifyWrite, WriteFailure } from '../apply/rmw.js';
import type { RmwOptions } from '../apply/rmw.js';
import { APPLIERS } from '../apply/steps.js';
import { kubeRolloutReader, rolloutTargetOf, waitForRollouts } from '../rollout.js';
import type { Observation, PollOptions } from '../verify.js';
import { chainProblem, pollWithBackoff, verify } from '../verify.js';
import type { Journal, JournalStep, JournalStore, RotationSpec } from './journal.js';
import type { UserSources } from './users.js';
import { findOtherUsers, withheldReason } from './users.js';

export interface RotateDeps {
  google: GoogleWriter;
  kube: KubeWriter;
  /** The token chain, for proving the new GSA before any pod uses it. */
  chain: TokenChainApi;
  /** One verification round for these KSAs (collect with the chain, diagnose). */
  observe: (ksas: readonly string[]) => Promise<Observation>;
  /** Where other users of the old GSA are looked up before it is disabled (this cluster, its pool, its policy). */
  users: UserSources;
  roles: RoleResolver;
  rmw?: RmwOptions;
  poll?: Omit<PollOptions, 'timeoutMs'>;
  now?: () => Date;
  /** After every change of a step's state (the CLI prints it and appends it to --log). */
  onStep?: (step: JournalStep, journal: Journal) => void;
  /** Test seam: called right after a step is recorded as started, and right after it ran, before it is recorded. */
  onBoundary?: (step: JournalStep, when: 'before' | 'after') => void;
}

interface Outcome {
  state: 'done' | 'skipped';
  detail: string;
  etagBefore?: string;
  etagAfter?: string;
}

const member = (email: string): string => `serviceAccount:${email}`;

function ksaMember(spec: RotationSpec, ksa: string): string {
  const [namespace = '', name = ''] = ksa.split('/');
  return formatMember({ type: 'wi-legacy', pool: spec.pool, namespace, ksa: name });
}

async function copyGrantsStep(spec: RotationSpec, step: JournalStep, deps: RotateDeps): Promise<Outcome> {
  const resource = parseIamResource('copy-grants', step.target);
  let copied: Grant[] = [];
  let held = 0;
  try {
    const result = await readModifyWrite(
      { get: () => deps.google.getPolicy(resource), set: (p) => deps.google.setPolicy(resource, p) },
      (policy) => {
        const edit = copyGrants(policy, member(spec.oldGsa), member(spec.newGsa));
        copied = edit.copied;
        held = edit.held;
        return edit;
      },
      deps.rmw,
    );
    const etags: Partial<Outcome> = {};
    if (result.etagBefore !== undefined) etags.etagBefore = result.etagBefore;
    if (result.etagAfter !== undefined) etags.etagAfter = result.etagAfter;
    return result.changed
      ? { state: 'done', detail: `copied ${copied.map(describeGrant).join(', ')}`, ...etags }
      : {
          state: 'done',
          detail:
            held === 0
              ? `nothing to copy (${spec.oldGsa} holds no grant here)`
              : `nothing to copy (${spec.newGsa} already holds every grant of ${spec.oldGsa} here)`,
          ...etags,
        };
  } catch (error) {
    // Grants that cannot be read cannot be copied: say so and go on. A refused write stops (below).
    if (error instanceof WriteFailure && error.status === 403 && error.phase === 'read') {
      return { state: 'skipped', detail: `not copied: the policy could not be read (${error.message})` };
    }
    throw error;
  }
}

async function bindStep(spec: RotationSpec, step: JournalStep, deps: RotateDeps): Promise<Outcome> {
  const resource = parseIamResource('bind', step.target);
  const members = spec.moved.map((ksa) => ksaMember(spec, ksa));
  const result = await readModifyWrite(
    { get: () => deps.google.getPolicy(resource), set: (p) => deps.google.setPolicy(resource, p) },
    (policy) => {
      let current = policy;
      let changed = false;
      for (const m of members) {
        const edit = addMember(current, WORKLOAD_IDENTITY_USER, m);
        current = edit.policy;
        changed ||= edit.changed;
      }
      return { policy: current, changed };
    },
    deps.rmw,
  );
  const out: Outcome = {
    state: 'done',
    detail: result.changed
      ? `granted ${WORKLOAD_IDENTITY_USER} to ${members.join(', ')}`
      : `${members.join(', ')} already bound`,
  };
  if (result.etagBefore !== undefined) out.etagBefore = result.etagBefore;
  if (result.etagAfter !== undefined) out.etagAfter = result.etagAfter;
  return out;
}

async function verifyBindingStep(spec: RotationSpec, deps: RotateDeps): Promise<Outcome> {
  const polled = await pollWithBackoff(
    async () => {
      const problems: string[] = [];
      for (const ksa of spec.moved) {
        const [namespace = '', name = ''] = ksa.split('/');
        const chain = await runTokenChain(
          deps.chain,
          { namespace, ksa: name, gsa: spec.newGsa },
          spec.cluster,
          spec.pool,
        );
        const problem = chainProblem(chain);
        if (problem !== undefined) problems.push(`${ksa}: ${problem}`);
      }
      return problems.length === 0
        ? { state: 'ok' as const, value: problems }
        : { state: 'retry' as const, value: problems, reason: problems.join('; ') };
    },
    { ...deps.poll, timeoutMs: spec.verifyTimeoutSeconds * 1000 },
  );
  if (!polled.ok) {
    throw new WriteFailure(
      undefined,
      `the token chain as ${spec.newGsa} ${polled.reason ?? 'fails'}; no pod uses it yet: \`rotate --resume\` tries again`,
    );
  }
  return {
    state: 'done',
    detail: `the token chain works as ${spec.newGsa} for ${spec.moved.join(', ')} (${Math.round(polled.elapsedMs / 1000)} s)`,
  };
}

async function verifyStep(spec: RotationSpec, deps: RotateDeps): Promise<Outcome> {
  const result = await verify({
    ...deps.poll,
    timeoutMs: spec.verifyTimeoutSeconds * 1000,
    subjects: spec.moved.map((ksa) => ({ id: ksa, ksa })),
    observe: () => deps.observe(spec.moved),
  });
  if (!result.ok) {
    const old = spec.mode === 'zero-downtime' ? `; ${spec.oldGsa} stays enabled` : '';
    throw new WriteFailure(undefined, `${result.reason ?? 'verification failed'}${old}`);
  }
  return {
    state: 'done',
    detail: `${spec.moved.join(', ')}: no check fails and the token chain works as ${spec.newGsa}`,
  };
}

async function disableOldStep(spec: RotationSpec, deps: RotateDeps): Promise<Outcome> {
  const found = await findOtherUsers(spec, deps.users, deps.roles);
  const users = found.users;
  const withheld = withheldReason(spec, found);
  if (spec.mode === 'zero-downtime' && withheld !== undefined) {
    return {
      state: 'skipped',
      detail: `${withheld}${users.length > 0 ? ' (--all-users moves the KSAs of this cluster too)' : ''}`,
    };
  }
  const account = await deps.google.serviceAccount(spec.oldGsa);
  if (!account.ok && account.kind === 'absent') return { state: 'done', detail: `${spec.oldGsa} no longer exists` };
  if (must(account).disabled === true) return { state: 'done', detail: `${spec.oldGsa} is already disabled` };
  must(await deps.google.setServiceAccountEnabled(spec.oldGsa, false));
  const affected = users.length > 0 ? `; ${users.join(', ')} still use it and now fail too` : '';
  return { state: 'done', detail: `disabled ${spec.oldGsa}${affected}` };
}

async function deleteOldStep(spec: RotationSpec, journal: Journal, deps: RotateDeps): Promise<Outcome> {
  const disabled = journal.steps.find((s) => s.kind === 'disable-old');
  if (disabled?.state === 'skipped') {
    return { state: 'skipped', detail: `${spec.oldGsa} is not deleted: it stays enabled (step ${disabled.n})` };
  }
  const account = await deps.google.serviceAccount(spec.oldGsa);
  if (!account.ok && account.kind === 'absent') return { state: 'done', detail: `${spec.oldGsa} is already deleted` };
  const uniqueId = must(account).uniqueId ?? spec.oldUniqueId ?? '?';
  must(await deps.google.deleteServiceAccount(spec.oldGsa));
  return {
    state: 'done',
    detail: `deleted ${spec.oldGsa}; within 30 days it can be restored with \`gcloud iam service-accounts undelete ${uniqueId}\`, after that never`,
  };
}

async function runStep(spec: RotationSpec, step: JournalStep, journal: Journal, deps: RotateDeps): Promise<Outcome> {
  const writers = {
    google: deps.google,
    kube: deps.kube,
    ...(deps.rmw ? { rmw: deps.rmw } : {}),
    restartedAt: () => spec.restartedAt,
  };
  switch (step.kind) {
    case 'create-new': {
      const account = await deps.google.serviceAccount(spec.newGsa);
      if (account.ok) {
        if (account.value.disabled !== true) return { state: 'done', detail: `${spec.newGsa} already exists` };
        must(await deps.google.setServiceAccountEnabled(spec.newGsa, true));
        return { state: 'done', detail: `enabled the existing ${spec.newGsa}` };
      }
      if (account.kind !== 'absent') must(account);
      const [accountId = '', domain = ''] = spec.newGsa.split('@');
      const project = domain.replace(/\.iam\.gserviceaccount\.com$/, '');
      const created = await deps.google.createServiceAccount(project, accountId, spec.oldDisplayName);
      if (!created.ok && created.status === 409) return { state: 'done', detail: `${spec.newGsa} already exists` };
      must(created);
      return { state: 'done', detail: `created ${spec.newGsa}` };
    }
    case 'copy-grants':
      return copyGrantsStep(spec, step, deps);
    case 'bind':
      return bindStep(spec, step, deps);
    case 'verify-binding':
      return verifyBindingStep(spec, deps);
    case 'annotate': {
      const r = await APPLIERS['annotate-service-account'](
        { action: 'annotate-service-account', target: step.target, params: { key: WI_ANNOTATION, value: spec.newGsa } },
        writers,
      );
      return { state: 'done', detail: r.detail };
    }
    case 'restart': {
      const r = await APPLIERS['restart-workload'](
        { action: 'restart-workload', target: step.target, params: {} },
        writers,
      );
      // The verification that follows must see the new pods, not the old ones still running as the old GSA.
      const target = r.changed ? rolloutTargetOf(step.target) : undefined;
      if (!target) return { state: 'done', detail: r.detail };
      // Quietly: the poll's own progress line speaks of IAM propagation; the step's detail says how long it took.
      const { onWait: _iamProgress, ...poll } = deps.poll ?? {};
      const waited = await waitForRollouts(kubeRolloutReader(deps.kube), [target], {
        ...poll,
        timeoutMs: spec.verifyTimeoutSeconds * 1000,
      });
      const rolled = waited.ok
        ? `rolled out in ${Math.round(waited.elapsedMs / 1000)} s`
        : `not rolled out: ${waited.reason ?? 'unknown'}`;
      return { state: 'done', detail: `${r.detail}; ${rolled}` };
    }
    case 'verify':
      return verifyStep(spec, deps);
    case 'disable-old':
      return disableOldStep(spec, deps);
    case 'delete-old':
      return deleteOldStep(spec, journal, deps);
  }
}

/** Runs the steps not yet done; returns the journal as saved last (finished, or stopped at a failed step). */
export async function runRotation(store: JournalStore, journal: Journal, deps: RotateDeps): Promise<Journal> {
  const now = deps.now ?? (() => new Date());
  const save = (step?: JournalStep): void => {
    journal.updatedAt = now().toISOString();
    store.save(journal);
    if (step !== undefined) deps.onStep?.(step, journal);
  };
  for (const step of journal.steps) {
    if (step.state === 'done' || step.state === 'skipped') continue;
    step.state = 'started';
    step.startedAt = now().toISOString();
    delete step.endedAt;
    delete step.detail;
    save(step);
    deps.onBoundary?.(step, 'before');
    let outcome: Outcome;
    try {
      outcome = await runStep(journal.spec, step, journal, deps);
    } catch (error) {
      if (!(error instanceof WriteFailure)) throw error;
      step.state = 'failed';
      step.endedAt = now().toISOString();
      step.detail = error.message;
      save(step);
      return journal;
    }
    deps.onBoundary?.(step, 'after');
    step.state = outcome.state;
    step.endedAt = now().toISOString();
    step.detail = outcome.detail;
    if (outcome.etagBefore !== undefined) step.etagBefore = outcome.etagBefore;
    if (outcome.etagAfter !== undefined) step.etagAfter = outcome.etagAfter;
    save(step);
  }
  journal.finished = true;
  save();
  return journal;
}
