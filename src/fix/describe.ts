// What a planned step will change, before → after, in words, from the facts the diagnosis read. This is the
// plan's promise; apply reads the live state again and may find the step already done (a no-op).

import type { Fact, Facts } from '../model/facts.js';
import type { Expr, Policy } from '../model/gcp.js';
import type { NetworkPolicy, PodTemplateSpec, ServiceAccountObject, Workload } from '../model/k8s/types.js';
import type { FixPlan } from '../model/results.js';
import { hasGrant, sameMember } from './policy.js';
import { parseCluster, parseIamResource, parseObject, WORKLOAD_KINDS } from './render/targets.js';
import type { IamResource } from './render/targets.js';

export interface Change {
  before: string;
  after: string;
}

/** The condition a plan's params name, if any. */
export function conditionOfParams(params: Record<string, string>): Expr | undefined {
  const expression = params.conditionExpression;
  if (expression === undefined || expression === '') return undefined;
  const title = params.conditionTitle;
  return title === undefined || title === '' ? { expression } : { expression, title };
}

/** The collected policy of an IAM resource, when the diagnosis read it. */
export function policyFact(facts: Facts, resource: IamResource): Fact<Policy> | undefined {
  switch (resource.type) {
    case 'serviceAccount':
      return facts.serviceAccountPolicy(resource.email);
    case 'project':
      return facts.projectPolicy(resource.project);
    case 'folder':
      return facts.ancestorPolicies.find((p) => p.resource === `folders/${resource.id}`)?.policy;
    case 'organization':
      return facts.ancestorPolicies.find((p) => p.resource === `organizations/${resource.id}`)?.policy;
    case 'bucket':
      return facts.resourcePolicy(`//storage.googleapis.com/projects/_/buckets/${resource.bucket}`);
    case 'other':
      return facts.resourcePolicy(resource.fullName);
  }
}

const unread = (fact: Fact<unknown> | undefined, what: string): string =>
  fact === undefined || fact.status === 'not-collected'
    ? `${what} not read`
    : fact.status === 'absent'
      ? // What does not exist has no policy to show (a deleted account): no need for where that was learnt.
        `no ${what} (it does not exist)`
      : `${what} not read (${fact.source}: ${fact.status === 'present' ? '' : fact.message})`;

function membersOfRole(policy: Policy, role: string): number {
  return (policy.bindings ?? []).filter((b) => b.role === role).reduce((n, b) => n + (b.members ?? []).length, 0);
}

function iamChange(facts: Facts, plan: FixPlan, add: boolean): Change {
  const role = plan.params.role ?? '';
  const member = plan.params.member ?? '';
  const condition = conditionOfParams(plan.params);
  const when = condition === undefined ? '' : ` if ${condition.title ?? condition.expression}`;
  const fact = policyFact(facts, parseIamResource(plan.action, plan.target));
  let before: string;
  if (fact?.status === 'present') {
    const policy = fact.value;
    const n = membersOfRole(policy, role);
    const count = `${role}${when}: ${n} member${n === 1 ? '' : 's'}`;
    if (add) {
      before = hasGrant(policy, role, member, condition)
        ? `${member} already holds ${role}${when} (nothing to change)`
        : `${count}, ${member} not among them`;
    } else {
      const holds = (policy.bindings ?? []).some(
        (b) => b.role === role && (b.members ?? []).some((m) => sameMember(m, member)),
      );
      before = holds ? `${count}, ${member} among them` : `${member} holds no ${role} (nothing to change)`;
    }
  } else {
    before = unread(fact, 'policy');
  }
  return add ? { before, after: `${role}${when}: + ${member}` } : { before, after: `${role}: − ${member}` };
}

function workloadOf(facts: Facts, target: string, action: string): Workload | undefined {
  const w = parseObject(action, target, WORKLOAD_KINDS);
  const fact = facts.k8s.get<Workload>(w.kind, w.namespace, w.name);
  return fact.status === 'present' ? fact.value : undefined;
}

function podSpecOf(workload: Workload | undefined): PodTemplateSpec | undefined {
  return workload?.spec?.template ?? workload?.spec?.jobTemplate?.spec?.template;
}

function ksaOf(facts: Facts, target: string, action: string): Fact<ServiceAccountObject> {
  const sa = parseObject(action, target, ['serviceaccounts'] as const);
  return facts.k8s.get<ServiceAccountObject>('serviceaccounts', sa.namespace, sa.name);
}

/** before → after for one planned step. */
export function describeChange(facts: Facts, plan: FixPlan): Change {
  const p = plan.params;
  switch (plan.action) {
    case 'add-iam-binding':
      return iamChange(facts, plan, true);
    case 'remove-iam-member':
      return iamChange(facts, plan, false);
    case 'enable-service': {
      const project = plan.target.replace(/^projects\//, '');
      const services = facts.projectServices(project);
      const before =
        services.status === 'present'
          ? services.value.some((s) => (s.config?.name ?? s.name.split('/').pop()) === p.service)
            ? `${p.service ?? ''} enabled (nothing to change)`
            : `${p.service ?? ''} not enabled`
          : unread(services, 'enabled services');
      return { before, after: `${p.service ?? ''} enabled` };
    }
    case 'enable-workload-identity': {
      const pool =
        facts.cluster.status === 'present' ? facts.cluster.value.workloadIdentityConfig?.workloadPool : undefined;
      const before =
        facts.cluster.status !== 'present'
          ? unread(facts.cluster, 'cluster')
          : pool === undefined
            ? 'Workload Identity disabled (no workload pool)'
            : `workload pool ${pool}`;
      return { before, after: `workload pool ${p.workloadPool ?? ''}` };
    }
    case 'set-node-pool-metadata': {
      const c = parseCluster(plan.action, plan.target, true);
      const pool =
        facts.cluster.status === 'present'
          ? facts.cluster.value.nodePools?.find((np) => np.name === c.nodePool)
          : undefined;
      const config = pool?.config?.workloadMetadataConfig;
      const before =
        pool === undefined
          ? 'node pool not read'
          : config === undefined
            ? 'no workloadMetadataConfig (pods see the Compute Engine metadata server)'
            : `workloadMetadataConfig.mode ${config.mode ?? '{} (legacy concealment)'}`;
      return { before, after: `workloadMetadataConfig.mode ${p.mode ?? ''} (the pool's nodes are recreated)` };
    }
    case 'annotate-service-account':
    case 'remove-annotation': {
      const ksa = ksaOf(facts, plan.target, plan.action);
      const key = p.key ?? '';
      const value = ksa.status === 'present' ? ksa.value.metadata.annotations?.[key] : undefined;
      const before =
        ksa.status === 'present'
          ? value === undefined
            ? `${key} not set`
            : `${key}: ${value}`
          : ksa.status === 'absent'
            ? 'the KSA does not exist'
            : unread(ksa, 'KSA');
      return plan.action === 'annotate-service-account'
        ? { before, after: `${key}: ${p.value ?? ''}` }
        : { before, after: `${key} not set` };
    }
    case 'create-kubernetes-service-account': {
      const ksa = ksaOf(facts, plan.target, plan.action);
      return {
        before:
          ksa.status === 'present'
            ? 'exists (nothing to create)'
            : ksa.status === 'absent'
              ? 'does not exist'
              : unread(ksa, 'KSA'),
        after: p.annotationValue ? `exists, annotated with ${p.annotationValue}` : 'exists',
      };
    }
    case 'set-service-account-name': {
      const template = podSpecOf(workloadOf(facts, plan.target, plan.action));
      const current = template?.spec.serviceAccountName ?? template?.spec.serviceAccount;
      return {
        before: template === undefined ? 'workload not read' : `serviceAccountName: ${current ?? 'default (unset)'}`,
        after: `serviceAccountName: ${p.serviceAccountName ?? ''} (the pods are replaced)`,
      };
    }
    case 'unset-host-network': {
      const template = podSpecOf(workloadOf(facts, plan.target, plan.action));
      return {
        before:
          template === undefined ? 'workload not read' : `hostNetwork: ${String(template.spec.hostNetwork ?? false)}`,
        after: 'hostNetwork: false (the pods are replaced)',
      };
    }
    case 'remove-credential-override': {
      const what = p.env !== undefined ? `env ${p.env}` : `volume ${p.volume ?? ''}`;
      return {
        before: `${what} set in container ${p.container ?? ''}`,
        after: `${what} removed (the pods are replaced)`,
      };
    }
    case 'restart-workload': {
      const w = parseObject(plan.action, plan.target, WORKLOAD_KINDS);
      return w.kind === 'pods'
        ? { before: `pod ${w.name} running`, after: 'pod deleted (nothing recreates a pod no controller owns)' }
        : { before: 'pods started before the change', after: 'every pod replaced (rolling restart)' };
    }
    case 'enable-service-account':
      return { before: 'disabled', after: 'enabled' };
    case 'undelete-service-account':
      return {
        before: `deleted (uniqueId ${p.uniqueId ?? ''})`,
        after: 'restored with its unique id, so its bindings apply again',
      };
    case 'create-service-account':
      return { before: 'does not exist', after: `exists in project ${p.project ?? ''}` };
    case 'allow-metadata-egress': {
      const np = parseObject(plan.action, plan.target, ['networkpolicies'] as const);
      const fact = facts.k8s.get<NetworkPolicy>('networkpolicies', np.namespace, np.name);
      return {
        before: fact.status === 'present' ? `NetworkPolicy ${np.name} exists` : `no NetworkPolicy ${np.name}`,
        after: `NetworkPolicy ${np.name} allows egress to ${p.cidr ?? ''} TCP ${p.port ?? ''}`,
      };
    }
    case 'delete-service-account-key':
      return { before: `user-managed key ${p.keyId ?? ''} exists`, after: `key ${p.keyId ?? ''} deleted` };
    case 'enable-audit-logs': {
      const project = plan.target.replace(/^projects\//, '');
      const policy = facts.projectPolicy(project);
      const on =
        policy.status === 'present' &&
        (policy.value.auditConfigs ?? []).some(
          (c) => c.service === p.service && (c.auditLogConfigs ?? []).some((l) => l.logType === p.logType),
        );
      return {
        before:
          policy.status !== 'present'
            ? unread(policy, 'project IAM policy')
            : on
              ? `${p.logType ?? ''} on for ${p.service ?? ''} (nothing to change)`
              : `${p.logType ?? ''} off for ${p.service ?? ''}`,
        after: `${p.logType ?? ''} audit logs on for ${p.service ?? ''}`,
      };
    }
    default:
      return { before: '', after: '' };
  }
}
