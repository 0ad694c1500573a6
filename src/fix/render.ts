// Turns fix plans into copy-pasteable gcloud, kubectl and Terraform text (null where a tool cannot do it).
// One renderer per action of src/fix/actions.ts; the Record type makes a missing renderer a compile error.

import type { FixAction, FixPlan } from '../model/results.js';
import { FIX_ACTIONS } from './actions.js';
import type { FixActionName } from './actions.js';
import { deleteServiceAccountKey, enableAuditLogs } from './render/audit.js';
import { enableWorkloadIdentity, setNodePoolMetadata } from './render/gke.js';
import {
  addIamBinding,
  createServiceAccount,
  enableService,
  enableServiceAccount,
  removeIamMember,
  undeleteServiceAccount,
} from './render/iam.js';
import {
  allowMetadataEgress,
  annotateServiceAccount,
  createKubernetesServiceAccount,
  removeAnnotation,
  removeCredentialOverride,
  restartWorkload,
  setServiceAccountName,
  unsetHostNetwork,
} from './render/kubernetes.js';
import type { Renderer } from './render/types.js';

export { FixPlanError } from './render/targets.js';

const RENDERERS: Record<FixActionName, Renderer> = {
  'add-iam-binding': addIamBinding,
  'remove-iam-member': removeIamMember,
  'enable-service': enableService,
  'enable-workload-identity': enableWorkloadIdentity,
  'set-node-pool-metadata': setNodePoolMetadata,
  'annotate-service-account': annotateServiceAccount,
  'remove-annotation': removeAnnotation,
  'create-kubernetes-service-account': createKubernetesServiceAccount,
  'set-service-account-name': setServiceAccountName,
  'restart-workload': restartWorkload,
  'enable-service-account': enableServiceAccount,
  'undelete-service-account': undeleteServiceAccount,
  'create-service-account': createServiceAccount,
  'allow-metadata-egress': allowMetadataEgress,
  'unset-host-network': unsetHostNetwork,
  'remove-credential-override': removeCredentialOverride,
  'delete-service-account-key': deleteServiceAccountKey,
  'enable-audit-logs': enableAuditLogs,
  manual: () => ({ gcloud: null, kubectl: null, terraform: null }),
};

function isActionName(action: string): action is FixActionName {
  return (FIX_ACTIONS as readonly string[]).includes(action);
}

/** Renders one plan. Throws on an unknown action or a malformed target or params: both are bugs in a check. */
export function renderFix(plan: FixPlan): FixAction {
  if (!isActionName(plan.action)) {
    throw new Error(`no renderer for fix action "${plan.action}" (known: ${FIX_ACTIONS.join(', ')})`);
  }
  const { note, ...commands } = RENDERERS[plan.action](plan);
  const description = note === undefined ? plan.description : `${plan.description.trimEnd()} ${note}`.trim();
  return { action: plan.action, target: plan.target, params: { ...plan.params }, description, ...commands };
}

export function renderFixes(plans: readonly FixPlan[]): FixAction[] {
  return plans.map(renderFix);
}
