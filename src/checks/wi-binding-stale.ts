// `deleted:` members are what remains of grants to an account that was deleted (FACTS §1). They grant
// nothing, not even to an account recreated with the same email (§5.8), yet read like working bindings.
// This check lists those that concern the subject: the GSA itself, or Workload Identity members, in the
// GSA's policy and in the project policies of the cluster and the GSA.

import { need } from '../model/facts.js';
import { projectOfServiceAccount } from '../model/iam/policies.js';
import { defineCheck } from './define.js';
import { policyCollectHint } from './lib/collect-hints.js';
import { deletedMembers, serviceAccountResource } from './lib/gsa.js';
import type { CollectedPolicy, DeletedMemberRef } from './lib/gsa.js';

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

    const stale = deletedMembers(policies).filter((d) => refersTo(d, gsa));
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
        fix: stale.map((d) => ({
          action: 'remove-iam-member',
          target: d.resource,
          params: { role: d.role, member: d.member },
          description: `Remove the stale \`${d.member}\` from \`${d.role}\` on \`${d.resource}\` (re-grant the current account where it still needs the role).`,
        })),
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
