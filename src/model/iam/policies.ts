// The chains of policies a permission is evaluated over, most specific first: the resource's own policy,
// then its project's, then the folder and organization policies that were collected.

import type { AncestorPolicy, Facts } from '../facts.js';
import { notCollected } from '../facts.js';
import { IdentifierError, parseServiceAccountEmail } from '../identifiers.js';
import type { PolicyAt } from './evaluate.js';

function ancestors(list: readonly AncestorPolicy[]): PolicyAt[] {
  return list.map(({ resource, policy }) => ({
    resource,
    level: resource.startsWith('organizations/') ? 'organization' : 'folder',
    policy,
  }));
}

export function projectPolicyChain(
  facts: Pick<Facts, 'projectPolicy' | 'ancestorPolicies'>,
  projectId: string,
): PolicyAt[] {
  return [
    { resource: `projects/${projectId}`, level: 'project', policy: facts.projectPolicy(projectId) },
    ...ancestors(facts.ancestorPolicies),
  ];
}

export function resourcePolicyChain(
  facts: Pick<Facts, 'resourcePolicy' | 'projectPolicy' | 'ancestorPolicies'>,
  resource: string,
  projectId?: string,
): PolicyAt[] {
  const own: PolicyAt = { resource, level: 'resource', policy: facts.resourcePolicy(resource) };
  if (projectId === undefined) return [own, ...ancestors(facts.ancestorPolicies)];
  return [own, ...projectPolicyChain(facts, projectId)];
}

type ServiceAccountFacts = Pick<
  Facts,
  'serviceAccountPolicy' | 'serviceAccount' | 'projectPolicy' | 'ancestorPolicies' | 'project' | 'knownProjects'
>;

/** The project id of a service account: from its email, its describe output, or its project number. */
export function projectOfServiceAccount(
  facts: Pick<Facts, 'serviceAccount' | 'project' | 'knownProjects'>,
  email: string,
): string | undefined {
  let projectNumber: string | undefined;
  try {
    const parsed = parseServiceAccountEmail(email);
    if (parsed.projectId !== undefined && parsed.kind !== 'workload-pool') return parsed.projectId;
    projectNumber = parsed.projectNumber;
  } catch (e) {
    if (!(e instanceof IdentifierError)) throw e;
  }
  const account = facts.serviceAccount(email);
  if (account.status === 'present' && account.value.projectId !== undefined) return account.value.projectId;
  if (projectNumber === undefined) return undefined;
  return facts.knownProjects.find((id) => {
    const project = facts.project(id);
    return project.status === 'present' && project.value.projectNumber === projectNumber;
  });
}

/**
 * The GSA's own policy, its project's, then ancestors. When the project cannot be told, a not-collected
 * project entry stands in for it, so that an evaluation over the chain says unknown rather than not-granted.
 */
export function serviceAccountPolicyChain(facts: ServiceAccountFacts, email: string): PolicyAt[] {
  const own: PolicyAt = {
    resource: `projects/-/serviceAccounts/${email}`,
    level: 'service-account',
    policy: facts.serviceAccountPolicy(email),
  };
  const projectId = projectOfServiceAccount(facts, email);
  if (projectId !== undefined) return [own, ...projectPolicyChain(facts, projectId)];
  return [
    own,
    {
      resource: `projects/(project of ${email})`,
      level: 'project',
      policy: notCollected(`serviceAccount ${email}`, `the project of \`${email}\` is unknown`),
    },
    ...ancestors(facts.ancestorPolicies),
  ];
}
