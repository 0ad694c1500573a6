// The annotation's value and the KSA principal's grants, as ksa-annotation judges them.

import { parseServiceAccountEmail } from '../../model/identifiers.js';
import type { GrantLine } from './grants.js';

export type EmailVerdict = { ok: true; email: string } | { ok: false; reason: string };

/**
 * Is the annotation value a service-account email GKE can impersonate? The pool pseudo-email
 * (`PROJECT_ID.svc.id.goog`, what the metadata server reports under direct binding) is rejected with its reason.
 */
export function judgeAnnotationValue(value: string): EmailVerdict {
  try {
    const parsed = parseServiceAccountEmail(value);
    if (parsed.kind === 'workload-pool') return poolPseudoEmail(value);
    return { ok: true, email: parsed.email };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

function poolPseudoEmail(value: string): EmailVerdict {
  return {
    ok: false,
    reason:
      `\`${value}\` is the workload pool, which the metadata server reports as the email under direct binding; ` +
      `it is no service account that can be impersonated`,
  };
}

/** Roles on a service account that exist to let a principal act as that account (not a direct-binding grant). */
const IMPERSONATION_ROLES = new Set([
  'roles/iam.workloadIdentityUser',
  'roles/iam.serviceAccountTokenCreator',
  'roles/iam.serviceAccountUser',
]);

export type { GrantLine };

/** Split `RESOURCE: ROLE to MEMBER` lines of principalHasGrants (and its `RESOURCE: MESSAGE` unreadable lines). */
export function parseGrantLine(line: string): GrantLine {
  const colon = line.indexOf(': ');
  const resource = colon < 0 ? line : line.slice(0, colon);
  const rest = colon < 0 ? '' : line.slice(colon + 2);
  const role = rest.split(' ')[0] ?? '';
  return { resource, role, line };
}

/**
 * Grants that give the KSA's own principal access (direct binding), leaving out the Workload Identity bindings
 * on service accounts and impersonation roles anywhere: those let it impersonate, they are not direct access.
 */
export function directGrants(grants: readonly GrantLine[]): GrantLine[] {
  return grants.filter(
    (g) => !g.resource.startsWith('projects/-/serviceAccounts/') && !IMPERSONATION_ROLES.has(g.role),
  );
}
