// The central check: may the KSA mint tokens for its GSA? Some policy on the GSA's chain (its own, its
// project's, folders' and the organization's where readable) must grant `iam.serviceAccounts.getAccessToken`
// to any member form naming the KSA. Roles are resolved to permissions, never judged by name.
// Without a grant the cause names the nearest miss; a conditional grant warns
// (§5.20); an unreadable policy makes it unknown.

import type { Subject } from '../engine/subject.js';
import type { Facts } from '../model/facts.js';
import { evaluatePermission } from '../model/iam/evaluate.js';
import type { GrantFinding, PermissionEvaluation, PolicyAt } from '../model/iam/evaluate.js';
import { serviceAccountPolicyChain } from '../model/iam/policies.js';
import { ksaMembers, poolOf } from '../model/identifiers.js';
import { need } from '../model/facts.js';
import type { RoleResolver } from '../model/iam/roles.js';
import type { FixPlan } from '../model/results.js';
import { projectOfServiceAccount } from '../model/iam/policies.js';
import { informational } from '../engine/consulted.js';
import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { policyCollectHint, roleCollectHint } from './lib/collect-hints.js';
import {
  GET_ACCESS_TOKEN,
  WORKLOAD_IDENTITY_USER,
  collectedPolicies,
  deletedMembersOf,
  memberForm,
  serviceAccountResource,
} from './lib/gsa.js';
import { describeLikely, formatNearMiss, likelyCause, rankNearMisses } from './lib/near-miss.js';
import { noPoolOutcome, noAnnotationOutcome } from './lib/subject-principal.js';

const MAX_NOTES = 8;

function where(grant: GrantFinding, gsa: string): string {
  if (grant.level === 'service-account') return `the policy of GSA \`${gsa}\``;
  return `the ${grant.level} policy of \`${grant.resource}\` (inherited)`;
}

function inheritedNote(grant: GrantFinding): string | undefined {
  if (grant.level === 'service-account') return undefined;
  return (
    `a grant on \`${grant.resource}\` applies to every service account below it: this KSA can impersonate ` +
    `every GSA of ${grant.level === 'project' ? `project \`${grant.resource.replace(/^projects\//, '')}\`` : `\`${grant.resource}\``} ` +
    `(see project-level-impersonation)`
  );
}

function granted(subject: Subject, gsa: string, evaluation: PermissionEvaluation): CheckOutcome {
  const grants = [...evaluation.grants].sort(
    (a, b) => Number(a.level !== 'service-account') - Number(b.level !== 'service-account'),
  );
  const [grant] = grants;
  if (grant === undefined) throw new Error('granted without a grant');
  const inherited = inheritedNote(grant);
  return {
    status: 'pass',
    cause:
      `KSA \`${subject.namespace}/${subject.ksaName}\` may mint tokens for GSA \`${gsa}\`: \`${grant.role}\` to ` +
      `\`${grant.member}\` (${memberForm(grant.member)}) in ${where(grant, gsa)}`,
    evidence: {
      actual: grants.map((g) => ({ resource: g.resource, role: g.role, member: g.member })),
      notes: inherited !== undefined ? [inherited] : [],
    },
    location: serviceAccountResource(gsa),
  };
}

function conditional(subject: Subject, gsa: string, evaluation: PermissionEvaluation, bind: FixPlan): CheckOutcome {
  const [grant] = evaluation.conditionalGrants;
  if (grant === undefined) throw new Error('conditional without a conditional grant');
  const condition = grant.condition;
  const named =
    condition === undefined
      ? 'a condition'
      : `condition ${condition.title !== undefined ? `\`${condition.title}\` ` : ''}(\`${condition.expression}\`)`;
  return {
    status: 'warn',
    cause:
      `KSA \`${subject.namespace}/${subject.ksaName}\` may mint tokens for GSA \`${gsa}\` only under ${named}: ` +
      `\`${grant.role}\` to \`${grant.member}\` in ${where(grant, gsa)}; token requests fail whenever it does not hold`,
    evidence: {
      expected: 'an unconditional grant of iam.serviceAccounts.getAccessToken',
      actual: evaluation.conditionalGrants.map((g) => ({
        resource: g.resource,
        role: g.role,
        member: g.member,
        condition: g.condition,
      })),
      notes: ['conditional bindings need policy version 3: reading the policy without it hides the condition'],
    },
    fix: [
      {
        ...bind,
        description: `${bind.description} Without a condition, if the condition is not meant to restrict Workload Identity.`,
      },
    ],
    location: serviceAccountResource(gsa),
  };
}

function ownBindings(chain: readonly PolicyAt[]): unknown {
  const own = chain.find((p) => p.level === 'service-account');
  if (own === undefined || own.policy.status !== 'present') return 'the GSA policy was not read';
  const bindings = own.policy.value.bindings ?? [];
  return bindings.length === 0 ? 'the GSA policy has no bindings' : bindings;
}

function notGranted(
  facts: Facts,
  subject: Subject,
  gsa: string,
  chain: readonly PolicyAt[],
  evaluation: PermissionEvaluation,
  roles: RoleResolver,
  bind: FixPlan,
): CheckOutcome {
  const ksa = `\`${subject.namespace}/${subject.ksaName}\``;
  const misses = rankNearMisses({
    permission: GET_ACCESS_TOKEN,
    principal: { type: 'ksa', ksa: subject.principal },
    policies: chain,
    roles,
    evaluation,
    gsaProject: projectOfServiceAccount(facts, gsa),
  });
  const account = facts.serviceAccount(gsa);
  const currentUid = account.status === 'present' ? account.value.uniqueId : undefined;
  const recreated = deletedMembersOf(collectedPolicies(facts), gsa).filter(
    (d) => currentUid !== undefined && d.uid !== currentUid,
  );
  const [best] = misses;
  const [old] = recreated;
  let cause = `no policy grants \`${GET_ACCESS_TOKEN}\` on GSA \`${gsa}\` to KSA ${ksa}`;
  if (best !== undefined && best.rank <= 2) {
    cause += `; nearest miss: ${best.reason} (\`${best.role}\` to \`${best.member}\` on \`${best.resource}\`)`;
  } else if (old !== undefined) {
    cause +=
      `; GSA \`${gsa}\` was deleted and recreated (old uid \`${old.uid}\`, now \`${currentUid ?? ''}\`): ` +
      `the binding made for the old account was lost with it and must be granted again`;
  } else if (best !== undefined) {
    cause += `; nearest miss: ${best.reason} (\`${best.role}\` to \`${best.member}\` on \`${best.resource}\`)`;
  } else {
    cause += ': no binding names the KSA in any member form';
  }
  return {
    status: 'fail',
    cause,
    evidence: {
      expected: { resource: serviceAccountResource(gsa), role: WORKLOAD_IDENTITY_USER, member: bind.params.member },
      actual: ownBindings(chain),
      notes: [
        ...misses.slice(0, MAX_NOTES).map(formatNearMiss),
        ...recreated.map(
          (d) =>
            `\`${d.member}\` holds \`${d.role}\` on \`${d.resource}\`: a grant to the deleted account (uid ${d.uid})`,
        ),
      ],
    },
    fix: [bind],
    location: serviceAccountResource(gsa),
  };
}

/**
 * A policy on the chain (or a role bound in it) could not be read. What the readable policies show still counts:
 * their nearest miss is the most likely cause, and reading the blocked policy settles it.
 */
function unknownOutcome(
  facts: Facts,
  subject: Subject,
  gsa: string,
  chain: readonly PolicyAt[],
  evaluation: PermissionEvaluation,
  roles: RoleResolver,
  bind: FixPlan,
): CheckOutcome {
  const blockers = [
    ...evaluation.unreadable.map((u) => `policy of \`${u.resource}\` not readable: ${u.message}`),
    ...evaluation.unresolvedRoles.map((r) => `role \`${r.role}\` on \`${r.resource}\` not resolved: ${r.reason}`),
  ];
  const misses = rankNearMisses({
    permission: GET_ACCESS_TOKEN,
    principal: { type: 'ksa', ksa: subject.principal },
    policies: chain,
    roles,
    evaluation,
    gsaProject: projectOfServiceAccount(facts, gsa),
  });
  const likely = likelyCause(misses, evaluation.unreadable);
  return {
    status: 'unknown',
    cause:
      `whether KSA \`${subject.namespace}/${subject.ksaName}\` may mint tokens for GSA \`${gsa}\` is unknown: ` +
      (blockers[0] ?? 'the policies could not be evaluated') +
      (likely !== undefined ? describeLikely(likely) : ''),
    evidence: {
      expected: bind.params,
      actual: 'not evaluated',
      notes: [...blockers, ...misses.slice(0, MAX_NOTES).map(formatNearMiss)],
    },
    missing: [
      ...(likely !== undefined ? [`settle the most likely cause: ${likely.settle}`] : []),
      ...evaluation.unreadable.map((u) => policyCollectHint(u.resource)),
      ...evaluation.unresolvedRoles.map((r) => roleCollectHint(r.role)),
    ],
    location: serviceAccountResource(gsa),
  };
}

export default defineCheck({
  id: 'wi-binding',
  title: 'The KSA may impersonate its Google service account',
  failureTitle: 'No policy lets the KSA mint tokens for its Google service account',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 100,
  requires: [
    'cluster',
    'project',
    'serviceAccount',
    'serviceAccountPolicy',
    'projectPolicy',
    'ancestorPolicies',
    'customRoles',
    'resourcePolicies',
  ],
  run({ facts, target, roles }) {
    const subject = target.subject;
    if (subject.model === 'direct') {
      return noAnnotationOutcome(subject, 'it impersonates no GSA');
    }
    const gsa = subject.gsaEmail;
    if (gsa === undefined) {
      return { status: 'skip', cause: 'the annotation value is no service-account email (see ksa-annotation)' };
    }
    // No pool yet: cluster-workload-pool's fix enables `PROJECT.svc.id.goog`; the binding is judged against that
    // pool, so that the first screen and the plan include it when it is missing (else a third round finds it).
    if (subject.principal.pool === undefined) {
      const cluster = need(facts.cluster);
      if (
        cluster.workloadIdentityConfig?.workloadPool !== undefined &&
        cluster.workloadIdentityConfig.workloadPool !== ''
      ) {
        return noPoolOutcome(facts);
      }
      const pool = poolOf(subject.cluster.project);
      const poolNote = `the cluster has no workload pool yet: judged against \`${pool}\`, the pool cluster-workload-pool's fix enables`;
      const outcome = judge(facts, { ...subject, principal: { ...subject.principal, pool } }, gsa, roles);
      return { ...outcome, evidence: { ...outcome.evidence, notes: [...(outcome.evidence?.notes ?? []), poolNote] } };
    }
    return judge(facts, subject, gsa, roles);
  },
});

/** Grant the KSA's legacy member `roles/iam.workloadIdentityUser` on the GSA. */
function bindFix(subject: Subject, gsa: string): FixPlan {
  const member = ksaMembers(subject.principal).legacy;
  return {
    action: 'add-iam-binding',
    target: serviceAccountResource(gsa),
    params: { role: WORKLOAD_IDENTITY_USER, member },
    description: `Let KSA \`${subject.namespace}/${subject.ksaName}\` impersonate \`${gsa}\`: grant \`${WORKLOAD_IDENTITY_USER}\` to \`${member}\` on the GSA.`,
  };
}

function judge(facts: Facts, subject: Subject, gsa: string, roles: RoleResolver): CheckOutcome {
  // Only to leave a missing account to gsa-exists: a binding found in its readable policy stands whether or
  // not the account itself could be described (a readable policy means it exists).
  if (informational(facts.serviceAccount(gsa)).status === 'absent') {
    return { status: 'skip', cause: `the account \`${gsa}\` does not exist (see gsa-exists)` };
  }
  const chain = serviceAccountPolicyChain(facts, gsa);
  const evaluation = evaluatePermission({
    permission: GET_ACCESS_TOKEN,
    principal: { type: 'ksa', ksa: subject.principal },
    policies: chain,
    roles,
  });
  // The fix is made only where the binding is missing (most subjects pass).
  switch (evaluation.outcome) {
    case 'granted':
      return granted(subject, gsa, evaluation);
    case 'conditional':
      return conditional(subject, gsa, evaluation, bindFix(subject, gsa));
    case 'not-granted':
      return notGranted(facts, subject, gsa, chain, evaluation, roles, bindFix(subject, gsa));
    case 'unknown':
      return unknownOutcome(facts, subject, gsa, chain, evaluation, roles, bindFix(subject, gsa));
  }
}
