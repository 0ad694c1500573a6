// CONTRACT STUB — implemented by the network-policy helper. Signatures are fixed; bodies to be written.
// Kubernetes NetworkPolicy egress evaluation for a destination outside the cluster (the metadata server).

import type { LabelSelector, NetworkPolicy } from './types.js';

export declare function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean;

export interface EgressDecision {
  /** Some policy with Egress in its policyTypes selects the pod. */
  restricted: boolean;
  allowed: boolean;
  /** Names (`ns/name`) of the egress policies that select the pod. */
  selectingPolicies: string[];
  /** The rule that allows the destination, when one does. */
  allowedBy?: { policy: string; rule: number };
  /** One line per policy: why it does or does not allow the destination. */
  explanation: string[];
}

export declare function evaluateEgress(args: {
  pod: { namespace: string; labels: Record<string, string> | undefined };
  policies: readonly NetworkPolicy[];
  destination: { ip: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' };
}): EgressDecision;
