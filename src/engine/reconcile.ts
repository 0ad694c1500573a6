// `--e2e` against the static checks. The live token chain (TokenRequest → STS → generateAccessToken) that worked
// is stronger evidence than what the policies that were read do not show: a static `unknown` about a link the
// chain went through is settled by it, and a static `fail` of such a link is not the root cause of a token that
// was just minted (it is a disagreement, shown as a warning). Links the chain does not go through (node pools,
// the metadata server, network policies, the permissions a workload needs) keep their own verdicts.

import type { CheckResult } from '../model/results.js';
import type { Subject } from './subject.js';

export const E2E_CHECK = 'end-to-end-token';

/**
 * Checks whose question a working chain answers, by identity model. Under impersonation, generateAccessToken
 * for the GSA succeeded: the KSA exists, the pool federates it, the IAM Credentials API is on, the GSA exists and
 * is enabled, and some policy lets the KSA mint its tokens. Under direct binding the STS exchange succeeded: the
 * KSA exists and its own principal is a working Google identity (what ksa-annotation could not prove when no
 * grant to it was in the policies read).
 */
const SETTLED: Record<Subject['model'], { check: string; settlesFail: boolean }[]> = {
  impersonation: [
    { check: 'cluster-workload-pool', settlesFail: true },
    { check: 'ksa-exists', settlesFail: true },
    { check: 'iamcredentials-api-enabled', settlesFail: true },
    { check: 'gsa-exists', settlesFail: true },
    { check: 'gsa-enabled', settlesFail: true },
    { check: 'wi-binding', settlesFail: true },
  ],
  direct: [
    { check: 'cluster-workload-pool', settlesFail: true },
    { check: 'ksa-exists', settlesFail: true },
    // A typo'd key or a GSA waiting for an annotation is no question of whether a token comes: only the unknown.
    { check: 'ksa-annotation', settlesFail: false },
  ],
};

/**
 * The chain ran to its end: end-to-end-token passes (static agrees, or could not decide) or warns (static said
 * it should not work). It has no other way to pass or warn.
 */
export function chainWorked(results: readonly CheckResult[], subject: string): CheckResult | undefined {
  return results.find(
    (r) => r.check === E2E_CHECK && r.subject === subject && (r.status === 'pass' || r.status === 'warn'),
  );
}

/**
 * The subject's results, with those a working live chain settles or contradicts reconciled: `unknown` → `pass`
 * (settled live), `fail` → `warn` (static and live disagree). Results of other checks, and every result when the
 * chain did not run or did not work, are returned as they are (the same objects).
 */
export function reconcileWithLiveChain(subject: Subject, results: readonly CheckResult[]): CheckResult[] {
  const chain = chainWorked(results, subject.id);
  if (chain === undefined) return [...results];
  const settled = new Map(SETTLED[subject.model].map((s) => [s.check, s]));
  return results.map((r) => {
    const rule = settled.get(r.check);
    if (rule === undefined) return r;
    if (r.status === 'unknown') {
      const { missing, ...rest } = r;
      return {
        ...rest,
        status: 'pass',
        cause: `settled by the live token chain (see ${E2E_CHECK}): ${chain.cause ?? 'it works'}`,
        evidence: {
          ...r.evidence,
          notes: [
            ...(r.evidence?.notes ?? []),
            `static analysis alone could not decide: ${r.cause ?? r.title}`,
            ...(missing ?? []).map((m) => `what static analysis lacked: ${m}`),
          ],
        },
      };
    }
    if (r.status === 'fail' && rule.settlesFail) {
      return {
        ...r,
        status: 'warn',
        cause:
          `STATIC AND LIVE DISAGREE: the live token chain works (see ${E2E_CHECK}), so this does not block the ` +
          `token now; static analysis says: ${r.cause ?? r.title}`,
      };
    }
    return r;
  });
}
