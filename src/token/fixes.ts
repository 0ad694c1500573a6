// What to do about a token-claims finding, as fix plans (src/fix/actions.ts). Tokens are minted by the
// kubelet or a TokenRequest, so the fixes are `manual` steps that name the exact values.

import type { FixPlan } from '../model/results.js';
import type { ClaimsEvaluation } from './claims.js';

export interface FixContext {
  /** The fix target: `namespaces/NS/serviceaccounts/NAME` (or the token file when no KSA is known). */
  target: string;
  audience?: string;
  issuer?: string;
  namespace?: string;
  ksa?: string;
}

export function claimFixes(evaluation: ClaimsEvaluation, ctx: FixContext): FixPlan[] {
  const rules = new Set(evaluation.findings.filter((f) => f.status !== 'pass').map((f) => f.rule));
  const plans: FixPlan[] = [];
  const manual = (description: string): void => {
    plans.push({ action: 'manual', target: ctx.target, params: {}, description });
  };
  if (rules.has('exp')) {
    manual(
      'Use a fresh token: the kubelet refreshes projected tokens at 80 % of their lifetime (or 24 h), so an app must ' +
        're-read the token file on every use rather than keep the one it read at start.',
    );
  }
  if (rules.has('iat') || rules.has('nbf')) {
    manual(
      'Fix the clock (NTP) of the machine that minted or checked the token; `--skew SECONDS` widens the tolerance.',
    );
  }
  if (rules.has('lifetime')) {
    manual(
      'Request a shorter token: `expirationSeconds` under 172800 (48 h); STS refuses longer-lived subject tokens.',
    );
  }
  if (rules.has('aud')) {
    const aud = ctx.audience ? `\`${ctx.audience}\`` : 'the workload pool (`PROJECT_ID.svc.id.goog`)';
    manual(
      `Mint the token for audience ${aud}: \`serviceAccountToken.audience\` of the projected volume, or ` +
        `\`kubectl create token KSA --audience ${ctx.audience ?? 'PROJECT_ID.svc.id.goog'}\`.`,
    );
  }
  if (rules.has('iss')) {
    manual(
      `Use a token minted by the cluster being diagnosed (issuer ${ctx.issuer ? `\`${ctx.issuer}\`` : 'of that cluster'}).`,
    );
  }
  if (rules.has('namespace') || rules.has('ksa') || rules.has('sub') || rules.has('kubernetes.io')) {
    const who = ctx.namespace && ctx.ksa ? `KSA \`${ctx.namespace}/${ctx.ksa}\`` : 'the expected KSA';
    manual(`Use a token of ${who}: the pod's \`serviceAccountName\` decides which KSA its projected token is for.`);
  }
  return plans;
}
