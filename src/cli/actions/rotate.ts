// `wi-doctor rotate`: move KSAs to a new Google service account with a journal that survives a crash. Resolves
// the rotation once (which KSAs, from which GSA, who else uses it, what restarts), shows it, asks once, then runs
// the steps, printing and logging each as it happens. `--resume` continues from the journal.

import { factsFromFiles } from '../../collect/bundle/facts.js';
import type { FactName } from '../../checks/define.js';
import type { LiveOptions } from '../../collect/live/live.js';
import { collectLiveInput } from '../../collect/live/live.js';
import { LiveTokenChain } from '../../collect/live/e2e.js';
import { KubeApi } from '../../collect/live/kube.js';
import { kubeConfigFor, resolveFleet } from '../../collect/live/fleet.js';
import { GoogleApi } from '../../collect/live/google.js';
import { createRoleResolver } from '../../model/iam/roles.js';
import { projectOfPool } from '../../model/identifiers.js';
import type { WriteContext } from '../../fix/apply/context.js';
import type { PoolCluster, UserSources } from '../../fix/rotate/users.js';
import { findOtherUsers } from '../../fix/rotate/users.js';
import { UsageError } from '../../engine/errors.js';
import { resolveSubjects } from '../../engine/subjects.js';
import { accountIdProblem, IdentifierError, parseServiceAccountEmail } from '../../model/identifiers.js';
import { clusterResourceName } from '../../model/facts.js';
import { writeContext } from '../../fix/apply/context.js';
import { GoogleWriter } from '../../fix/apply/google.js';
import { KubeWriter } from '../../fix/apply/kube.js';
import { clean } from '../../fix/format/plan.js';
import { observeLive } from '../../fix/observe.js';
import type { Journal, JournalStep, RotateMode, RotationSpec } from '../../fix/rotate/journal.js';
import { DEFAULT_JOURNAL, fileJournal, JOURNAL_FORMAT, JournalError } from '../../fix/rotate/journal.js';
import { describeRotateStep, planRotation } from '../../fix/rotate/plan.js';
import { runRotation } from '../../fix/rotate/run.js';
import { confirm, logWriter } from '../consent.js';
import type { ConsentIo } from '../consent.js';
import type { Io } from '../output.js';
import { warn } from '../output.js';
import { packageVersion } from '../package-info.js';
import { liveHooks } from './collect.js';

export interface RotateCommandOptions extends LiveOptions {
  ksa?: string[];
  to?: string;
  on?: string[];
  allUsers?: boolean;
  deleteOld?: boolean;
  mode: RotateMode;
  journal?: string;
  resume?: boolean;
  yes?: boolean;
  verifyTimeout: number;
  log?: string;
}

/** Test seams: how verification waits; what happens at each step boundary (see KILL_AT). */
export interface RotateSeams {
  firstDelayMs?: number;
  onBoundary?: (step: JournalStep, when: 'before' | 'after') => void;
}

/**
 * Test seam for the crash-safety test: `WI_DOCTOR_TEST_KILL_AT=N:before|after` kills this process with SIGKILL
 * right after step N is journalled as started, or right after it ran and before it is journalled as done.
 */
const KILL_AT = 'WI_DOCTOR_TEST_KILL_AT';

/** What a rotation reads: the cluster, the KSAs and their GSAs, and what runs as them. */
const ROTATE_FACTS: FactName[] = [
  'cluster',
  'project',
  'serviceAccount',
  'k8s:serviceaccounts',
  'k8s:pods',
  'k8s:replicasets',
  'k8s:deployments',
  'k8s:statefulsets',
  'k8s:daemonsets',
  'k8s:jobs',
  'k8s:cronjobs',
];

const STATE_WORD: Record<JournalStep['state'], string> = {
  pending: 'pending',
  started: 'started',
  done: 'done   ',
  skipped: 'skipped',
  failed: 'FAILED ',
};

function stepLine(journal: Journal, step: JournalStep): string {
  const etags =
    step.etagBefore !== undefined && step.etagAfter !== step.etagBefore
      ? ` (etag ${step.etagBefore} → ${step.etagAfter ?? '?'})`
      : '';
  return `  ${STATE_WORD[step.state]} ${step.n}/${journal.steps.length} ${step.kind} ${clean(step.target)}${step.detail !== undefined ? `: ${clean(step.detail)}` : ''}${etags}`;
}

function planLines(journal: Journal): string {
  const { spec } = journal;
  const lines = [
    clean(
      `Rotation of ${spec.moved.join(', ')} from ${spec.oldGsa} to ${spec.newGsa} (${spec.mode}, cluster ${clusterResourceName(spec.cluster)})`,
    ),
  ];
  if (spec.mode === 'revoke-first') {
    lines.push(
      `  ${clean(`revoke-first: ${spec.oldGsa} is disabled first; every workload using it fails until ${spec.newGsa} is verified.`)}`,
    );
  }
  if (spec.otherUsers.length > 0) {
    lines.push(
      `  ${clean(`${spec.otherUsers.join(', ')} also use ${spec.oldGsa} and are not moved: it ${spec.mode === 'revoke-first' ? 'is disabled for them too' : 'stays enabled'} (--all-users moves the KSAs of this cluster).`)}`,
    );
  }
  if (spec.mode === 'zero-downtime' && (spec.otherUsersUnknown ?? []).length > 0) {
    lines.push(
      `  ${clean(`Who else uses ${spec.oldGsa} is unknown (not read: ${(spec.otherUsersUnknown ?? []).join('; ')}): it stays enabled unless they can be read at step ${journal.steps.find((s) => s.kind === 'disable-old')?.n ?? '?'}.`)}`,
    );
  }
  for (const step of journal.steps) {
    lines.push(
      `  ${step.n}. ${step.kind}: ${clean(describeRotateStep(spec, step))}${step.state !== 'pending' ? ` [${step.state}]` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Custom roles are not read here: a binding of one counts as a possible user (unknown is never "nobody"). */
const ROLES = createRoleResolver({
  customRole: (name) => ({ status: 'not-collected', source: name, message: 'custom roles are not read by rotate' }),
});

const failed = (message: string) => ({ ok: false as const, kind: 'error' as const, status: undefined, message });

/** Where rotate looks for other users of the old GSA: this cluster, the other clusters of its pool, its policy. */
function userSources(spec: RotationSpec, context: WriteContext, options: RotateCommandOptions, io: Io): UserSources {
  const google = new GoogleWriter(context);
  const listIn = async (kube: KubeApi) => {
    const listed = await kube.list('serviceaccounts');
    return listed.ok ? { ok: true as const, value: listed.value.items } : listed;
  };
  return {
    listServiceAccounts: () => listIn(new KubeApi(context.kc, context.runner)),
    oldPolicy: () => google.getPolicy({ type: 'serviceAccount', email: spec.oldGsa }),
    poolClusters: async () => {
      const project = projectOfPool(spec.pool);
      if (project === undefined) return { ok: false, message: `${spec.pool} names no project whose clusters to list` };
      const api = new GoogleApi(context.credentials, context.endpoints, context.runner);
      const fleet = await resolveFleet({
        spec: { kind: 'project', project },
        google: api,
        ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
        env: io.env,
      });
      const clusters: PoolCluster[] = [];
      for (const c of fleet) {
        if (c.ref === undefined) return { ok: false, message: c.error ?? `${c.label} names no cluster` };
        if (clusterResourceName(c.ref) === clusterResourceName(spec.cluster)) continue;
        // Only a cluster with this workload pool gives its KSAs the same identities.
        if (poolOfListed(c.listed) !== spec.pool) continue;
        clusters.push({
          label: c.label,
          listServiceAccounts: async () => {
            try {
              const kc = await kubeConfigFor(c, c.listed, context.credentials, options.kubeconfig, io.env);
              return await listIn(new KubeApi(kc, context.runner));
            } catch (error) {
              return failed((error as Error).message);
            }
          },
        });
      }
      return { ok: true, clusters };
    },
  };
}

function poolOfListed(listed: unknown): string | undefined {
  if (typeof listed !== 'object' || listed === null) return undefined;
  const config = (listed as { workloadIdentityConfig?: { workloadPool?: unknown } }).workloadIdentityConfig;
  return typeof config?.workloadPool === 'string' ? config.workloadPool : undefined;
}

function checkTo(to: string): string {
  let parsed;
  try {
    parsed = parseServiceAccountEmail(to);
  } catch (error) {
    if (error instanceof IdentifierError) throw new UsageError(`--to ${JSON.stringify(to)}: ${error.message}`);
    throw error;
  }
  if (parsed.kind !== 'user-managed') {
    throw new UsageError(
      `--to ${JSON.stringify(to)}: expected a user-managed account, ACCOUNT@PROJECT.iam.gserviceaccount.com`,
    );
  }
  return parsed.email;
}

async function newJournal(
  options: RotateCommandOptions,
  io: Io,
  hooks: ReturnType<typeof liveHooks>,
  context: WriteContext,
  google: GoogleWriter,
): Promise<Journal> {
  const named = options.ksa ?? [];
  if (named.length === 0) throw new UsageError('name the KSA to rotate: --ksa NS/KSA (or --resume)');
  if (options.to === undefined)
    throw new UsageError('name the new service account: --to ACCOUNT@PROJECT.iam.gserviceaccount.com');
  const to = checkTo(options.to);
  const { input } = await collectLiveInput({ ...options, ksa: named, on: undefined }, ROTATE_FACTS, hooks);
  const facts = factsFromFiles(input);
  for (const note of facts.notes) warn(io, note);
  const subjects = resolveSubjects(facts, { ksa: named });
  const existing = await google.serviceAccount(to);
  if (!existing.ok && existing.kind === 'absent') {
    const problem = accountIdProblem(to.split('@')[0] ?? '');
    if (problem !== undefined) throw new UsageError(`--to ${to}: it does not exist and cannot be created: ${problem}`);
  }
  const now = new Date();
  const { spec, steps } = planRotation(facts, subjects, {
    to,
    on: options.on ?? [],
    mode: options.mode,
    allUsers: options.allUsers === true,
    deleteOld: options.deleteOld === true,
    verifyTimeoutSeconds: options.verifyTimeout,
    now,
  });
  const found = await findOtherUsers(spec, userSources(spec, context, options, io), ROLES);
  spec.otherUsers = [...new Set([...spec.otherUsers, ...found.users])];
  if (found.unread.length > 0) spec.otherUsersUnknown = found.unread;
  return {
    format: JOURNAL_FORMAT,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    finished: false,
    spec,
    steps,
  };
}

export async function runRotateCommand(
  options: RotateCommandOptions,
  io: ConsentIo,
  seams: RotateSeams = {},
): Promise<number> {
  const store = fileJournal(options.journal ?? DEFAULT_JOURNAL);
  let existing: Journal | undefined;
  try {
    existing = store.load();
  } catch (error) {
    if (error instanceof JournalError) throw new UsageError(error.message);
    throw error;
  }
  const hooks = liveHooks(io, options);
  const context = writeContext(options, hooks);
  const google = new GoogleWriter(context);

  let journal: Journal;
  if (options.resume === true) {
    if (existing === undefined) throw new UsageError(`--resume: no rotation journal at ${store.path}`);
    journal = existing;
    const { spec } = journal;
    if (options.to !== undefined && options.to.toLowerCase() !== spec.newGsa) {
      throw new UsageError(`--resume: the journal rotates to ${spec.newGsa}, not ${options.to}`);
    }
    if (options.ksa !== undefined && options.ksa.some((k) => !spec.moved.includes(k))) {
      throw new UsageError(`--resume: the journal moves ${spec.moved.join(', ')}`);
    }
    if (clusterResourceName(spec.cluster) !== clusterResourceName(context.cluster)) {
      throw new UsageError(
        `--resume: the journal is for cluster ${clusterResourceName(spec.cluster)}, the current one is ${clusterResourceName(context.cluster)}`,
      );
    }
    if (journal.finished) {
      io.stdout.write(`The rotation in ${store.path} finished at ${journal.updatedAt}: nothing to resume.\n`);
      return 0;
    }
  } else {
    if (existing !== undefined && !existing.finished) {
      const at = existing.steps.find((s) => s.state !== 'done' && s.state !== 'skipped');
      throw new UsageError(
        `a rotation to ${existing.spec.newGsa} is unfinished in ${store.path}${at !== undefined ? ` (step ${at.n}, ${at.kind})` : ''}: continue it with --resume, or remove the file`,
      );
    }
    journal = await newJournal(options, io, hooks, context, google);
  }

  io.stdout.write(planLines(journal));
  const remaining = journal.steps.filter((s) => s.state !== 'done' && s.state !== 'skipped').length;
  if (
    !(await confirm(
      io,
      `${options.resume === true ? 'Resume' : 'Run'} ${remaining} step${remaining === 1 ? '' : 's'}?`,
      options.yes,
    ))
  ) {
    io.stdout.write('Nothing changed.\n');
    return 1;
  }
  const log = logWriter(options.log);
  const kube = new KubeWriter(context);
  const killAt = io.env[KILL_AT];
  store.save(journal);
  io.stdout.write(`\n${options.resume === true ? 'Resuming' : 'Rotating'} (journal: ${store.path})\n`);
  const result = await runRotation(store, journal, {
    google,
    kube,
    chain: new LiveTokenChain(context.kc, context.endpoints, context.runner),
    observe: (ksas) =>
      observeLive(
        { ...options, on: undefined, ksa: [...ksas], e2e: true },
        { ...hooks, onProgress: undefined },
        packageVersion(),
      ),
    users: userSources(journal.spec, context, options, io),
    roles: ROLES,
    poll: {
      onWait: (elapsed, reason) => warn(io, `waiting for IAM propagation… ${elapsed} s (${clean(reason)})`),
      ...(seams.firstDelayMs !== undefined ? { firstDelayMs: seams.firstDelayMs } : {}),
    },
    onStep: (step, j) => {
      if (step.state === 'started') return;
      io.stdout.write(`${stepLine(j, step)}\n`);
      log({ type: 'rotate-step', at: step.endedAt ?? new Date().toISOString(), journal: store.path, ...step });
    },
    onBoundary:
      seams.onBoundary ??
      ((step, when) => {
        if (killAt === `${step.n}:${when}`) process.kill(process.pid, 'SIGKILL');
      }),
  });
  hooks.finish();

  const failed = result.steps.find((s) => s.state === 'failed');
  const lines = ['', 'Summary'];
  for (const step of result.steps) lines.push(stepLine(result, step));
  const { spec } = result;
  if (failed !== undefined) {
    lines.push(
      `  stopped at step ${failed.n} (${failed.kind}); fix the cause, then: wi-doctor rotate --resume${options.journal !== undefined ? ` --journal ${options.journal}` : ''}`,
    );
  } else {
    const disable = result.steps.find((s) => s.kind === 'disable-old');
    lines.push(
      `  ${spec.moved.join(', ')} now run${spec.moved.length === 1 ? 's' : ''} as ${spec.newGsa}; ${spec.oldGsa} ${disable?.state === 'skipped' ? 'stays enabled' : spec.deleteOld ? 'is deleted (undeletable for 30 days)' : 'is disabled'}.`,
    );
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return failed === undefined ? 0 : 1;
}
