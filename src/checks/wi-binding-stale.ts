// `deleted:` members are what remains of grants to an account that was deleted. They grant
// nothing, not even to an account recreated with the same email (§5.8), yet read like working bindings.
// This check lists those that concern the subject: the GSA itself, or Workload Identity members, in the
// GSA's policy and in the project policies of the cluster and the GSA.

import { need } from '../model/facts.js';
import { projectOfServiceAccount } from '../model/iam/policies.js';
import { defineCheck } from './define.js';
import { policyCollectHint } from './lib/collect-hints.js';
import { deletedMembersIn, serviceAccountResource } from './lib/gsa.js';
import type { CollectedPolicy, DeletedMemberRef } from './lib/gsa.js';
import type { FixPlan } from '../model/results.js';

const WI_TYPES = new Set(['wi-legacy', 'wi-subject', 'wi-uid', 'wi-namespace', 'wi-cluster']);

function refersTo(ref: DeletedMemberRef, gsa: string | undefined): boolean {
  if (WI_TYPES.has(ref.inner.type)) return true;
  return (
    gsa !== undefined && ref.inner.type === 'serviceAccount' && ref.inner.email.toLowerCase() === gsa.toLowerCase()
  );
}

export default defineCheck({
  id: 'wi-binding-stale',
  title: 'No stale bindings of deleted accounts concern the subject',
  failureTitle: 'Stale bindings of deleted accounts concern the subject',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 105,
  requires: ['serviceAccount', 'serviceAccountPolicy', 'projectPolicy'],
  run({ facts, target }) {
    const subject = target.subject;
    // Without the KSA, its annotation (and so its GSA's policy) is unknown: nothing here can be ruled out.
    if (subject.ksa.status !== 'absent') need(subject.ksa);
    const gsa = subject.model === 'impersonation' ? subject.gsaEmail : undefined;
    const policies: CollectedPolicy[] = [];
    // A deleted account's own policy went with it: nothing to read there.
    if (gsa !== undefined && facts.serviceAccount(gsa).status !== 'absent') {
      policies.push({
        resource: serviceAccountResource(gsa),
        level: 'service-account',
        policy: facts.serviceAccountPolicy(gsa),
      });
    }
    const gsaProject = gsa !== undefined ? projectOfServiceAccount(facts, gsa) : undefined;
    for (const project of new Set([subject.cluster.project, ...(gsaProject !== undefined ? [gsaProject] : [])])) {
      policies.push({ resource: `projects/${project}`, level: 'project', policy: facts.projectPolicy(project) });
    }

    const stale = deletedMembersIn(policies).filter((d) => refersTo(d, gsa));
    const unreadable = policies.filter((p) => p.policy.status === 'error' || p.policy.status === 'not-collected');
    const unreadableNotes = unreadable.map(
      (p) => `policy of \`${p.resource}\` not read: ${p.policy.status === 'present' ? '' : p.policy.message}`,
    );
    const looked = policies.map((p) => `\`${p.resource}\``).join(', ');

    if (stale.length > 0) {
      const account = gsa !== undefined ? facts.serviceAccount(gsa) : undefined;
      const currentUid = account?.status === 'present' ? account.value.uniqueId : undefined;
      const recreated =
        currentUid !== undefined && stale.some((d) => d.inner.type === 'serviceAccount' && d.uid !== currentUid);
      const [first] = stale;
      return {
        status: 'warn',
        cause:
          `${stale.length} binding${stale.length > 1 ? 's' : ''} of deleted accounts concern this subject ` +
          `(first: \`${first?.member ?? ''}\` holds \`${first?.role ?? ''}\` on \`${first?.resource ?? ''}\`)` +
          (recreated && gsa !== undefined
            ? `: GSA \`${gsa}\` was deleted and recreated, and the new account (uid ${currentUid ?? ''}) has none of these grants`
            : ': they grant nothing'),
        evidence: {
          expected: 'no `deleted:` members for the GSA or Workload Identity subjects',
          actual: stale.map((d) => ({ resource: d.resource, role: d.role, member: d.member })),
          notes: unreadableNotes,
        },
        // A recreated GSA lost every grant of the old account: grant the new one the same roles (with the
        // same conditions) first, then remove what is left of the old grants.
        fix: [
          ...(recreated && gsa !== undefined ? regrants(stale, gsa, policies) : []),
          ...stale.map((d): FixPlan => ({
            action: 'remove-iam-member',
            target: d.resource,
            params: { role: d.role, member: d.member },
            description: `Remove the stale \`${d.member}\` from \`${d.role}\` on \`${d.resource}\` (it grants nothing).`,
          })),
        ],
        location: first?.resource ?? '',
      };
    }
    if (unreadable.length > 0) {
      return {
        status: 'unknown',
        cause: `stale bindings cannot be ruled out: ${unreadable.map((p) => `\`${p.resource}\``).join(', ')} could not be read`,
        evidence: { expected: 'readable policies', actual: unreadableNotes },
        missing: unreadable.map((p) => policyCollectHint(p.resource)),
      };
    }
    return {
      status: 'pass',
      cause: `no \`deleted:\` members for ${gsa !== undefined ? `GSA \`${gsa}\` or ` : ''}Workload Identity subjects in the policies of ${looked}`,
      evidence: { actual: 'no stale members' },
    };
  },
});

/**
 * `add-iam-binding` plans that give the recreated GSA back the roles its deleted predecessor held, each
 * once, on the same resource and under the same condition; roles the new account already holds there are
 * left out.
 */
function regrants(stale: readonly DeletedMemberRef[], gsa: string, policies: readonly CollectedPolicy[]): FixPlan[] {
  const member = `serviceAccount:${gsa}`;
  const seen = new Set<string>();
  const plans: FixPlan[] = [];
  for (const d of stale) {
    if (d.inner.type !== 'serviceAccount' || d.inner.email.toLowerCase() !== gsa.toLowerCase()) continue;
    const key = `${d.resource} ${d.role} ${d.condition?.expression ?? ''}`;
    if (seen.has(key) || holds(policies, d.resource, d.role, member)) continue;
    seen.add(key);
    const params: Record<string, string> = { role: d.role, member };
    if (d.condition !== undefined) {
      params['conditionExpression'] = d.condition.expression;
      params['conditionTitle'] = d.condition.title ?? 'regranted';
    }
    plans.push({
      action: 'add-iam-binding',
      target: d.resource,
      params,
      description: `Grant the recreated \`${gsa}\` the \`${d.role}\` it lost on \`${d.resource}\` when the old account was deleted.`,
    });
  }
  return plans;
}

/** Whether a readable policy of `resource` already grants `role` to `member`. */
function holds(policies: readonly CollectedPolicy[], resource: string, role: string, member: string): boolean {
  const policy = policies.find((p) => p.resource === resource)?.policy;
  if (policy?.status !== 'present') return false;
  const wanted = member.toLowerCase();
  return (policy.value.bindings ?? []).some(
    (b) => b.role === role && (b.members ?? []).some((m) => m.toLowerCase() === wanted),
  );
}
