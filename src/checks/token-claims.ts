// A KSA token's claims, when the user supplied one (`token/*.jwt` in the bundle): times against facts.now
// with a clock skew tolerance, the KSA it names, its audience (the workload pool) and its issuer (the
// cluster). Without a token it is not requested: skip, and say how to add one.

import type { TokenFile } from '../model/facts.js';
import { clusterUrl } from '../model/facts.js';
import type { Evidence, FixPlan, Status } from '../model/results.js';
import type { Subject } from '../engine/subject.js';
import type { CheckOutcome } from './define.js';
import { defineCheck } from './define.js';
import { ksaResource } from './lib/gsa.js';
import type { ClaimsEvaluation } from '../token/claims.js';
import { audiencesOf, evaluateClaims, isApiServerAudience, tokenIdentity } from '../token/claims.js';
import { claimFixes } from '../token/fixes.js';

const NO_TOKEN = "not requested: add a token file to the bundle's token/ folder or run wi-doctor token decode";

const RANK: Record<Status, number> = { skip: 0, pass: 1, unknown: 2, warn: 3, fail: 4 };

function namesKsa(token: TokenFile, subject: Subject): boolean {
  const id = token.claims ? tokenIdentity(token.claims) : undefined;
  return id?.namespace === subject.namespace && id.name === subject.ksaName;
}

/** Tokens about this subject: those naming its KSA; when none does and the user named the subject, all of them. */
function tokensFor(tokens: readonly TokenFile[], subject: Subject): TokenFile[] {
  const own = tokens.filter((t) => namesKsa(t, subject));
  if (own.length > 0 || !subject.named) return own;
  return [...tokens];
}

interface TokenOutcome {
  source: string;
  status: Status;
  cause: string;
  evidence: Evidence;
  fix: FixPlan[];
}

function evaluateOne(token: TokenFile, subject: Subject, now: Date, issuer: string): TokenOutcome {
  if (!token.claims) {
    return {
      source: token.source,
      status: 'fail',
      cause: `\`${token.source}\` is not a JWT: ${token.error ?? 'no claims'}`,
      evidence: { expected: 'a JWT (header.claims.signature, base64url)', actual: token.error ?? 'no claims' },
      fix: [],
    };
  }
  const pool = subject.principal.pool;
  const notes: string[] = [];
  let audience: string | undefined = pool;
  if (isApiServerAudience(token.claims) && (pool === undefined || !audiencesOf(token.claims).includes(pool))) {
    audience = undefined;
    notes.push(
      'audience not compared: the token is for the Kubernetes API server, not for Workload Identity (whose audience is the pool)',
    );
  } else if (pool === undefined) {
    notes.push(
      "audience not compared: the cluster's workload pool is unknown (cluster not read, or Workload Identity off)",
    );
  }
  const evaluation: ClaimsEvaluation = evaluateClaims(token.claims, {
    now,
    namespace: subject.namespace,
    ksa: subject.ksaName,
    audience,
    issuer,
  });
  const evidence: Evidence = {
    ...evaluation.evidence,
    notes: [`token file \`${token.source}\``, ...(evaluation.evidence.notes ?? []), ...notes],
  };
  const fix = claimFixes(evaluation, {
    target: ksaResource(subject.namespace, subject.ksaName),
    audience: pool,
    issuer,
    namespace: subject.namespace,
    ksa: subject.ksaName,
  });
  return {
    source: token.source,
    status: evaluation.status,
    cause: evaluation.status === 'pass' ? evaluation.cause : `\`${token.source}\`: ${evaluation.cause}`,
    evidence,
    fix: evaluation.status === 'pass' ? [] : fix,
  };
}

export default defineCheck({
  id: 'token-claims',
  title: "The KSA token's claims are valid for Workload Identity",
  failureTitle: "The KSA token's claims are wrong or out of date",
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 160,
  requires: ['tokens'],
  run({ facts, target }): CheckOutcome {
    const subject = target.subject;
    if (facts.tokens.length === 0) return { status: 'skip', cause: NO_TOKEN };
    const tokens = tokensFor(facts.tokens, subject);
    if (tokens.length === 0) {
      const others = facts.tokens
        .map((t) => {
          const id = t.claims ? tokenIdentity(t.claims) : undefined;
          return id ? `\`${t.source}\` (\`${id.namespace}/${id.name}\`)` : `\`${t.source}\``;
        })
        .join(', ');
      return {
        status: 'skip',
        cause: `not requested: no token for KSA \`${subject.namespace}/${subject.ksaName}\` in the bundle (tokens: ${others})`,
      };
    }
    // GKE tokens are issued by the cluster itself: its URL is the issuer.
    const issuer = clusterUrl(facts.clusterRef);
    const outcomes = tokens.map((t) => evaluateOne(t, subject, facts.now, issuer));
    const worst = outcomes.reduce((a, b) => (RANK[b.status] > RANK[a.status] ? b : a));
    const others = outcomes.filter((o) => o !== worst);
    const evidence: Evidence = { ...worst.evidence };
    if (others.length > 0) {
      evidence.notes = [...(evidence.notes ?? []), ...others.map((o) => `\`${o.source}\`: ${o.status}: ${o.cause}`)];
    }
    return {
      status: worst.status,
      cause: worst.cause,
      evidence,
      fix: worst.fix,
      location: worst.source,
    };
  },
});
