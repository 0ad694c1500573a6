// Who the subject is to IAM: its GSA under impersonation, the KSA's own principal under direct binding.
// The checks after wi-binding (permissions, cross-project impersonation) ask on its behalf.

import type { Subject } from '../../engine/subject.js';
import { need } from '../../model/facts.js';
import type { Facts } from '../../model/facts.js';
import { ksaMembers } from '../../model/identifiers.js';
import type { Principal } from '../../model/identifiers.js';
import type { CheckOutcome } from '../define.js';

export type SubjectPrincipal =
  | {
      ok: true;
      principal: Principal;
      /** The member string a fix grants to. */
      member: string;
      /** In words, with backticks: "GSA `x@p.iam.gserviceaccount.com`". */
      label: string;
    }
  | { ok: false; outcome: CheckOutcome };

/**
 * The skip that checks of the KSA's principal return when the cluster has no workload pool; throws (→ unknown)
 * when the cluster itself could not be read, since then the pool is not known to be missing.
 */
export function noPoolOutcome(facts: Facts): CheckOutcome {
  need(facts.cluster);
  return { status: 'skip', cause: 'the cluster has no workload pool (see cluster-workload-pool)' };
}

export function subjectPrincipal(facts: Facts, subject: Subject): SubjectPrincipal {
  if (subject.model === 'impersonation') {
    const email = subject.gsaEmail;
    if (email === undefined) {
      return {
        ok: false,
        outcome: {
          status: 'skip',
          cause: 'the annotation value is no service-account email (see ksa-annotation)',
        },
      };
    }
    const account = facts.serviceAccount(email);
    if (account.status === 'absent') {
      return {
        ok: false,
        outcome: { status: 'skip', cause: `the account \`${email}\` does not exist (see gsa-exists)` },
      };
    }
    // The uniqueId tells a grant to this account from one to a deleted account of the same email.
    const uniqueId = account.status === 'present' ? account.value.uniqueId : undefined;
    return {
      ok: true,
      principal: { type: 'serviceAccount', email, ...(uniqueId !== undefined ? { uniqueId } : {}) },
      member: `serviceAccount:${email}`,
      label: `GSA \`${email}\``,
    };
  }
  const ksa = subject.principal;
  if (ksa.pool === undefined) return { ok: false, outcome: noPoolOutcome(facts) };
  const members = ksaMembers(ksa);
  return {
    ok: true,
    principal: { type: 'ksa', ksa },
    member: members.principal ?? members.legacy,
    label: `the principal of KSA \`${ksa.namespace}/${ksa.name}\` (direct binding)`,
  };
}

/**
 * Why a GSA check does not apply to a subject without the exact annotation: the KSA is missing (or unknown),
 * the key is misspelt, or the KSA uses direct binding. `what` ends the direct-binding sentence.
 */
export function noAnnotationOutcome(subject: Subject, what: string): CheckOutcome {
  if (subject.ksa.status === 'absent') {
    return { status: 'skip', cause: `KSA \`${subject.namespace}/${subject.ksaName}\` does not exist (see ksa-exists)` };
  }
  need(subject.ksa);
  const typo = subject.nearMissAnnotations[0];
  if (typo) {
    return {
      status: 'skip',
      cause: `the annotation key \`${typo.key}\` is misspelt, so GKE sees no GSA (see ksa-annotation)`,
    };
  }
  return { status: 'skip', cause: `direct binding: the KSA has no annotation, so ${what}` };
}
