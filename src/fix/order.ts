// In what order fix actions run and which need consent beyond --apply. The order follows what each change
// needs to exist first: an API before anything that calls it, the cluster's workload pool before a binding
// that names it (IAM refuses a member of a pool that does not exist), an account before its bindings, the
// bindings before a KSA points pods at the account, and restarts last, so pods start with everything in place.

import { FIX_ACTIONS } from './actions.js';
import type { FixActionName } from './actions.js';

export interface ActionTraits {
  /** Lower runs first. */
  phase: number;
  /**
   * Recreates nodes, restarts a control plane, or removes something: planned and printed, applied only
   * with --allow-disruptive.
   */
  disruptive: boolean;
  /** What the disruption is, for the plan and the list of withheld actions. */
  why?: string;
}

export const ACTION_TRAITS: Record<FixActionName, ActionTraits> = {
  'enable-service': { phase: 10, disruptive: false },
  'enable-audit-logs': { phase: 15, disruptive: false },
  'enable-workload-identity': {
    phase: 20,
    disruptive: true,
    why: 'updates the cluster (its control plane restarts on some versions)',
  },
  'set-node-pool-metadata': { phase: 30, disruptive: true, why: "recreates the node pool's nodes" },
  'create-service-account': { phase: 40, disruptive: false },
  'undelete-service-account': { phase: 40, disruptive: false },
  'enable-service-account': { phase: 50, disruptive: false },
  'add-iam-binding': { phase: 60, disruptive: false },
  'remove-iam-member': { phase: 65, disruptive: true, why: 'removes a member from an IAM policy' },
  'create-kubernetes-service-account': { phase: 70, disruptive: false },
  'annotate-service-account': { phase: 70, disruptive: false },
  'remove-annotation': { phase: 75, disruptive: false },
  'allow-metadata-egress': { phase: 80, disruptive: false },
  'set-service-account-name': { phase: 85, disruptive: false },
  'unset-host-network': { phase: 85, disruptive: false },
  'remove-credential-override': { phase: 85, disruptive: false },
  'restart-workload': { phase: 90, disruptive: false },
  'delete-service-account-key': {
    phase: 95,
    disruptive: true,
    why: 'deletes a key: whatever still authenticates with it stops working',
  },
  manual: { phase: 100, disruptive: false },
};

export function isFixAction(action: string): action is FixActionName {
  return (FIX_ACTIONS as readonly string[]).includes(action);
}

export function traitsOf(action: string): ActionTraits {
  return isFixAction(action) ? ACTION_TRAITS[action] : ACTION_TRAITS.manual;
}
