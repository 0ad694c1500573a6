// A service-wide admin role (`roles/SERVICE.admin`: storage.admin, pubsub.admin, …) granted to a Workload Identity
// GSA on a whole project (or above) lets every pod of its KSAs administer every resource of that service there.
// The reference guide's practice is a grant on the resource itself (one bucket, one topic): that is no finding.
// Warn, since only the owner of the workload knows which resources it needs.

import type { ResourcePolicy } from '../model/facts.js';
import type { FixPlan } from '../model/results.js';
import { defineCheck } from './define.js';
import type { MemberGrant } from './lib/audit.js';
import {
  conditionText,
  grantsIn,
  grantsToServiceAccount,
  gsaProjectPolicy,
  missingGsaOutcome,
  projectAndAncestorPolicies,
} from './lib/audit.js';
import { policyCollectHint } from './lib/collect-hints.js';
import { listNames } from './lib/fixes.js';

/** `roles/storage.admin`, `roles/pubsub.admin`: a predefined role administering a whole service. */
const SERVICE_ADMIN = /^roles\/[a-z0-9]+\.admin$/;

function resourceLevelGrants(policies: readonly ResourcePolicy[], email: string): MemberGrant[] {
  const wanted = `serviceaccount:${email.toLowerCase()}`;
  const out: MemberGrant[] = [];
  for (const p of policies) {
    if (p.policy.status !== 'present') continue;
    for (const g of grantsIn(p.resource, 'resource', p.policy.value)) {
      if (g.member.toLowerCase() === wanted) out.push(g);
    }
  }
  return out;
}

export default defineCheck({
  id: 'broad-project-roles',
  title: 'Workload Identity GSAs hold no service-wide admin role on a project',
  failureTitle: 'A Workload Identity GSA holds a service-wide admin role on a whole project',
  group: 'audit',
  scope: 'gsa',
  chainOrder: 902,
  requires: ['projectPolicy', 'ancestorPolicies', 'resourcePolicies', 'serviceAccount', 'project'],
  run({ facts, target }) {
    const gsa = target.email;
    const missing = missingGsaOutcome(facts, gsa);
    if (missing) return missing;
    const { grants, unreadable } = grantsToServiceAccount(projectAndAncestorPolicies(facts), gsa);
    const broad = grants.filter((g) => SERVICE_ADMIN.test(g.role));
    const onResources = resourceLevelGrants(facts.resourcePolicies, gsa);
    const resourceNote =
      onResources.length > 0
        ? [
            `resource-level grants (the good practice): ${onResources.map((g) => `\`${g.role}\` on \`${g.resource}\``).join(', ')}`,
          ]
        : [];
    const notes = [...unreadable.map((u) => `policy of \`${u.resource}\` not readable: ${u.message}`), ...resourceNote];
    if (broad.length === 0) {
      const own = gsaProjectPolicy(facts, gsa);
      if (own.policy === undefined || own.policy.status !== 'present') {
        const why = own.policy === undefined ? 'its project is unknown' : own.policy.message;
        return {
          status: 'unknown',
          cause: `the project policy of GSA \`${gsa}\` could not be read (${why})`,
          missing: own.project === undefined ? [] : [policyCollectHint(`projects/${own.project}`)],
        };
      }
      return {
        status: 'pass',
        cause: `GSA \`${gsa}\` holds no service-wide admin role on project \`${own.project ?? ''}\` or above`,
        ...(notes.length > 0 ? { evidence: { notes } } : {}),
      };
    }
    const fix: FixPlan[] = [
      {
        action: 'manual',
        target: `projects/-/serviceAccounts/${gsa}`,
        params: {},
        description: `Grant \`${gsa}\` ${listNames([...new Set(broad.map((g) => g.role))])} (or a narrower role) on the resources the workload uses (a bucket, a topic) instead of the whole project.`,
      },
      ...broad.map((g): FixPlan => ({
        action: 'remove-iam-member',
        target: g.resource,
        params: { role: g.role, member: g.member },
        description: `Then remove \`${g.role}\` from \`${g.member}\` on \`${g.resource}\`.`,
      })),
    ];
    return {
      status: 'warn',
      cause:
        `GSA \`${gsa}\`, used by KSA ${listNames(target.ksas)}, holds ` +
        broad.map((g) => `\`${g.role}\` on \`${g.resource}\`${conditionText(g.condition)}`).join(', ') +
        ': every resource of that service there is in reach of its pods',
      evidence: {
        expected: 'grants on the resources the workload uses (a bucket, a topic), not service-wide admin on a project',
        actual: broad.map((g) => ({ resource: g.resource, role: g.role, member: g.member })),
        notes,
      },
      fix,
      location: `//cloudresourcemanager.googleapis.com/${broad[0]?.resource ?? ''}`,
    };
  },
});
