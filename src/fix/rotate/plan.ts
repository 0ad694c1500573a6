// Resolve a rotation once, at its start, from what was collected: which KSAs move, from which GSA, which other
// KSAs still use the old one, which workloads restart, whose policies carry grants to copy; and the steps.
// Zero-downtime (the default): the new GSA is made to work (created, granted, bound, its token chain proven)
// before any pod switches to it, and the old GSA is disabled only after the switched KSAs are verified.
// Revoke-first (an incident): the old GSA is disabled first, and the workloads fail until the new one works.

import type { Subject } from '../../engine/subject.js';
import { UsageError } from '../../engine/errors.js';
import type { Facts } from '../../model/facts.js';
import { parseServiceAccountEmail } from '../../model/identifiers.js';
import type { ServiceAccountObject } from '../../model/k8s/types.js';
import { WI_ANNOTATION } from '../../model/k8s/types.js';
import { workloadsRunningAs } from '../plan.js';
import { parseIamResource, projectOfEmail } from '../render/targets.js';
import type { JournalStep, RotateMode, RotateStepKind, RotationSpec } from './journal.js';

export interface RotateRequest {
  to: string;
  on: readonly string[];
  mode: RotateMode;
  allUsers: boolean;
  deleteOld: boolean;
  verifyTimeoutSeconds: number;
  now: Date;
}

/** A grant source as the fix vocabulary names resources; an unsupported --on is a usage error. */
export function grantSourceOf(on: string): string {
  let resource;
  try {
    resource = parseIamResource('rotate', on);
  } catch {
    resource = undefined;
  }
  switch (resource?.type) {
    case 'project':
      return `projects/${resource.project}`;
    case 'folder':
      return `folders/${resource.id}`;
    case 'organization':
      return `organizations/${resource.id}`;
    case 'bucket':
      return `//storage.googleapis.com/projects/_/buckets/${resource.bucket}`;
    case 'serviceAccount':
      return `projects/-/serviceAccounts/${resource.email}`;
    default:
      throw new UsageError(
        `--on ${JSON.stringify(on)}: grants are copied on projects/P, folders/N, organizations/N, //storage.googleapis.com/projects/_/buckets/B or projects/-/serviceAccounts/EMAIL`,
      );
  }
}

/** KSAs (`NS/NAME`) whose annotation names this GSA. */
export function usersOf(serviceAccounts: readonly ServiceAccountObject[], gsa: string): string[] {
  const wanted = gsa.toLowerCase();
  return serviceAccounts
    .filter((sa) => sa.metadata.annotations?.[WI_ANNOTATION]?.toLowerCase() === wanted)
    .map((sa) => `${sa.metadata.namespace ?? 'default'}/${sa.metadata.name}`)
    .sort();
}

export function planRotation(
  facts: Facts,
  subjects: readonly Subject[],
  request: RotateRequest,
): { spec: RotationSpec; steps: JournalStep[] } {
  const to = request.to.toLowerCase();
  const olds = new Set<string>();
  let pool: string | undefined;
  for (const s of subjects) {
    const name = `${s.namespace}/${s.ksaName}`;
    if (s.ksa.status === 'absent') throw new UsageError(`--ksa ${name}: no such Kubernetes service account`);
    if (s.ksa.status !== 'present') throw new UsageError(`--ksa ${name}: the KSA could not be read (${s.ksa.message})`);
    if (s.gsaEmail === undefined) {
      throw new UsageError(
        `--ksa ${name}: no ${WI_ANNOTATION} annotation names a Google service account, so there is none to rotate`,
      );
    }
    olds.add(s.gsaEmail.toLowerCase());
    pool ??= s.principal.pool;
  }
  const [oldGsa] = [...olds];
  if (oldGsa === undefined) throw new UsageError('name the KSA to rotate: --ksa NS/KSA');
  if (olds.size > 1) {
    throw new UsageError(`the KSAs named use different GSAs (${[...olds].join(', ')}): rotate one GSA at a time`);
  }
  if (oldGsa === to) throw new UsageError(`--to ${request.to}: the KSAs already use that GSA; rotate to another one`);
  if (pool === undefined) throw new UsageError("the cluster's workload pool is unknown: the KSAs cannot be bound");

  const named = [...new Set(subjects.map((s) => `${s.namespace}/${s.ksaName}`))].sort();
  const list = facts.k8s.list<ServiceAccountObject>('serviceaccounts');
  if (list.status !== 'present')
    throw new UsageError(`the Kubernetes service accounts could not be listed: ${list.message}`);
  const users = usersOf(list.value, oldGsa).filter((u) => !named.includes(u));
  const moved = request.allUsers ? [...named, ...users].sort() : named;
  const otherUsers = request.allUsers ? [] : users;

  const old = facts.serviceAccount(oldGsa);
  const oldProject =
    projectOfEmail(oldGsa) ?? (old.status === 'present' ? old.value.projectId : undefined) ?? facts.clusterRef.project;
  const newProject = parseServiceAccountEmail(to).projectId ?? oldProject;
  const grantSources = [
    ...new Set([
      `projects/${oldProject}`,
      `projects/${facts.clusterRef.project}`,
      `projects/${newProject}`,
      ...request.on.map(grantSourceOf),
    ]),
  ];
  const workloads = [...new Set(moved.flatMap((ksa) => workloadsRunningAs(facts, ksa)))].sort();

  const spec: RotationSpec = {
    cluster: facts.clusterRef,
    pool,
    mode: request.mode,
    named,
    moved,
    oldGsa,
    newGsa: to,
    grantSources,
    allUsers: request.allUsers,
    deleteOld: request.deleteOld,
    otherUsers,
    workloads,
    restartedAt: request.now.toISOString().replace(/\.\d+Z$/, 'Z'),
    verifyTimeoutSeconds: request.verifyTimeoutSeconds,
  };
  if (old.status === 'present') {
    if (old.value.uniqueId !== undefined) spec.oldUniqueId = old.value.uniqueId;
    if (old.value.displayName !== undefined) spec.oldDisplayName = old.value.displayName;
  }

  const steps: { kind: RotateStepKind; target: string }[] = [];
  const account = (email: string) => `projects/-/serviceAccounts/${email}`;
  if (request.mode === 'revoke-first') steps.push({ kind: 'disable-old', target: account(oldGsa) });
  steps.push({ kind: 'create-new', target: account(to) });
  for (const source of grantSources) steps.push({ kind: 'copy-grants', target: source });
  steps.push({ kind: 'bind', target: account(to) });
  steps.push({ kind: 'verify-binding', target: account(to) });
  for (const ksa of moved) {
    const [ns = '', name = ''] = ksa.split('/');
    steps.push({ kind: 'annotate', target: `namespaces/${ns}/serviceaccounts/${name}` });
  }
  for (const workload of workloads) steps.push({ kind: 'restart', target: workload });
  steps.push({ kind: 'verify', target: moved.join(',') });
  if (request.mode === 'zero-downtime') steps.push({ kind: 'disable-old', target: account(oldGsa) });
  if (request.deleteOld) steps.push({ kind: 'delete-old', target: account(oldGsa) });
  return { spec, steps: steps.map((s, i) => ({ n: i + 1, kind: s.kind, target: s.target, state: 'pending' })) };
}

/** What each step does, for the plan a person confirms. */
export function describeRotateStep(spec: RotationSpec, step: JournalStep): string {
  switch (step.kind) {
    case 'disable-old':
      return spec.mode === 'revoke-first'
        ? `disable ${spec.oldGsa} now: every workload using it fails until the new GSA is verified`
        : `disable ${spec.oldGsa}, unless another KSA still uses it`;
    case 'create-new':
      return `create ${spec.newGsa} (if absent; enable it if disabled)`;
    case 'copy-grants':
      return `give ${spec.newGsa} every grant ${spec.oldGsa} holds on ${step.target} (same role, same condition)`;
    case 'bind':
      return `grant roles/iam.workloadIdentityUser on ${spec.newGsa} to ${spec.moved.join(', ')}`;
    case 'verify-binding':
      return `wait until the token chain works as ${spec.newGsa} for ${spec.moved.join(', ')} (IAM propagation), before any pod switches`;
    case 'annotate':
      return `annotate KSA ${step.target.replace(/^namespaces\/([^/]+)\/serviceaccounts\//, '$1/')} with ${spec.newGsa}`;
    case 'restart':
      return `restart ${step.target.replace(/^namespaces\//, '')} so its pods start as ${spec.newGsa}`;
    case 'verify':
      return `re-diagnose ${spec.moved.join(', ')} and run the token chain as ${spec.newGsa}`;
    case 'delete-old':
      return `delete ${spec.oldGsa} (it can be undeleted for 30 days)`;
  }
}
