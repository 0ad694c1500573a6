// With `--impersonate EMAIL`: may the subject's identity mint tokens for that account (often one in another
// project, FACTS §5.19)? It needs `iam.serviceAccounts.getAccessToken` on the target: its own policy or an
// inherited one. `roles/iam.serviceAccountUser` (actAs) does not give it (§5.18), and the reference guide's
// cross-project fix grants exactly that role, so this check says so when it finds it.

import { isServiceAccountEmail } from '../model/identifiers.js';
import { evaluatePermission } from '../model/iam/evaluate.js';
import type { GrantFinding } from '../model/iam/evaluate.js';
import { projectOfServiceAccount, serviceAccountPolicyChain } from '../model/iam/policies.js';
import type { FixPlan } from '../model/results.js';
import { defineCheck } from './define.js';
import { policyCollectHint, roleCollectHint } from './lib/collect-hints.js';
import { GET_ACCESS_TOKEN, TOKEN_CREATOR, memberForm, serviceAccountResource } from './lib/gsa.js';
import { describeLikely, formatNearMiss, likelyCause, rankNearMisses, roleHas } from './lib/near-miss.js';
import { subjectPrincipal } from './lib/subject-principal.js';

const ACT_AS = 'iam.serviceAccounts.actAs';

const where = (g: GrantFinding): string =>
  g.level === 'service-account' ? 'its own policy' : `the ${g.level} policy of \`${g.resource}\` (inherited)`;

export default defineCheck({
  id: 'cross-project-impersonation',
  title: 'The workload identity may mint tokens for the account it impersonates',
  failureTitle: 'The workload identity may not mint tokens for the account it impersonates',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 150,
  requires: [
    'cluster',
    'project',
    'serviceAccount',
    'serviceAccountPolicy',
    'projectPolicy',
    'ancestorPolicies',
    'customRoles',
  ],
  run({ facts, target, roles, options }) {
    const email = options.impersonate;
    if (email === undefined) return { status: 'skip', cause: 'not requested: `--impersonate EMAIL` was not given' };
    const location = serviceAccountResource(email);
    if (!isServiceAccountEmail(email)) {
      return {
        status: 'unknown',
        cause: `\`--impersonate ${email}\` is no service-account email, so there is nothing to evaluate`,
        evidence: { expected: 'ACCOUNT@PROJECT_ID.iam.gserviceaccount.com', actual: email },
        missing: ['a service-account email for --impersonate'],
      };
    }
    const subject = target.subject;
    if (subject.gsaEmail !== undefined && subject.gsaEmail.toLowerCase() === email.toLowerCase()) {
      return { status: 'skip', cause: `\`${email}\` is the subject's own GSA (see wi-binding)`, location };
    }
    const who = subjectPrincipal(facts, subject);
    if (!who.ok) return who.outcome;

    const bind: FixPlan = {
      action: 'add-iam-binding',
      target: location,
      params: { role: TOKEN_CREATOR, member: who.member },
      description: `Let ${who.label} mint tokens for \`${email}\`: grant \`${TOKEN_CREATOR}\` to \`${who.member}\` on that account.`,
    };
    const expected = { resource: location, permission: GET_ACCESS_TOKEN, member: who.member };

    if (facts.serviceAccount(email).status === 'absent') {
      return {
        status: 'fail',
        cause: `the account to impersonate, \`${email}\`, does not exist`,
        evidence: { expected: `service account \`${email}\` exists`, actual: 'absent' },
        fix: [
          {
            action: 'manual',
            target: location,
            params: {},
            description: `Check the email given to --impersonate; create or undelete \`${email}\` in its project, then grant \`${TOKEN_CREATOR}\` on it to \`${who.member}\`.`,
          },
        ],
        location,
      };
    }

    const chain = serviceAccountPolicyChain(facts, email);
    const evaluation = evaluatePermission({
      permission: GET_ACCESS_TOKEN,
      principal: who.principal,
      policies: chain,
      roles,
    });
    const project = projectOfServiceAccount(facts, email);
    const across = project !== undefined ? ` in project \`${project}\`` : '';

    switch (evaluation.outcome) {
      case 'granted': {
        const grants = [...evaluation.grants].sort(
          (x, y) => Number(x.level !== 'service-account') - Number(y.level !== 'service-account'),
        );
        const [g] = grants;
        return {
          status: 'pass',
          cause:
            `${who.label} may mint tokens for \`${email}\`${across}` +
            (g !== undefined ? `: \`${g.role}\` to \`${g.member}\` (${memberForm(g.member)}) in ${where(g)}` : ''),
          evidence: { actual: grants.map((x) => ({ resource: x.resource, role: x.role, member: x.member })) },
          location,
        };
      }
      case 'conditional': {
        const [g] = evaluation.conditionalGrants;
        const c = g?.condition;
        const named =
          c === undefined
            ? 'a condition'
            : `condition ${c.title !== undefined ? `\`${c.title}\` ` : ''}(\`${c.expression}\`)`;
        return {
          status: 'warn',
          cause: `${who.label} may mint tokens for \`${email}\` only under ${named}; requests fail whenever it does not hold`,
          evidence: {
            expected,
            actual: evaluation.conditionalGrants.map((x) => ({
              resource: x.resource,
              role: x.role,
              member: x.member,
              condition: x.condition,
            })),
          },
          fix: [
            {
              ...bind,
              description: `${bind.description} Without a condition, if the condition is not meant to restrict this.`,
            },
          ],
          location,
        };
      }
      case 'unknown': {
        const blockers = [
          ...evaluation.unreadable.map((u) => `policy of \`${u.resource}\` not readable: ${u.message}`),
          ...evaluation.unresolvedRoles.map((r) => `role \`${r.role}\` on \`${r.resource}\` not resolved: ${r.reason}`),
        ];
        const misses = rankNearMisses({
          permission: GET_ACCESS_TOKEN,
          principal: who.principal,
          policies: chain,
          roles,
          evaluation,
        });
        const likely = likelyCause(misses, evaluation.unreadable);
        return {
          status: 'unknown',
          cause:
            `whether ${who.label} may mint tokens for \`${email}\` is unknown: ${blockers[0] ?? 'the policies could not be evaluated'}` +
            (likely !== undefined ? describeLikely(likely) : ''),
          evidence: {
            expected,
            actual: 'not evaluated',
            notes: [...blockers, ...misses.slice(0, 8).map(formatNearMiss)],
          },
          missing: [
            ...(likely !== undefined ? [`settle the most likely cause: ${likely.settle}`] : []),
            ...evaluation.unreadable.map((u) => policyCollectHint(u.resource)),
            ...evaluation.unresolvedRoles.map((r) => roleCollectHint(r.role)),
          ],
          location,
        };
      }
      case 'not-granted': {
        const misses = rankNearMisses({
          permission: GET_ACCESS_TOKEN,
          principal: who.principal,
          policies: chain,
          roles,
          evaluation,
        });
        // The guide's mistake (§5.18): the right member holds actAs, which attaches the account, never mints tokens.
        const actAsOnly = misses.filter((m) => m.rank === 2 && roleHas(roles, m.role, ACT_AS) === true);
        const [best] = misses;
        let cause = `${who.label} may not mint tokens for \`${email}\`${across}: nothing grants it \`${GET_ACCESS_TOKEN}\``;
        const [actAs] = actAsOnly;
        if (actAs !== undefined) {
          cause =
            `${who.label} holds only \`${actAs.role}\` on \`${email}\`${across}: it grants actAs (\`${ACT_AS}\`), which ` +
            `lets it attach the account to resources but does not mint tokens (\`${GET_ACCESS_TOKEN}\`); ` +
            `the reference guide's cross-project fix makes this exact mistake`;
        } else if (best !== undefined) {
          cause += `; nearest miss: ${best.reason} (\`${best.role}\` to \`${best.member}\` on \`${best.resource}\`)`;
        }
        const own = chain.find((p) => p.level === 'service-account');
        return {
          status: 'fail',
          cause,
          evidence: {
            expected: { ...expected, role: TOKEN_CREATOR },
            actual:
              own?.policy.status === 'present'
                ? (own.policy.value.bindings ?? []).length > 0
                  ? own.policy.value.bindings
                  : `the policy of \`${email}\` has no bindings`
                : 'the policy was not read',
            notes: misses.slice(0, 8).map(formatNearMiss),
          },
          fix: [bind],
          location,
        };
      }
    }
  },
});
