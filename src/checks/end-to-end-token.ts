// `--e2e`: the live token chain (TokenRequest → STS → generateAccessToken) that the live collector ran for the
// KSA, judged here from its recorded step outcomes, and reconciled with what the static facts predict. When
// the two disagree the cause says so loudly: that is either IAM's eventual consistency, a condition or deny
// policy wi-doctor cannot see, or a gap in wi-doctor's model — each worth a human look.
//
// The chain tests IAM, not the pod's path to the metadata server: node pools, host networking and network
// policies are other checks' business, so a passing chain with a broken node pool is no disagreement.

import type { Subject } from '../engine/subject.js';
import { need } from '../model/facts.js';
import type { E2eResult, E2eStep, E2eStepName, Facts } from '../model/facts.js';
import type { ServiceState } from '../model/gcp.js';
import { evaluatePermission } from '../model/iam/evaluate.js';
import { serviceAccountPolicyChain } from '../model/iam/policies.js';
import type { RoleResolver } from '../model/iam/roles.js';
import type { FixPlan } from '../model/results.js';
import { informationalReads } from '../engine/consulted.js';
import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { GET_ACCESS_TOKEN, ksaResource, serviceAccountResource } from './lib/gsa.js';
import { noPoolOutcome } from './lib/subject-principal.js';

const IAMCREDENTIALS = 'iamcredentials.googleapis.com';

/** What the static facts say about the chain, and which check says it. */
export interface StaticView {
  verdict: 'works' | 'broken' | 'conditional' | 'unknown';
  /** One phrase with backticked names. */
  because: string;
  /** The check whose result explains it (for `see …`). */
  check?: string;
}

function enabledIn(services: readonly ServiceState[]): boolean {
  return services.some((s) => {
    const name = s.config?.name ?? s.name.split('/').pop() ?? s.name;
    return name === IAMCREDENTIALS && (s.state ?? 'ENABLED') === 'ENABLED';
  });
}

/**
 * The static chain for one subject, recomputed from the facts (checks cannot see each other's results): KSA
 * exists; under impersonation also IAM Credentials enabled in the cluster project, GSA exists and is enabled,
 * and some policy grants getAccessToken on it to the KSA. The first broken link wins; else any unknown wins.
 */
export function staticView(facts: Facts, subject: Subject, roles: RoleResolver): StaticView {
  const ksa = `\`${subject.namespace}/${subject.ksaName}\``;
  const unknowns: StaticView[] = [];
  if (subject.ksa.status === 'absent') {
    return { verdict: 'broken', because: `KSA ${ksa} does not exist`, check: 'ksa-exists' };
  }
  if (subject.ksa.status !== 'present') {
    unknowns.push({ verdict: 'unknown', because: `KSA ${ksa} could not be read (${subject.ksa.message})` });
  }
  const gsa = subject.gsaEmail;
  if (subject.model === 'direct' || gsa === undefined) {
    return (
      unknowns[0] ?? {
        verdict: 'works',
        because: `KSA ${ksa} exists and the cluster's pool \`${subject.principal.pool ?? ''}\` federates it (direct binding)`,
      }
    );
  }

  const project = subject.cluster.project;
  const services = facts.projectServices(project);
  if (services.status === 'present' && !enabledIn(services.value)) {
    return {
      verdict: 'broken',
      because: `${IAMCREDENTIALS} is not enabled in project \`${project}\``,
      check: 'iamcredentials-api-enabled',
    };
  }
  if (services.status !== 'present') {
    unknowns.push({ verdict: 'unknown', because: `the services of project \`${project}\` were not read` });
  }

  const account = facts.serviceAccount(gsa);
  if (account.status === 'absent') {
    return { verdict: 'broken', because: `GSA \`${gsa}\` does not exist`, check: 'gsa-exists' };
  }
  if (account.status === 'present' && account.value.disabled === true) {
    return { verdict: 'broken', because: `GSA \`${gsa}\` is disabled`, check: 'gsa-enabled' };
  }
  if (account.status !== 'present') {
    unknowns.push({ verdict: 'unknown', because: `GSA \`${gsa}\` could not be read (${account.message})` });
  }

  const evaluation = evaluatePermission({
    permission: GET_ACCESS_TOKEN,
    principal: { type: 'ksa', ksa: subject.principal },
    policies: serviceAccountPolicyChain(facts, gsa),
    roles,
  });
  switch (evaluation.outcome) {
    case 'not-granted':
      return {
        verdict: 'broken',
        because: `no policy grants \`${GET_ACCESS_TOKEN}\` on GSA \`${gsa}\` to KSA ${ksa}`,
        check: 'wi-binding',
      };
    case 'unknown':
      unknowns.push({
        verdict: 'unknown',
        because: `whether KSA ${ksa} may mint tokens for GSA \`${gsa}\` is unknown (a policy or role could not be read)`,
      });
      break;
    case 'conditional':
      if (unknowns.length === 0) {
        const condition = evaluation.conditionalGrants[0]?.condition?.expression;
        return {
          verdict: 'conditional',
          because: `KSA ${ksa} may mint tokens for GSA \`${gsa}\` only under a condition${condition !== undefined ? ` (\`${condition}\`)` : ''}`,
          check: 'wi-binding',
        };
      }
      break;
    case 'granted':
      break;
  }
  return (
    unknowns[0] ?? {
      verdict: 'works',
      because: `KSA ${ksa} exists, ${IAMCREDENTIALS} is enabled, GSA \`${gsa}\` exists and is enabled, and a policy grants the KSA \`${GET_ACCESS_TOKEN}\` on it`,
    }
  );
}

const STEP_WORDS: Record<E2eStepName, string> = {
  'token-request': 'TokenRequest',
  'sts-exchange': 'STS exchange',
  'generate-access-token': 'generateAccessToken',
};

/** `403 PERMISSION_DENIED: "the API's words"`, exactly as recorded. */
function said(step: E2eStep): string {
  const head = [step.status, step.code].filter((x) => x !== undefined).join(' ');
  const words = step.error !== undefined ? `"${step.error}"` : 'no error text recorded';
  return head === '' ? words : `${head}: ${words}`;
}

/**
 * A failure that says nothing about the workload: a network error or timeout, Google or Kubernetes down or
 * throttling after retries, or wi-doctor's own credentials refused on TokenRequest.
 */
function inconclusive(step: E2eStep): boolean {
  if (step.status === undefined || step.status === 429 || step.status >= 500) return true;
  return step.step === 'token-request' && (step.status === 401 || step.status === 403);
}

function stepsEvidence(result: E2eResult): unknown {
  return result.steps.map((s) => ({
    step: s.step,
    ok: s.ok,
    ...(s.status !== undefined ? { status: s.status } : {}),
    ...(s.code !== undefined ? { code: s.code } : {}),
    ...(s.error !== undefined ? { error: s.error } : {}),
    ms: s.ms,
  }));
}

function rerunFix(subject: Subject, target: string, what: string): FixPlan {
  return {
    action: 'manual',
    target,
    params: {},
    description:
      `${what} Then run \`wi-doctor check --ksa ${subject.namespace}/${subject.ksaName} --e2e\` again; an IAM ` +
      `change takes 2–7 minutes to apply everywhere.`,
  };
}

export default defineCheck({
  id: 'end-to-end-token',
  title: 'The KSA gets a Google token through the live token chain',
  failureTitle: 'The live token chain (TokenRequest → STS → generateAccessToken) fails',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 200,
  requires: [
    'cluster',
    'project',
    'projectServices',
    'serviceAccount',
    'projectServiceAccounts',
    'serviceAccountPolicy',
    'projectPolicy',
    'ancestorPolicies',
    'customRoles',
    'k8s:serviceaccounts',
  ],
  run({ facts, target, roles, options }): CheckOutcome {
    if (!options.e2e) return { status: 'skip', cause: 'not requested: add --e2e (live only)' };
    const subject = target.subject;
    if (subject.model === 'impersonation' && subject.gsaEmail === undefined) {
      return { status: 'skip', cause: 'the annotation value is no service-account email (see ksa-annotation)' };
    }
    const pool = subject.principal.pool;
    if (pool === undefined) return noPoolOutcome(facts);
    const ksa = `\`${subject.namespace}/${subject.ksaName}\``;
    const gsa = subject.model === 'impersonation' ? subject.gsaEmail : undefined;
    const location = gsa !== undefined ? serviceAccountResource(gsa) : ksaResource(subject.namespace, subject.ksaName);
    const result = need(facts.e2e(`${subject.namespace}/${subject.ksaName}`));
    // The verdict rests on the recorded chain: the static view only turns a pass into a disagreement (warn) or
    // a failure into one (fail), and a fact it could not read makes it `unknown`, never `works`.
    const view = informationalReads(() => staticView(facts, subject, roles));
    const see = view.check !== undefined ? ` (see ${view.check})` : '';
    const wanted: E2eStepName[] =
      gsa !== undefined
        ? ['token-request', 'sts-exchange', 'generate-access-token']
        : ['token-request', 'sts-exchange'];
    const evidence = (notes: string[]) => ({
      expected: wanted.map((step) => ({ step, ok: true })),
      actual: stepsEvidence(result),
      notes: [`static analysis: ${view.verdict}: ${view.because}`, `chain run at ${result.at}`, ...notes],
    });

    const failed = result.steps.find((s) => !s.ok);
    if (failed === undefined) {
      const done = result.steps.map((s) => s.step);
      const missingStep = wanted.find((s) => !done.includes(s));
      if (missingStep !== undefined) {
        return {
          status: 'unknown',
          cause: `the recorded token chain of KSA ${ksa} stops before \`${missingStep}\` without a failure`,
          evidence: evidence([]),
          missing: ['run with --e2e (live only)'],
          location,
        };
      }
      const nearMiss = subject.nearMissAnnotations[0];
      const chain =
        gsa !== undefined
          ? `TokenRequest (audience \`${pool}\`), STS exchange and generateAccessToken for GSA \`${gsa}\` all succeeded`
          : `TokenRequest (audience \`${pool}\`) and STS exchange succeeded; the federated token is the credential (direct binding)` +
            (nearMiss !== undefined
              ? `, not GSA \`${nearMiss.value}\`: annotation key \`${nearMiss.key}\` is not the one GKE reads (see ksa-annotation)`
              : '');
      if (view.verdict === 'broken') {
        return {
          status: 'warn',
          cause:
            `STATIC AND LIVE DISAGREE: the live token chain of KSA ${ksa} works (${chain}), but static analysis says ` +
            `it should not: ${view.because}${see} — an IAM change not yet applied everywhere (a removed grant keeps ` +
            `working for 2–7 min), a grant wi-doctor cannot see, or a gap in wi-doctor's model`,
          evidence: evidence([]),
          fix: [
            rerunFix(
              subject,
              location,
              `Compare the static finding with what was changed recently (a removed binding, a disabled account).`,
            ),
          ],
          location,
        };
      }
      return {
        status: 'pass',
        cause: `the live token chain of KSA ${ksa} works: ${chain}`,
        evidence: {
          actual: stepsEvidence(result),
          notes: view.verdict === 'works' ? [] : [`static analysis: ${view.verdict}: ${view.because}`],
        },
        location,
      };
    }

    const at = `\`${failed.step}\` (${STEP_WORDS[failed.step]}, ${said(failed)})`;
    if (inconclusive(failed)) {
      const own =
        failed.step === 'token-request' && failed.status !== undefined
          ? [`RBAC for wi-doctor: create serviceaccounts/token in namespace ${subject.namespace}`]
          : ['a successful run of the live token chain (retry later)'];
      return {
        status: 'unknown',
        cause: `the live token chain of KSA ${ksa} could not be run to a verdict: it stopped at ${at}`,
        evidence: evidence([]),
        missing: own,
        location,
      };
    }
    if (view.verdict === 'works') {
      return {
        status: 'fail',
        cause:
          `STATIC AND LIVE DISAGREE: static analysis says this should work, but the live token chain of KSA ${ksa} ` +
          `failed at ${at} — IAM propagation (2–7 min after a change), an IAM condition, a deny policy, or a gap in ` +
          `wi-doctor's model`,
        evidence: evidence([]),
        fix: [
          rerunFix(
            subject,
            location,
            'If IAM changed in the last minutes, wait. Otherwise look for an IAM deny policy on the GSA or its ' +
              'project (`gcloud iam policies list --attachment-point=…`) and for conditions, and report a gap in ' +
              "wi-doctor's model if none explains it.",
          ),
        ],
        location,
      };
    }
    const agreement =
      view.verdict === 'broken'
        ? `as static analysis predicts: ${view.because}${see}`
        : view.verdict === 'conditional'
          ? `${view.because}, and the condition did not hold${see}`
          : `static analysis could not decide: ${view.because}`;
    return {
      status: 'fail',
      cause: `the live token chain of KSA ${ksa} failed at ${at}; ${agreement}`,
      evidence: evidence([]),
      fix: [
        rerunFix(
          subject,
          location,
          view.check !== undefined ? `Apply the fix of \`${view.check}\`.` : 'Fix what the failed step names.',
        ),
      ],
      location,
    };
  },
});
