// The annotated GSA must exist: a missing account fails token requests with the same 403 as a missing
// binding. A `deleted:serviceAccount:EMAIL?uid=N` member left in any policy tells a
// deletion (or a delete-and-recreate, §5.8) apart from a typo.

import { noAnnotationOutcome } from './lib/subject-principal.js';
import type { Subject } from '../engine/subject.js';
import { need } from '../model/facts.js';
import type { Facts } from '../model/facts.js';
import { ksaMembers, parseServiceAccountEmail } from '../model/identifiers.js';
import { WI_ANNOTATION } from '../model/k8s/types.js';
import type { FixPlan } from '../model/results.js';
import { projectOfServiceAccount } from '../model/iam/policies.js';
import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { serviceAccountListHint } from './lib/collect-hints.js';
import {
  WORKLOAD_IDENTITY_USER,
  accountIdOf,
  collectedPolicies,
  deletedMembersOf,
  isPermissionDenied,
  ksaResource,
  serviceAccountResource,
  similarAccounts,
  uidsOf,
} from './lib/gsa.js';
import type { DeletedMemberRef } from './lib/gsa.js';
import { withRestarts } from './lib/workloads.js';
import { parsedLogs } from './lib/logs.js';

/** Only user-managed accounts are created by hand; Google creates the default accounts and service agents. */
function isUserManaged(email: string): boolean {
  try {
    return parseServiceAccountEmail(email).kind === 'user-managed';
  } catch {
    return false;
  }
}

const describeDeleted = (d: DeletedMemberRef): string => `\`${d.member}\` holds \`${d.role}\` on \`${d.resource}\``;

function rebind(subject: Subject, email: string): FixPlan | undefined {
  if (subject.principal.pool === undefined) return undefined;
  const member = ksaMembers(subject.principal).legacy;
  return {
    action: 'add-iam-binding',
    target: serviceAccountResource(email),
    params: { role: WORKLOAD_IDENTITY_USER, member },
    description: `Let KSA \`${subject.namespace}/${subject.ksaName}\` impersonate the new \`${email}\` (bindings of a deleted account never carry over).`,
  };
}

/** The last successful DeleteServiceAccount of this email in the Admin Activity entries read, if any. */
function deletionOf(facts: Facts, email: string): { at: string; uniqueId?: string } | undefined {
  const wanted = email.toLowerCase();
  return (parsedLogs(facts)?.changes ?? []).find(
    (c) => c.kind === 'account-deleted' && c.ok && c.email?.toLowerCase() === wanted,
  );
}

/** Grants the deleted account held (its `deleted:` members), given to the recreated account: a new one starts with none. */
function regrants(email: string, deleted: readonly DeletedMemberRef[]): FixPlan[] {
  return deleted.map((d) => ({
    action: 'add-iam-binding' as const,
    target: d.resource,
    params: {
      role: d.role,
      member: `serviceAccount:${email}`,
      ...(d.condition?.expression !== undefined ? { conditionExpression: d.condition.expression } : {}),
      ...(d.condition?.title !== undefined ? { conditionTitle: d.condition.title } : {}),
    },
    description: `Grant the recreated \`${email}\` \`${d.role}\` on \`${d.resource}\` again, as the deleted account held it.`,
  }));
}

/** What was read to find the account absent, said as what it is (never a bundle file name). */
function absenceText(email: string, project: string | undefined, message: string): string {
  if (project !== undefined && /service-accounts\.json/.test(message)) {
    return `\`${email}\` is not in the service-account list of project ${project}`;
  }
  return /\.json\b/.test(message) ? `IAM answered that \`${email}\` does not exist` : message;
}

const UNDELETE_DAYS = 30;

function absentOutcome(facts: Facts, subject: Subject, email: string, message: string): CheckOutcome {
  const project = projectOfServiceAccount(facts, email);
  const deleted = deletedMembersOf(collectedPolicies(facts), email);
  const deletion = deletionOf(facts, email);
  const uids = [...new Set([...uidsOf(deleted), ...(deletion?.uniqueId !== undefined ? [deletion.uniqueId] : [])])];
  const [uid] = uids;
  const location = serviceAccountResource(email);
  const actual = absenceText(email, project, message);
  // Undelete works for 30 days after the deletion; past that, only a new account (with new grants) helps.
  const deletedDaysAgo =
    deletion === undefined ? undefined : (facts.now.getTime() - Date.parse(deletion.at)) / 86_400_000;
  const undeletable = uid !== undefined && (deletedDaysAgo === undefined || deletedDaysAgo <= UNDELETE_DAYS);
  const createPlans = (): FixPlan[] => {
    if (project === undefined || !isUserManaged(email)) {
      return [
        {
          action: 'manual',
          target: location,
          params: {},
          description: `Recreate \`${email}\`: a Google-managed default account is restored by re-enabling its service, not created by hand.`,
        },
      ];
    }
    const plans: FixPlan[] = [
      {
        action: 'create-service-account',
        target: `projects/${project}/serviceAccounts/${email}`,
        params: { accountId: accountIdOf(email), project },
        description: `Create \`${email}\` in project \`${project}\`.`,
      },
    ];
    const bind = rebind(subject, email);
    if (bind !== undefined) plans.push(bind);
    plans.push(...regrants(email, deleted));
    return plans;
  };

  if (uid !== undefined && !undeletable) {
    return {
      status: 'fail',
      cause: `GSA \`${email}\` does not exist: it was deleted ${deletion?.at ?? ''}, more than ${UNDELETE_DAYS} days ago, so it can no longer be undeleted`,
      evidence: {
        expected: `service account \`${email}\` exists`,
        actual,
        notes: [
          ...deleted.map(describeDeleted),
          `create it again and grant \`${WORKLOAD_IDENTITY_USER}\` and its other roles anew (a new account gets a new uniqueId)`,
        ],
      },
      fix: createPlans(),
      location,
    };
  }
  if (uid !== undefined) {
    const where =
      deleted[0] !== undefined
        ? `\`deleted:serviceAccount:${email}?uid=${uid}\` remains in \`${deleted[0].resource}\``
        : `the Admin Activity log records its deletion at ${deletion?.at ?? '?'} (uniqueId ${uid})`;
    const more = uids.length > 1 ? ` (uids seen: ${uids.map((u) => `\`${u}\``).join(', ')})` : '';
    return {
      status: 'fail',
      cause: `GSA \`${email}\` does not exist: it was deleted — ${where}${more}`,
      evidence: {
        expected: `service account \`${email}\` exists`,
        actual,
        notes: [
          ...deleted.map(describeDeleted),
          `an account can be undeleted within 30 days of its deletion; after that, create it again and grant ` +
            `\`${WORKLOAD_IDENTITY_USER}\` and its other roles anew (a new account gets a new uniqueId)`,
        ],
      },
      fix: [
        {
          action: 'undelete-service-account',
          target: location,
          params: { uniqueId: uid },
          description: `Undelete \`${email}\` (uniqueId ${uid}); possible within 30 days of the deletion, and it keeps the account's identity so its bindings apply again.`,
        },
      ],
      location,
    };
  }

  const similar = similarAccounts(facts, email, project);
  const [closest] = similar;
  if (closest !== undefined) {
    return {
      status: 'fail',
      cause: `GSA \`${email}\` does not exist, but \`${closest}\` does: the annotation is probably misspelled`,
      evidence: {
        expected: `service account \`${email}\` exists`,
        actual,
        notes: [`similar accounts: ${similar.map((s) => `\`${s}\``).join(', ')}`],
      },
      fix: withRestarts(facts, [
        {
          action: 'annotate-service-account',
          target: ksaResource(subject.namespace, subject.ksaName),
          params: { key: WI_ANNOTATION, value: closest },
          description: `Point KSA \`${subject.namespace}/${subject.ksaName}\` at the existing \`${closest}\`.`,
        },
      ]),
      location,
    };
  }
  return {
    status: 'fail',
    cause: `GSA \`${email}\` does not exist${project !== undefined ? ` in project \`${project}\`` : ''}`,
    evidence: {
      expected: `service account \`${email}\` exists`,
      actual,
      notes: [
        `the annotation on KSA \`${subject.namespace}/${subject.ksaName}\` may be misspelled: check its value before creating the account`,
      ],
    },
    fix: createPlans(),
    location,
  };
}

/**
 * Describe answered 403 and the project's list could not prove absence. What was read still speaks: a
 * `deleted:serviceAccount:EMAIL?uid=N` member says the account was deleted, an account a few typos away says the
 * annotation is misspelled. Either is the most likely cause; the project's account list settles it.
 */
function unreadableOutcome(facts: Facts, email: string, message: string, location: string): CheckOutcome {
  const project = projectOfServiceAccount(facts, email);
  const deleted = deletedMembersOf(collectedPolicies(facts), email);
  const [gone] = deleted;
  const [closest] = similarAccounts(facts, email, project);
  const likely =
    gone !== undefined
      ? `it was deleted: \`${gone.member}\` remains in \`${gone.resource}\``
      : closest !== undefined
        ? `the annotation is misspelled: \`${closest}\` exists`
        : undefined;
  const settle =
    project !== undefined
      ? `gcloud iam service-accounts list --project ${project} --format=json`
      : `gcloud iam service-accounts describe ${email} --format=json`;
  return {
    status: 'unknown',
    cause:
      `GSA \`${email}\` is missing or not readable: on \`projects/-/…\` IAM answers 403 for both, so the ` +
      `describe alone cannot tell` +
      (likely !== undefined ? `; most likely cause, in what was read: ${likely}; settle it with \`${settle}\`` : ''),
    evidence: {
      expected: `service account \`${email}\` exists`,
      actual: message,
      notes: [
        ...deleted.map((d) => `hint of a deletion: ${describeDeleted(d)}`),
        ...(closest !== undefined ? [`an account with a similar email exists: \`${closest}\``] : []),
      ],
    },
    missing: [
      ...(likely !== undefined ? [`settle the most likely cause: ${settle}`] : []),
      project !== undefined ? serviceAccountListHint(project) : `gcloud iam service-accounts describe ${email}`,
    ],
    location,
  };
}

export default defineCheck({
  id: 'gsa-exists',
  title: 'The annotated Google service account exists',
  failureTitle: 'The annotated Google service account does not exist',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 80,
  requires: [
    'serviceAccount',
    'projectServiceAccounts',
    'serviceAccountPolicy',
    'projectPolicy',
    'resourcePolicies',
    'ancestorPolicies',
    // The workloads running as the KSA, restarted after its annotation is corrected.
    'k8s:pods',
    'k8s:replicasets',
  ],
  run({ facts, target }) {
    const subject = target.subject;
    if (subject.model === 'direct') {
      return noAnnotationOutcome(subject, 'there is no GSA to look for');
    }
    const email = subject.gsaEmail;
    if (email === undefined) {
      return { status: 'skip', cause: 'the annotation value is no service-account email (see ksa-annotation)' };
    }
    const account = facts.serviceAccount(email);
    const location = serviceAccountResource(email);
    if (account.status === 'absent') return absentOutcome(facts, subject, email, account.message);
    if (account.status === 'error' && isPermissionDenied(account.message)) {
      return unreadableOutcome(facts, email, account.message, location);
    }
    const sa = need(account);
    const deleted = deletedMembersOf(collectedPolicies(facts), email).filter((d) => d.uid !== sa.uniqueId);
    const uid = sa.uniqueId !== undefined ? ` (uniqueId ${sa.uniqueId})` : '';
    return {
      status: 'pass',
      cause: `GSA \`${email}\` exists${uid}`,
      evidence: {
        actual: { email: sa.email, uniqueId: sa.uniqueId },
        notes: deleted.map(
          (d) =>
            `the account was deleted and recreated: ${describeDeleted(d)} — grants made to the old account ` +
            `(uid ${d.uid}) do not apply to this one (see wi-binding, wi-binding-stale)`,
        ),
      },
      location,
    };
  },
});
