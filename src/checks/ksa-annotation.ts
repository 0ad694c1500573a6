// The KSA's `iam.gke.io/gcp-service-account` annotation decides the model: present means
// impersonation of that GSA, absent means direct binding with the KSA's own principal. A misspelled key is
// ignored by GKE; a malformed value fails every token request with the same 403 as a missing binding (§5.5).

import type { Subject } from '../engine/subject.js';
import { need } from '../model/facts.js';
import type { Facts } from '../model/facts.js';
import type { RoleResolver } from '../model/iam/roles.js';
import { WI_ANNOTATION } from '../model/k8s/types.js';
import { parseServiceAccountEmail, repairedServiceAccountEmail } from '../model/identifiers.js';
import type { FixPlan } from '../model/results.js';
import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { directGrants, judgeAnnotationValue, parseGrantLine } from './lib/annotation.js';
import { policyCollectHint } from './lib/collect-hints.js';
import { principalHasGrants } from './lib/grants.js';
import type { GrantScan } from './lib/grants.js';
import { gsaCandidatesFor, ksaResource, similarAccounts } from './lib/gsa.js';
import { noGrantSeenOutcome } from './lib/direct-binding.js';
import { noPoolOutcome } from './lib/subject-principal.js';
import { withRestarts } from './lib/workloads.js';

const annotate = (subject: Subject, value: string, why: string): FixPlan => ({
  action: 'annotate-service-account',
  target: ksaResource(subject.namespace, subject.ksaName),
  params: { key: WI_ANNOTATION, value },
  description: `Annotate KSA \`${subject.namespace}/${subject.ksaName}\` with \`${WI_ANNOTATION}=${value}\`${why}.`,
});

const removeAnnotation = (subject: Subject, key: string, why: string): FixPlan => ({
  action: 'remove-annotation',
  target: ksaResource(subject.namespace, subject.ksaName),
  params: { key },
  description: `Remove annotation \`${key}\` from KSA \`${subject.namespace}/${subject.ksaName}\`${why}.`,
});

/** Existing accounts a few typos from a malformed value, the one its domain's typo meant first. */
const projectOfEmail = (email: string): string | undefined => parseServiceAccountEmail(email).projectId;

function existingSimilar(facts: Facts, value: string, clusterProject: string): string[] {
  const repaired = repairedServiceAccountEmail(value);
  const project = repaired !== undefined ? projectOfEmail(repaired) : undefined;
  const found = new Set([
    ...(repaired !== undefined ? [repaired] : []),
    ...similarAccounts(facts, value, project ?? clusterProject),
  ]);
  return [...found].filter((email) => facts.serviceAccount(email).status === 'present');
}

function unreadableNotes(scan: GrantScan | undefined): string[] {
  return (scan?.unreadable ?? []).map((u) => `policy not readable, grants to the KSA's principal may hide there: ${u}`);
}

/** A key that was meant to be the annotation, and no exact annotation. */
function nearMissKey(subject: Subject, scan: GrantScan | undefined): CheckOutcome {
  const [best, ...others] = subject.nearMissAnnotations;
  if (best === undefined) throw new Error('nearMissKey needs a near-miss annotation');
  const value = judgeAnnotationValue(best.value);
  const ksa = `\`${subject.namespace}/${subject.ksaName}\``;
  const fix: FixPlan[] = [];
  if (value.ok) fix.push(annotate(subject, value.email, ' (the key GKE reads)'));
  else {
    fix.push({
      action: 'manual',
      target: ksaResource(subject.namespace, subject.ksaName),
      params: {},
      description:
        `Annotate KSA ${ksa} with \`${WI_ANNOTATION}\` set to the email of the GSA it should use ` +
        `(the misspelled key's value \`${best.value}\` is no service-account email: ${value.reason}).`,
    });
  }
  for (const miss of subject.nearMissAnnotations) fix.push(removeAnnotation(subject, miss.key, ' (GKE ignores it)'));
  const grants = scan === undefined ? [] : directGrants(scan.grants);
  return {
    status: 'fail',
    cause:
      `KSA ${ksa} has annotation key \`${best.key}\`, which GKE ignores: the key meant is \`${WI_ANNOTATION}\`, ` +
      `so its pods run without the GSA \`${best.value}\``,
    evidence: {
      expected: { [WI_ANNOTATION]: best.value },
      actual: { [best.key]: best.value },
      notes: [
        ...others.map((o) => `another near-miss key: \`${o.key}\` = \`${o.value}\` (edit distance ${o.distance})`),
        ...(grants.length > 0
          ? [
              `the KSA's own principal has direct grants, so pods use direct binding now: ${grants.map((g) => g.line).join('; ')}`,
            ]
          : []),
        ...(value.ok ? [] : [`the value is malformed too: ${value.reason}`]),
        ...unreadableNotes(scan),
      ],
    },
    fix,
    location: ksaResource(subject.namespace, subject.ksaName),
  };
}

function annotated(subject: Subject, facts: Facts, roles: RoleResolver, scan: GrantScan | undefined): CheckOutcome {
  const annotation = subject.annotation;
  if (annotation === undefined) throw new Error('annotated needs the annotation');
  const ksa = `\`${subject.namespace}/${subject.ksaName}\``;
  const location = ksaResource(subject.namespace, subject.ksaName);
  const value = judgeAnnotationValue(annotation.value);
  const grants = scan === undefined ? [] : directGrants(scan.grants);
  const strays = subject.nearMissAnnotations;

  if (!value.ok || subject.gsaEmail === undefined) {
    // The parser's reason names the value again (`service-account email `X`: expected …`): say it once.
    const reason = value.ok
      ? 'it is no well-formed service-account email'
      : value.reason.replace(/^service-account email `[^`]*`: /, '');
    const candidates = gsaCandidatesFor(facts, subject.principal, roles);
    const fix: FixPlan[] = [];
    const notes: string[] = [];
    const [candidate] = candidates;
    // A typo in the value (`gserviceacount`): an account a few letters away, in the facts, is what was meant.
    const similar = candidate === undefined ? existingSimilar(facts, annotation.value, subject.cluster.project) : [];
    const [near] = similar;
    if (candidate !== undefined) {
      fix.push(annotate(subject, candidate, `: that GSA's policy already lets this KSA impersonate it`));
      notes.push(`GSAs whose policy lets this KSA mint tokens: ${candidates.map((c) => `\`${c}\``).join(', ')}`);
    } else if (near !== undefined) {
      fix.push(annotate(subject, near, `: the existing GSA whose email is a few letters from the value`));
      notes.push(`existing GSAs with a similar email: ${similar.map((c) => `\`${c}\``).join(', ')}`);
    } else if (grants.length > 0) {
      fix.push(
        removeAnnotation(subject, WI_ANNOTATION, `: its own principal has grants, so direct binding works without it`),
      );
      notes.push(`grants to the KSA's own principal: ${grants.map((g) => g.line).join('; ')}`);
    } else {
      fix.push({
        action: 'manual',
        target: location,
        params: {},
        description:
          `Set \`${WI_ANNOTATION}\` on KSA ${ksa} to the email of the GSA it should use ` +
          `(\`NAME@PROJECT_ID.iam.gserviceaccount.com\`), or remove it and grant roles to the KSA's own principal.`,
      });
    }
    return {
      status: 'fail',
      cause:
        `the annotation \`${WI_ANNOTATION}\` on KSA ${ksa} has value \`${annotation.value}\`, which is no service-account email: ${reason}` +
        (candidate === undefined && near !== undefined ? `; \`${near}\` exists: probably a typo` : ''),
      evidence: {
        expected: 'a service-account email: ACCOUNT@PROJECT_ID.iam.gserviceaccount.com',
        actual: annotation.value,
        notes: [...notes, ...unreadableNotes(scan)],
      },
      fix,
      location,
    };
  }

  const gsa = subject.gsaEmail;
  if (grants.length > 0) {
    return {
      status: 'warn',
      cause:
        `KSA ${ksa} is annotated with GSA \`${gsa}\` although its own principal has grants: its pods impersonate ` +
        `\`${gsa}\` and do not use those grants (unintended impersonation?)`,
      evidence: {
        expected: 'either the annotation (impersonation) or grants to the KSA principal (direct binding), not both',
        actual: { annotation: annotation.value, grantsToOwnPrincipal: grants.map((g) => g.line) },
        notes: unreadableNotes(scan),
      },
      fix: [
        removeAnnotation(
          subject,
          WI_ANNOTATION,
          ` if the workload is meant to use its own principal's grants (direct binding); keep it if it should act as \`${gsa}\``,
        ),
        ...strays.map((s) => removeAnnotation(subject, s.key, ' (GKE ignores it)')),
      ],
      location,
    };
  }
  if (strays.length > 0) {
    return {
      status: 'warn',
      cause:
        `KSA ${ksa} is annotated with GSA \`${gsa}\` and also carries ` +
        `${strays.map((s) => `\`${s.key}\``).join(', ')}, which GKE ignores`,
      evidence: {
        expected: { [WI_ANNOTATION]: gsa },
        actual: Object.fromEntries([[WI_ANNOTATION, annotation.value], ...strays.map((s) => [s.key, s.value])]),
        notes: unreadableNotes(scan),
      },
      fix: strays.map((s) => removeAnnotation(subject, s.key, ' (GKE ignores it; it only confuses readers)')),
      location,
    };
  }
  // Without a pool the KSA's own grants were not looked up: fine when the cluster is known to have none (other
  // checks say so), unknown when the cluster itself could not be read.
  if (scan === undefined) need(facts.cluster);
  if (scan !== undefined && scan.unreadable.length > 0) {
    // Grants to its own principal would make this a warning (unintended impersonation?): with a policy that
    // could hold them unreadable, that is unknown, not a pass.
    return {
      status: 'unknown',
      cause:
        `KSA ${ksa} is annotated with the well-formed GSA email \`${gsa}\`, but whether its own principal also ` +
        `has grants (unintended impersonation) is unknown: ${scan.unreadable.length} polic${scan.unreadable.length === 1 ? 'y' : 'ies'} could not be read`,
      evidence: { actual: annotation.value, notes: unreadableNotes(scan) },
      missing: scan.unreadable.map((u) => policyCollectHint(parseGrantLine(u).resource)),
      location,
    };
  }
  return {
    status: 'pass',
    cause: `KSA ${ksa} is annotated with \`${WI_ANNOTATION}: ${gsa}\` (impersonation of a well-formed GSA email)`,
    evidence: { expected: 'a service-account email', actual: annotation.value, notes: unreadableNotes(scan) },
    location,
  };
}

function direct(
  subject: Subject,
  facts: Facts,
  roles: RoleResolver,
  scan: GrantScan,
  needs: readonly string[],
): CheckOutcome {
  const ksa = `\`${subject.namespace}/${subject.ksaName}\``;
  const location = ksaResource(subject.namespace, subject.ksaName);
  const grants = directGrants(scan.grants);
  if (grants.length > 0) {
    const [first] = grants;
    const more = grants.length > 1 ? ` and ${grants.length - 1} more` : '';
    return {
      status: 'pass',
      cause: `direct binding: KSA ${ksa} has no annotation and its own principal has grants (${first?.line ?? ''}${more})`,
      evidence: { actual: grants.map((g) => g.line), notes: unreadableNotes(scan) },
      location,
    };
  }
  const candidates = gsaCandidatesFor(facts, subject.principal, roles);
  const [candidate] = candidates;
  if (candidate !== undefined) {
    return {
      status: 'fail',
      cause:
        `KSA ${ksa} has no \`${WI_ANNOTATION}\` annotation, yet GSA \`${candidate}\` lets it impersonate it and ` +
        `its own principal has no other grant: the annotation is probably missing`,
      evidence: {
        expected: { [WI_ANNOTATION]: candidate },
        actual: 'no annotation',
        notes: [
          `GSAs whose policy lets this KSA mint tokens: ${candidates.map((c) => `\`${c}\``).join(', ')}`,
          ...unreadableNotes(scan),
        ],
      },
      fix: [annotate(subject, candidate, '')],
      location,
    };
  }
  if (needs.length > 0) {
    return {
      status: 'skip',
      cause:
        `direct binding: KSA ${ksa} has no annotation and no grant to its own principal in the policies read; ` +
        `whether it holds ${needs.map((n) => `\`${n}\``).join(', ')} is gsa-permission's verdict`,
      location,
    };
  }
  const unknown = noGrantSeenOutcome(facts, subject, scan, location);
  // The bundle files and commands that read the policies that failed, then the search over every policy.
  unknown.missing = [
    ...scan.unreadable.map((u) => policyCollectHint(parseGrantLine(u).resource)),
    ...(unknown.missing ?? []),
  ];
  return unknown;
}

export default defineCheck({
  id: 'ksa-annotation',
  title: 'The KSA names its Google identity correctly',
  failureTitle: 'The KSA annotation is misspelled, malformed or missing',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 70,
  requires: [
    'k8s:serviceaccounts',
    'cluster',
    'projectPolicy',
    'serviceAccountPolicy',
    'resourcePolicies',
    'ancestorPolicies',
    'customRoles',
    // The accounts of the cluster's project: a malformed value a few letters from one of them is a typo.
    'projectServiceAccounts',
    // The workloads running as the KSA, restarted after a change of its annotation.
    'k8s:pods',
    'k8s:replicasets',
  ],
  run(input) {
    const outcome = judge(input.facts, input.target.subject, input.roles, input.options.need);
    return outcome.fix === undefined ? outcome : { ...outcome, fix: withRestarts(input.facts, outcome.fix) };
  },
});

function judge(facts: Facts, subject: Subject, roles: RoleResolver, needs: readonly string[]): CheckOutcome {
  if (subject.ksa.status === 'absent') {
    return {
      status: 'skip',
      cause: `KSA \`${subject.namespace}/${subject.ksaName}\` does not exist (see ksa-exists)`,
    };
  }
  need(subject.ksa);
  const scan =
    subject.principal.pool === undefined
      ? undefined
      : principalHasGrants(facts, { type: 'ksa', ksa: subject.principal });
  if (subject.annotation === undefined && subject.nearMissAnnotations.length > 0) return nearMissKey(subject, scan);
  if (subject.annotation !== undefined) return annotated(subject, facts, roles, scan);
  if (scan === undefined) return noPoolOutcome(facts);
  return direct(subject, facts, roles, scan, needs);
}
