// The GKE metadata server mints the pod's GSA token through the IAM Service
// Account Credentials API; with it disabled in the cluster's project every token request fails.

import { informational } from '../engine/consulted.js';
import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import type { Facts } from '../model/facts.js';
import { need } from '../model/facts.js';
import type { ServiceState } from '../model/gcp.js';
import { parseServiceAccountEmail } from '../model/identifiers.js';

const SERVICE = 'iamcredentials.googleapis.com';

function serviceName(entry: ServiceState): string {
  return entry.config?.name ?? entry.name.split('/').pop() ?? entry.name;
}

/** The API's state in one project's list: `gcloud services list --enabled` lists only enabled services. */
function stateIn(services: readonly ServiceState[]): string {
  const entry = services.find((s) => serviceName(s) === SERVICE);
  if (entry === undefined) return 'not enabled (absent from the enabled services)';
  return entry.state ?? 'ENABLED';
}

/** Projects of the GSAs the facts know about, other than the cluster's: shown for information. */
function gsaProjectNotes(facts: Facts, clusterProject: string): string[] {
  const projects = new Set<string>();
  for (const email of facts.knownServiceAccounts) {
    try {
      const projectId = parseServiceAccountEmail(email).projectId;
      if (projectId !== undefined && projectId !== clusterProject) projects.add(projectId);
    } catch {
      // A malformed email is ksa-annotation's finding, not this check's.
    }
  }
  const notes: string[] = [];
  for (const project of [...projects].sort()) {
    // For information only (the cluster project's state decides): an unreadable list here cannot stop a pass.
    const fact = informational(facts.projectServices(project));
    if (fact.status !== 'present') continue;
    notes.push(
      `GSA project \`${project}\`: ${SERVICE} is ${stateIn(fact.value)} (for information: the cluster project's state decides)`,
    );
  }
  return notes;
}

export default defineCheck({
  id: 'iamcredentials-api-enabled',
  title: 'The IAM Service Account Credentials API is enabled in the cluster project',
  failureTitle: 'The IAM Service Account Credentials API is not enabled in the cluster project',
  group: 'diagnose',
  scope: 'project',
  chainOrder: 75,
  requires: ['projectServices'],
  // Direct binding exchanges the KSA token at STS and uses the federated token as is: no IAM Credentials call.
  relevantTo: (subject) => subject.model === 'impersonation',
  run({ facts, target }): CheckOutcome {
    const project = target.project;
    const services = need(facts.projectServices(project));
    const state = stateIn(services);
    const notes = gsaProjectNotes(facts, project);
    if (state === 'ENABLED') {
      return {
        status: 'pass',
        cause: `${SERVICE} is ENABLED in project \`${project}\``,
        ...(notes.length > 0 ? { evidence: { expected: 'ENABLED', actual: state, notes } } : {}),
      };
    }
    return {
      status: 'fail',
      cause: `${SERVICE} is ${state} in project \`${project}\`, so the GKE metadata server cannot mint tokens for pods`,
      evidence: {
        expected: `${SERVICE}: ENABLED`,
        actual: `${SERVICE}: ${state}`,
        ...(notes.length > 0 ? { notes } : {}),
      },
      fix: [
        {
          action: 'enable-service',
          target: `projects/${project}`,
          params: { service: SERVICE },
          description: `Enable the IAM Service Account Credentials API in project \`${project}\`.`,
        },
      ],
    };
  },
});
