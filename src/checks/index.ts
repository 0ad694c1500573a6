// The check registry, sorted by id. A parity test asserts that every check here has a docs page and a test
// file, and that every file in this folder is registered.

import type { AnyCheck } from './define.js';
import clusterWorkloadPool from './cluster-workload-pool.js';
import credentialOverride from './credential-override.js';
import crossProjectImpersonation from './cross-project-impersonation.js';
import endToEndToken from './end-to-end-token.js';
import gsaEnabled from './gsa-enabled.js';
import gsaExists from './gsa-exists.js';
import gsaPermission from './gsa-permission.js';
import hostNetwork from './host-network.js';
import iamcredentialsApiEnabled from './iamcredentials-api-enabled.js';
import ksaAnnotation from './ksa-annotation.js';
import ksaExists from './ksa-exists.js';
import metadataServerHealthy from './metadata-server-healthy.js';
import networkPolicyMetadata from './network-policy-metadata.js';
import nodepoolGkeMetadata from './nodepool-gke-metadata.js';
import podServiceAccount from './pod-service-account.js';
import podsRestartedAfterChange from './pods-restarted-after-change.js';
import tokenClaims from './token-claims.js';
import wiBinding from './wi-binding.js';
import wiBindingStale from './wi-binding-stale.js';

export const CHECKS: readonly AnyCheck[] = [
  clusterWorkloadPool,
  credentialOverride,
  crossProjectImpersonation,
  endToEndToken,
  gsaEnabled,
  gsaExists,
  gsaPermission,
  hostNetwork,
  iamcredentialsApiEnabled,
  ksaAnnotation,
  ksaExists,
  metadataServerHealthy,
  networkPolicyMetadata,
  nodepoolGkeMetadata,
  podServiceAccount,
  podsRestartedAfterChange,
  tokenClaims,
  wiBinding,
  wiBindingStale,
];

/** The catalog in chain order: how checklists are shown. */
export const CHECKS_IN_CHAIN_ORDER: readonly AnyCheck[] = [...CHECKS].sort((a, b) => a.chainOrder - b.chainOrder);

export function findCheck(id: string): AnyCheck | undefined {
  return CHECKS.find((c) => c.id === id);
}
