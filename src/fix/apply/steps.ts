// One applier per action of the vocabulary (src/fix/actions.ts): read the live state, do nothing when it is
// already what the step wants (a no-op that says so), otherwise make exactly that change. Appliers read only
// the step's data (action, target, params). A failed call throws WriteFailure with the API's words.

import type { Expr, Policy } from '../../model/gcp.js';
import type { LabelSelector, Workload } from '../../model/k8s/types.js';
import type { FixActionName } from '../actions.js';
import { conditionOfParams } from '../describe.js';
import { addAuditLogType, addMember, removeMember } from '../policy.js';
import {
  FixPlanError,
  parseCluster,
  parseIamResource,
  parseObject,
  parseProject,
  parseServiceAccountTarget,
  WORKLOAD_KINDS,
} from '../render/targets.js';
import type { WorkloadKind } from '../render/targets.js';
import type { GoogleWriter } from './google.js';
import type { KubeWriter } from './kube.js';
import { must, readModifyWrite, WriteFailure } from './rmw.js';
import type { RmwOptions } from './rmw.js';

export interface Writers {
  google: GoogleWriter;
  kube: KubeWriter;
  rmw?: RmwOptions;
  /** The time a restart stamps on the pod template (kubectl's `restartedAt`); default now. */
  restartedAt?: () => string;
}

export interface StepData {
  action: string;
  target: string;
  params: Record<string, string>;
}

export interface StepResult {
  changed: boolean;
  /** What happened, in one line. */
  detail: string;
  etagBefore?: string;
  etagAfter?: string;
  attempts?: number;
}

const param = (step: StepData, name: string): string => {
  const value = step.params[name];
  if (value === undefined || value === '')
    throw new FixPlanError(step.action, step.target, `param "${name}" is required`);
  return value;
};

const noop = (detail: string): StepResult => ({ changed: false, detail });
const done = (detail: string): StepResult => ({ changed: true, detail });

async function iamStep(step: StepData, w: Writers, add: boolean): Promise<StepResult> {
  const resource = parseIamResource(step.action, step.target);
  const role = param(step, 'role');
  const member = param(step, 'member');
  const condition: Expr | undefined = add ? conditionOfParams(step.params) : undefined;
  const result = await readModifyWrite(
    { get: () => w.google.getPolicy(resource), set: (p) => w.google.setPolicy(resource, p) },
    (policy) => (add ? addMember(policy, role, member, condition) : removeMember(policy, role, member)),
    w.rmw,
  );
  const when = condition === undefined ? '' : ` if ${condition.title ?? condition.expression}`;
  const out: StepResult = result.changed
    ? done(add ? `granted ${role}${when} to ${member}` : `removed ${member} from ${role}`)
    : noop(add ? `${member} already holds ${role}${when}` : `${member} holds no ${role}`);
  if (result.etagBefore !== undefined) out.etagBefore = result.etagBefore;
  if (result.etagAfter !== undefined) out.etagAfter = result.etagAfter;
  out.attempts = result.attempts;
  return out;
}

/**
 * Several `add-iam-binding` steps on one policy in one read-modify-write: one read and one write instead of one
 * of each per member (many KSAs sharing one GSA). The members are added in the steps' order, so the policy
 * written is the one the steps would have written one by one; each step's result says whether its own member
 * was new. All steps share the read's and the write's etags.
 */
export async function addIamBindings(steps: readonly StepData[], w: Writers): Promise<StepResult[]> {
  const first = steps[0];
  if (first === undefined) return [];
  const resource = parseIamResource(first.action, first.target);
  const grants = steps.map((step) => ({
    role: param(step, 'role'),
    member: param(step, 'member'),
    condition: conditionOfParams(step.params),
  }));
  const addAll = (policy: Policy): { policy: Policy; changed: boolean[] } => {
    const changed: boolean[] = [];
    let current = policy;
    for (const g of grants) {
      const edit = addMember(current, g.role, g.member, g.condition);
      changed.push(edit.changed);
      current = edit.policy;
    }
    return { policy: current, changed };
  };
  const result = await readModifyWrite(
    { get: () => w.google.getPolicy(resource), set: (p) => w.google.setPolicy(resource, p) },
    (policy) => {
      const edit = addAll(policy);
      return { policy: edit.policy, changed: edit.changed.some(Boolean) };
    },
    w.rmw,
  );
  // Which members were new, judged against the policy the write was made to (the last one read).
  const changed = addAll(result.before).changed;
  return grants.map((g, i) => {
    const when = g.condition === undefined ? '' : ` if ${g.condition.title ?? g.condition.expression}`;
    const out: StepResult =
      result.changed && changed[i] === true
        ? done(`granted ${g.role}${when} to ${g.member}`)
        : noop(`${g.member} already holds ${g.role}${when}`);
    if (result.etagBefore !== undefined) out.etagBefore = result.etagBefore;
    if (result.etagAfter !== undefined) out.etagAfter = result.etagAfter;
    out.attempts = result.attempts;
    return out;
  });
}

/** The path of the pod spec inside a workload (JSON Pointer segments), and the spec itself. */
function podSpecPath(kind: WorkloadKind): string[] {
  if (kind === 'cronjobs') return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
  if (kind === 'pods') return ['spec'];
  return ['spec', 'template', 'spec'];
}

function podSpecOf(kind: WorkloadKind, workload: Workload): Record<string, unknown> | undefined {
  let node: unknown = workload;
  for (const key of podSpecPath(kind)) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
}

function nest(path: readonly string[], leaf: Record<string, unknown>): Record<string, unknown> {
  return path.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), leaf);
}

const pointer = (path: readonly (string | number)[]): string =>
  `/${path.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

interface ContainerLike {
  name?: string;
  env?: { name?: string }[];
  volumeMounts?: { name?: string }[];
}

/** A JSON patch guarded by `test`s; when the object changed in between (422, 409), read it again, bounded. */
async function guardedPatch(
  w: Writers,
  kind: WorkloadKind,
  namespace: string,
  name: string,
  build: (workload: Workload) => { ops: unknown[]; detail: string } | { noop: string },
): Promise<StepResult> {
  for (let attempt = 1; ; attempt++) {
    const workload = must(await w.kube.workload(kind, namespace, name));
    const plan = build(workload);
    if ('noop' in plan) return noop(plan.noop);
    const outcome = await w.kube.patchWorkload(kind, namespace, name, plan.ops, 'json');
    if (outcome.ok) return { ...done(plan.detail), attempts: attempt };
    if ((outcome.status !== 422 && outcome.status !== 409) || attempt >= 3) {
      throw new WriteFailure(outcome.status, outcome.message);
    }
  }
}

function removeCredentialOverride(step: StepData, w: Writers): Promise<StepResult> {
  const t = parseObject(step.action, step.target, WORKLOAD_KINDS);
  const containerName = param(step, 'container');
  const env = step.params.env;
  const volume = step.params.volume;
  if ((env === undefined || env === '') && (volume === undefined || volume === '')) {
    throw new FixPlanError(step.action, step.target, 'param "env" or "volume" is required');
  }
  const base = podSpecPath(t.kind);
  return guardedPatch(w, t.kind, t.namespace, t.name, (workload) => {
    const spec = podSpecOf(t.kind, workload);
    const lists = (['containers', 'initContainers'] as const).map((key) => ({
      key,
      items: Array.isArray(spec?.[key]) ? (spec[key] as ContainerLike[]) : [],
    }));
    const ops: unknown[] = [];
    const removed: string[] = [];
    if (env !== undefined && env !== '') {
      for (const { key, items } of lists) {
        items.forEach((c, ci) => {
          if (c.name !== containerName) return;
          const envs = c.env ?? [];
          for (let i = envs.length - 1; i >= 0; i--) {
            if (envs[i]?.name !== env) continue;
            const at = [...base, key, ci, 'env', i];
            ops.push({ op: 'test', path: pointer([...at, 'name']), value: env }, { op: 'remove', path: pointer(at) });
            removed.push(`env ${env} of container ${containerName}`);
          }
        });
      }
    }
    if (volume !== undefined && volume !== '') {
      // A volume goes with every mount of it, or the API refuses the pod template.
      for (const { key, items } of lists) {
        items.forEach((c, ci) => {
          const mounts = c.volumeMounts ?? [];
          for (let i = mounts.length - 1; i >= 0; i--) {
            if (mounts[i]?.name !== volume) continue;
            const at = [...base, key, ci, 'volumeMounts', i];
            ops.push(
              { op: 'test', path: pointer([...at, 'name']), value: volume },
              { op: 'remove', path: pointer(at) },
            );
          }
        });
      }
      const volumes = Array.isArray(spec?.volumes) ? (spec.volumes as { name?: string }[]) : [];
      for (let i = volumes.length - 1; i >= 0; i--) {
        if (volumes[i]?.name !== volume) continue;
        const at = [...base, 'volumes', i];
        ops.push({ op: 'test', path: pointer([...at, 'name']), value: volume }, { op: 'remove', path: pointer(at) });
        removed.push(`volume ${volume} and its mounts`);
      }
    }
    if (ops.length === 0)
      return {
        noop: `nothing to remove: ${env !== undefined && env !== '' ? `env ${env}` : `volume ${volume ?? ''}`} is not set`,
      };
    return { ops, detail: `removed ${removed.join(', ')}` };
  });
}

async function mergeIntoPodSpec(
  step: StepData,
  w: Writers,
  field: string,
  value: unknown,
  current: (spec: Record<string, unknown> | undefined) => unknown,
): Promise<StepResult> {
  const t = parseObject(step.action, step.target, WORKLOAD_KINDS);
  const workload = must(await w.kube.workload(t.kind, t.namespace, t.name));
  const spec = podSpecOf(t.kind, workload);
  if (current(spec) === value) return noop(`${field} is already ${String(value)}`);
  const leaf: Record<string, unknown> = { [field]: value };
  // The deprecated alias would otherwise keep naming the old account.
  if (field === 'serviceAccountName' && typeof spec?.serviceAccount === 'string' && spec.serviceAccount !== value) {
    leaf.serviceAccount = value;
  }
  must(await w.kube.patchWorkload(t.kind, t.namespace, t.name, nest(podSpecPath(t.kind), leaf), 'merge'));
  return done(`set ${field} to ${String(value)} (the pods are replaced)`);
}

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

async function restart(step: StepData, w: Writers): Promise<StepResult> {
  const t = parseObject(step.action, step.target, WORKLOAD_KINDS);
  if (t.kind === 'pods') {
    const deleted = await w.kube.deletePod(t.namespace, t.name);
    if (!deleted.ok && deleted.kind === 'absent') return noop(`pod ${t.name} is already gone`);
    must(deleted);
    return done(`deleted pod ${t.name}`);
  }
  if (t.kind === 'jobs' || t.kind === 'cronjobs') {
    throw new WriteFailure(undefined, `a ${t.kind === 'jobs' ? 'Job' : 'CronJob'} cannot be restarted`);
  }
  // What `kubectl rollout restart` does: stamp the pod template, so the controller replaces every pod.
  const at = w.restartedAt?.() ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const workload = must(await w.kube.workload(t.kind, t.namespace, t.name));
  if (workload.spec?.template?.metadata?.annotations?.[RESTARTED_AT] === at) return noop(`already restarted at ${at}`);
  must(
    await w.kube.patchWorkload(
      t.kind,
      t.namespace,
      t.name,
      { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } },
      'merge',
    ),
  );
  return done(`rolling restart (${RESTARTED_AT}: ${at})`);
}

function sameJson(a: unknown, b: unknown): boolean {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined && x !== null)
              .sort(([x], [y]) => x.localeCompare(y))
              .map(([k, x]) => [k, sort(x)]),
          )
        : v;
  return JSON.stringify(sort(a)) === JSON.stringify(sort(b));
}

async function allowMetadataEgress(step: StepData, w: Writers): Promise<StepResult> {
  const np = parseObject(step.action, step.target, ['networkpolicies'] as const);
  const podSelector = JSON.parse(param(step, 'podSelector')) as LabelSelector;
  const cidr = param(step, 'cidr');
  const port = Number(param(step, 'port'));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FixPlanError(step.action, step.target, `port "${step.params.port ?? ''}" is not a port number`);
  }
  const spec = {
    podSelector,
    policyTypes: ['Egress'],
    egress: [{ to: [{ ipBlock: { cidr } }], ports: [{ protocol: 'TCP', port }] }],
  };
  const existing = await w.kube.networkPolicy(np.namespace, np.name);
  if (existing.ok) {
    if (sameJson(existing.value.spec, spec)) return noop(`NetworkPolicy ${np.name} already allows it`);
    throw new WriteFailure(
      undefined,
      `NetworkPolicy ${np.namespace}/${np.name} exists with another spec; it is not overwritten: merge the egress rule by hand`,
    );
  }
  if (existing.kind !== 'absent') must(existing);
  must(await w.kube.createEgressPolicy(np.namespace, np.name, { podSelector, cidr, port }));
  return done(`created NetworkPolicy ${np.name} allowing egress to ${cidr} TCP ${port}`);
}

type Applier = (step: StepData, w: Writers) => Promise<StepResult>;

const KSA = ['serviceaccounts'] as const;

export const APPLIERS: Record<Exclude<FixActionName, 'manual'>, Applier> = {
  'add-iam-binding': (s, w) => iamStep(s, w, true),
  'remove-iam-member': (s, w) => iamStep(s, w, false),

  'enable-service': async (s, w) => {
    const project = parseProject(s.action, s.target);
    const service = param(s, 'service');
    const state = must(await w.google.serviceState(project, service));
    if (state.state === 'ENABLED') return noop(`${service} is already enabled`);
    must(await w.google.enableService(project, service));
    return done(`enabled ${service} in ${project}`);
  },

  'enable-workload-identity': async (s, w) => {
    const c = parseCluster(s.action, s.target, false);
    const pool = param(s, 'workloadPool');
    const cluster = must(await w.google.cluster({ project: c.project, location: c.location, name: c.cluster }));
    if (cluster.workloadIdentityConfig?.workloadPool === pool) return noop(`the workload pool is already ${pool}`);
    must(await w.google.setWorkloadPool({ project: c.project, location: c.location, name: c.cluster }, pool));
    return done(`set the cluster's workload pool to ${pool}`);
  },

  'set-node-pool-metadata': async (s, w) => {
    const c = parseCluster(s.action, s.target, true);
    const pool = c.nodePool ?? '';
    const mode = param(s, 'mode');
    const ref = { project: c.project, location: c.location, name: c.cluster };
    const current = must(await w.google.nodePool(ref, pool));
    if (current.config?.workloadMetadataConfig?.mode === mode) return noop(`node pool ${pool} already runs ${mode}`);
    must(await w.google.setNodePoolMode(ref, pool, mode));
    return done(`set node pool ${pool} to ${mode} (its nodes are recreated)`);
  },

  'create-service-account': async (s, w) => {
    const { email } = parseServiceAccountTarget(s.action, s.target);
    const existing = await w.google.serviceAccount(email);
    if (existing.ok) return noop(`${email} already exists`);
    if (existing.kind !== 'absent') must(existing);
    const created = await w.google.createServiceAccount(param(s, 'project'), param(s, 'accountId'));
    if (!created.ok && created.status === 409) return noop(`${email} already exists`);
    must(created);
    return done(`created ${email}`);
  },

  'enable-service-account': async (s, w) => {
    const { email } = parseServiceAccountTarget(s.action, s.target);
    const account = must(await w.google.serviceAccount(email));
    if (account.disabled !== true) return noop(`${email} is already enabled`);
    must(await w.google.setServiceAccountEnabled(email, true));
    return done(`enabled ${email}`);
  },

  'undelete-service-account': async (s, w) => {
    const { email } = parseServiceAccountTarget(s.action, s.target);
    const uniqueId = param(s, 'uniqueId');
    const existing = await w.google.serviceAccount(email);
    if (existing.ok) {
      if (existing.value.uniqueId === uniqueId) return noop(`${email} (uniqueId ${uniqueId}) exists`);
      throw new WriteFailure(
        undefined,
        `${email} exists with another uniqueId (${existing.value.uniqueId ?? '?'}): the deleted account ${uniqueId} cannot be restored beside it`,
      );
    }
    if (existing.kind !== 'absent') must(existing);
    must(await w.google.undeleteServiceAccount(uniqueId));
    return done(`undeleted ${email} (uniqueId ${uniqueId})`);
  },

  'annotate-service-account': async (s, w) => {
    const sa = parseObject(s.action, s.target, KSA);
    const key = param(s, 'key');
    const value = param(s, 'value');
    const ksa = must(await w.kube.serviceAccount(sa.namespace, sa.name));
    if (ksa.metadata.annotations?.[key] === value) return noop(`${key} is already ${value}`);
    must(await w.kube.patchServiceAccount(sa.namespace, sa.name, { metadata: { annotations: { [key]: value } } }));
    return done(`annotated ${sa.namespace}/${sa.name}: ${key}=${value}`);
  },

  'remove-annotation': async (s, w) => {
    const sa = parseObject(s.action, s.target, KSA);
    const key = param(s, 'key');
    const ksa = must(await w.kube.serviceAccount(sa.namespace, sa.name));
    if (ksa.metadata.annotations?.[key] === undefined) return noop(`${key} is not set`);
    must(await w.kube.patchServiceAccount(sa.namespace, sa.name, { metadata: { annotations: { [key]: null } } }));
    return done(`removed annotation ${key} from ${sa.namespace}/${sa.name}`);
  },

  'create-kubernetes-service-account': async (s, w) => {
    const sa = parseObject(s.action, s.target, KSA);
    const value = s.params.annotationValue;
    const annotations = value !== undefined && value !== '' ? { 'iam.gke.io/gcp-service-account': value } : undefined;
    const existing = await w.kube.serviceAccount(sa.namespace, sa.name);
    if (existing.ok) {
      if (
        annotations === undefined ||
        existing.value.metadata.annotations?.['iam.gke.io/gcp-service-account'] === value
      ) {
        return noop(`KSA ${sa.namespace}/${sa.name} already exists`);
      }
      must(await w.kube.patchServiceAccount(sa.namespace, sa.name, { metadata: { annotations } }));
      return done(`annotated the existing KSA ${sa.namespace}/${sa.name} with ${value ?? ''}`);
    }
    if (existing.kind !== 'absent') must(existing);
    must(await w.kube.createServiceAccount(sa.namespace, sa.name, annotations));
    return done(`created KSA ${sa.namespace}/${sa.name}${annotations ? ` annotated with ${value ?? ''}` : ''}`);
  },

  'set-service-account-name': (s, w) =>
    mergeIntoPodSpec(
      s,
      w,
      'serviceAccountName',
      param(s, 'serviceAccountName'),
      (spec) => spec?.serviceAccountName ?? spec?.serviceAccount,
    ),

  'unset-host-network': (s, w) =>
    mergeIntoPodSpec(s, w, 'hostNetwork', false, (spec) => (spec?.hostNetwork === true ? true : false)),

  'delete-service-account-key': async (s, w) => {
    const { email } = parseServiceAccountTarget(s.action, s.target);
    const keyId = param(s, 'keyId');
    const key = await w.google.serviceAccountKey(email, keyId);
    if (!key.ok && key.kind === 'absent') return noop(`key ${keyId} of ${email} is already gone`);
    const found = must(key);
    if (found.keyType === 'SYSTEM_MANAGED') {
      throw new WriteFailure(undefined, `key ${keyId} of ${email} is managed by Google: it is not deleted`);
    }
    const deleted = await w.google.deleteServiceAccountKey(email, keyId);
    if (!deleted.ok && deleted.kind === 'absent') return noop(`key ${keyId} of ${email} is already gone`);
    must(deleted);
    return done(`deleted key ${keyId} of ${email}`);
  },

  'enable-audit-logs': async (s, w) => {
    const project = parseProject(s.action, s.target);
    const service = param(s, 'service');
    const logType = param(s, 'logType');
    if (logType !== 'ADMIN_READ' && logType !== 'DATA_READ' && logType !== 'DATA_WRITE') {
      throw new FixPlanError(s.action, s.target, `logType "${logType}" is not ADMIN_READ, DATA_READ or DATA_WRITE`);
    }
    const resource = { type: 'project', project } as const;
    const result = await readModifyWrite(
      {
        get: () => w.google.getPolicy(resource),
        set: (p) => w.google.setPolicy(resource, p, 'auditConfigs,etag'),
      },
      (policy) => addAuditLogType(policy, service, logType),
      w.rmw,
    );
    const out: StepResult = result.changed
      ? done(`turned ${logType} audit logs on for ${service} in ${project}`)
      : noop(`${logType} audit logs are already on for ${service} in ${project}`);
    if (result.etagBefore !== undefined) out.etagBefore = result.etagBefore;
    if (result.etagAfter !== undefined) out.etagAfter = result.etagAfter;
    out.attempts = result.attempts;
    return out;
  },

  'remove-credential-override': removeCredentialOverride,
  'restart-workload': restart,
  'allow-metadata-egress': allowMetadataEgress,
};
