// A GSA that pods use through Workload Identity should hold the few roles the workload needs, never a basic
// role: `roles/owner` or `roles/editor` on a project let every pod of the KSA change almost anything there (fail),
// `roles/viewer` lets it read almost everything (warn). Only GSAs a KSA is annotated with are audited: a basic
// role on an account no KSA uses is no Workload Identity finding.

import type { FixPlan } from '../model/results.js';
import { defineCheck } from './define.js';
import type { MemberGrant } from './lib/audit.js';
import {
  conditionText,
  grantsToServiceAccount,
  gsaProjectPolicy,
  missingGsaOutcome,
  projectAndAncestorPolicies,
} from './lib/audit.js';
import { policyCollectHint } from './lib/collect-hints.js';
import { listNames } from './lib/fixes.js';

const FAILING = new Set(['roles/owner', 'roles/editor']);
const WARNING = new Set(['roles/viewer']);

const messages = {
  pass: (gsa: string, where: readonly string[]) =>
    `GSA \`${gsa}\` holds no basic role (owner, editor, viewer) on ${listNames(where)}`,
  fail: (gsa: string, ksas: readonly string[], grants: readonly MemberGrant[]) =>
    `GSA \`${gsa}\`, used by KSA ${listNames(ksas)}, holds ${describe(grants)}: every pod running as ${ksas.length === 1 ? 'it' : 'them'} can change almost anything there`,
  warn: (gsa: string, ksas: readonly string[], grants: readonly MemberGrant[]) =>
    `GSA \`${gsa}\`, used by KSA ${listNames(ksas)}, holds ${describe(grants)}: every pod running as ${ksas.length === 1 ? 'it' : 'them'} can read almost everything there`,
  replace: (gsa: string) =>
    `Grant \`${gsa}\` the predefined roles the workload needs instead, on the resources it uses (\`wi-doctor check --ksa NS/KSA --need PERMISSION --on RESOURCE\` names the smallest role), then remove the basic role.`,
};

function describe(grants: readonly MemberGrant[]): string {
  return grants.map((g) => `\`${g.role}\` on \`${g.resource}\`${conditionText(g.condition)}`).join(', ');
}

export default defineCheck({
  id: 'primitive-roles',
  title: 'Workload Identity GSAs hold no basic role',
  failureTitle: 'A Workload Identity GSA holds a basic role (owner, editor or viewer)',
  group: 'audit',
  scope: 'gsa',
  chainOrder: 900,
  requires: ['projectPolicy', 'ancestorPolicies', 'serviceAccount', 'project'],
  run({ facts, target }) {
    const gsa = target.email;
    const missing = missingGsaOutcome(facts, gsa);
    if (missing) return missing;
    const own = gsaProjectPolicy(facts, gsa);
    const { grants, unreadable } = grantsToServiceAccount(projectAndAncestorPolicies(facts), gsa);
    const basic = grants.filter((g) => FAILING.has(g.role) || WARNING.has(g.role));
    const failing = basic.filter((g) => FAILING.has(g.role));
    const notes = unreadable.map((u) => `policy of \`${u.resource}\` not readable: ${u.message}`);
    if (basic.length === 0) {
      if (own.project === undefined || own.policy === undefined) {
        return {
          status: 'unknown',
          cause: `the project of GSA \`${gsa}\` is unknown, so its project policy could not be read`,
          missing: [`gcp/service-accounts/${gsa}.json (gcloud iam service-accounts describe ${gsa} --format=json)`],
        };
      }
      if (own.policy.status !== 'present') {
        return {
          status: 'unknown',
          cause: `the policy of project \`${own.project}\` (where GSA \`${gsa}\` lives) could not be read: ${own.policy.message}`,
          missing: [policyCollectHint(`projects/${own.project}`)],
        };
      }
      const where = [
        `projects/${own.project}`,
        ...projectAndAncestorPolicies(facts)
          .filter((p) => p.policy.status === 'present' && p.resource !== `projects/${own.project}`)
          .map((p) => p.resource),
      ];
      return {
        status: 'pass',
        cause: messages.pass(gsa, where),
        ...(notes.length > 0 ? { evidence: { notes } } : {}),
      };
    }
    const member = `serviceAccount:${gsa}`;
    const fix: FixPlan[] = [
      { action: 'manual', target: `projects/-/serviceAccounts/${gsa}`, params: {}, description: messages.replace(gsa) },
      ...basic.map((g): FixPlan => ({
        action: 'remove-iam-member',
        target: g.resource,
        params: { role: g.role, member: g.member || member },
        description: `Remove \`${g.role}\` from \`${g.member}\` on \`${g.resource}\`.`,
      })),
    ];
    const ksas = target.ksas;
    return {
      status: failing.length > 0 ? 'fail' : 'warn',
      cause: failing.length > 0 ? messages.fail(gsa, ksas, basic) : messages.warn(gsa, ksas, basic),
      evidence: {
        expected: `no basic role (${[...FAILING, ...WARNING].join(', ')}) for ${member}`,
        actual: basic.map((g) => ({
          resource: g.resource,
          role: g.role,
          member: g.member,
          ...(g.condition ? { condition: g.condition } : {}),
        })),
        notes: [
          ...(basic.some((g) => g.condition !== undefined)
            ? ['a conditional grant still applies whenever its condition holds']
            : []),
          ...notes,
        ],
      },
      fix,
      location: `//cloudresourcemanager.googleapis.com/${basic[0]?.resource ?? ''}`,
    };
  },
});
