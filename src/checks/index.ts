// The check registry, sorted by id. A parity test asserts that every check here has a docs page and a test
// file, and that every file in this folder is registered.

import type { AnyCheck } from './define.js';
import adminReadAuditLogs from './admin-read-audit-logs.js';
import broadProjectRoles from './broad-project-roles.js';
import clusterWorkloadPool from './cluster-workload-pool.js';
import credentialOverride from './credential-override.js';
import crossProjectImpersonation from './cross-project-impersonation.js';
import defaultKsaAnnotated from './default-ksa-annotated.js';
import endToEndToken from './end-to-end-token.js';
import gsaEnabled from './gsa-enabled.js';
import gsaExists from './gsa-exists.js';
import gsaPermission from './gsa-permission.js';
import gsaShared from './gsa-shared.js';
import gsaUserManagedKeys from './gsa-user-managed-keys.js';
import hostNetwork from './host-network.js';
import iamcredentialsApiEnabled from './iamcredentials-api-enabled.js';
import identitySameness from './identity-sameness.js';
import ksaAnnotation from './ksa-annotation.js';
import ksaExists from './ksa-exists.js';
import metadataServerHealthy from './metadata-server-healthy.js';
import networkPolicyMetadata from './network-policy-metadata.js';
import nodeDefaultSa from './node-default-sa.js';
import nodepoolGkeMetadata from './nodepool-gke-metadata.js';
import orphanBindings from './orphan-bindings.js';
import podServiceAccount from './pod-service-account.js';
import podsRestartedAfterChange from './pods-restarted-after-change.js';
import primitiveRoles from './primitive-roles.js';
import principalSetGrants from './principal-set-grants.js';
import projectLevelImpersonation from './project-level-impersonation.js';
import tokenClaims from './token-claims.js';
import unusedGsa from './unused-gsa.js';
import wiBinding from './wi-binding.js';
import wiBindingStale from './wi-binding-stale.js';
import zonalCluster from './zonal-cluster.js';

export const CHECKS: readonly AnyCheck[] = [
  adminReadAuditLogs,
  broadProjectRoles,
  clusterWorkloadPool,
  credentialOverride,
  crossProjectImpersonation,
  defaultKsaAnnotated,
  endToEndToken,
  gsaEnabled,
  gsaExists,
  gsaPermission,
  gsaShared,
  gsaUserManagedKeys,
  hostNetwork,
  iamcredentialsApiEnabled,
  identitySameness,
  ksaAnnotation,
  ksaExists,
  metadataServerHealthy,
  networkPolicyMetadata,
  nodeDefaultSa,
  nodepoolGkeMetadata,
  orphanBindings,
  podServiceAccount,
  podsRestartedAfterChange,
  primitiveRoles,
  principalSetGrants,
  projectLevelImpersonation,
  tokenClaims,
  unusedGsa,
  wiBinding,
  wiBindingStale,
  zonalCluster,
];

/** The checks `check` runs (Diagnose and Probe groups). */
export const DIAGNOSE_CHECKS: readonly AnyCheck[] = CHECKS.filter((c) => c.group !== 'audit');

/** The checks `audit` runs. */
export const AUDIT_CHECKS: readonly AnyCheck[] = CHECKS.filter((c) => c.group === 'audit');

/** The catalog in chain order: how checklists are shown. */
export const CHECKS_IN_CHAIN_ORDER: readonly AnyCheck[] = [...CHECKS].sort((a, b) => a.chainOrder - b.chainOrder);

export function findCheck(id: string): AnyCheck | undefined {
  return CHECKS.find((c) => c.id === id);
}
