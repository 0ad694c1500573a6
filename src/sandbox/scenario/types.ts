// The scenario file, as written (after defaults are applied by load.ts). YAML in, validated by schema.ts.

import type { AuditConfig, Binding } from '../../model/gcp.js';
import type { NetworkPolicy } from '../../model/k8s/types.js';

export interface PolicySpec {
  version?: number;
  bindings?: Binding[];
  auditConfigs?: AuditConfig[];
}

export interface KeySpec {
  id?: string;
  type?: 'USER_MANAGED' | 'SYSTEM_MANAGED';
  validAfterTime?: string;
  /** A disabled key still lists, but its key file no longer gets tokens. */
  disabled?: boolean;
}

export interface GsaSpec {
  /** accountId (`cart`) or a full email. */
  name: string;
  displayName?: string;
  description?: string;
  disabled?: boolean;
  /** Deleted less than 30 days ago: still undeletable; its uniqueId survives in `deleted:` members. */
  deleted?: boolean;
  uniqueId?: string;
  keys?: KeySpec[];
  policy?: PolicySpec;
  /** RFC 3339: when the account last authenticated before the sandbox started (Policy Analyzer's activity). */
  lastAuthenticatedTime?: string;
}

export interface CustomRoleSpec {
  id: string;
  title?: string;
  permissions: string[];
  deleted?: boolean;
}

export interface BucketSpec {
  name: string;
  policy?: PolicySpec;
}

export interface ProjectSpec {
  id: string;
  number: string;
  /** Enabled services; default: the APIs Workload Identity needs. */
  services?: string[];
  disabledServices?: string[];
  policy?: PolicySpec;
  serviceAccounts?: GsaSpec[];
  customRoles?: CustomRoleSpec[];
  buckets?: BucketSpec[];
  /** `folders/N` or `organizations/N` of this scenario (default: no parent). */
  parent?: string;
  /** VPC firewall rules of the project (default: the four rules of Google's default network). */
  firewallRules?: FirewallRuleSpec[];
}

export interface FirewallRuleSpec {
  name: string;
  direction?: 'INGRESS' | 'EGRESS';
  priority?: number;
  network?: string;
  sourceRanges?: string[];
  destinationRanges?: string[];
  allowed?: { IPProtocol: string; ports?: string[] }[];
  denied?: { IPProtocol: string; ports?: string[] }[];
  targetTags?: string[];
  disabled?: boolean;
  description?: string;
}

export interface OrganizationSpec {
  /** The numeric organization id. */
  id: string;
  displayName?: string;
  policy?: PolicySpec;
}

export interface FolderSpec {
  /** The numeric folder id. */
  id: string;
  displayName?: string;
  /** `organizations/N` or `folders/N`. */
  parent: string;
  policy?: PolicySpec;
}

export type PoolMode = 'GKE_METADATA' | 'GCE_METADATA' | 'MODE_UNSPECIFIED' | 'CONCEALED' | 'ABSENT';
export type MetadataServerHealth = 'healthy' | 'unhealthy' | 'down';

export interface NodePoolSpec {
  name: string;
  /** `CONCEALED` = the legacy `{}` setting; `ABSENT` = no workloadMetadataConfig at all. */
  mode?: PoolMode;
  /** Node service account email, or `default` (the Compute Engine default account). */
  serviceAccount?: string;
  /** Number of nodes created when `nodes` does not list any for this pool. */
  nodeCount?: number;
}

export interface NodeSpec {
  name?: string;
  pool: string;
  metadataServer?: MetadataServerHealth;
}

export interface PodSpecLite {
  name?: string;
  serviceAccountName?: string;
  node?: string;
  hostNetwork?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  env?: Record<string, string>;
  /** The app container's command and args, as written (they may hold secrets: collect never keeps them). */
  command?: string[];
  args?: string[];
  /** RFC 3339: when the pod (every pod of a workload) started; default SCENARIO_POD_START. */
  startedAt?: string;
}

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob' | 'ReplicaSet';

export interface WorkloadSpec extends PodSpecLite {
  kind: WorkloadKind;
  name: string;
  replicas?: number;
  /** Pods of a workload; names are derived when omitted. */
  pods?: PodSpecLite[];
}

export interface KsaSpec {
  name: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  uid?: string;
  /** RFC 3339: when the KSA was created; default SCENARIO_KSA_CREATED (before the pods start). */
  createdAt?: string;
  /**
   * RFC 3339: when `iam.gke.io/gcp-service-account` was last written (by `kubectl annotate`), as
   * metadata.managedFields will say. Later than the pods' start = pods not restarted.
   */
  annotatedAt?: string;
}

export interface NamespaceSpec {
  name: string;
  labels?: Record<string, string>;
  serviceAccounts?: KsaSpec[];
  workloads?: WorkloadSpec[];
  pods?: PodSpecLite[];
  networkPolicies?: { name: string; spec: NetworkPolicy['spec'] }[];
}

export interface ClusterSpec {
  project: string;
  location: string;
  name: string;
  /** Default `PROJECT.svc.id.goog`; `null` = Workload Identity disabled. */
  workloadPool?: string | null;
  autopilot?: boolean;
  datapath?: 'ADVANCED_DATAPATH' | 'LEGACY_DATAPATH';
  /** Calico enforcement on the legacy datapath. */
  networkPolicy?: boolean;
  version?: string;
  nodePools?: NodePoolSpec[];
  nodes?: NodeSpec[];
  namespaces?: NamespaceSpec[];
}

export interface CallerSpec {
  token: string;
  /** A member string: `user:alice@example.com` or `serviceAccount:EMAIL`. */
  identity: string;
  /** Granted roles/owner on every project at load (so the env's default caller can administer the world). */
  owner?: boolean;
  scopes?: string[];
  refreshToken?: string;
}

export type ApiName =
  | 'iam'
  | 'iamcredentials'
  | 'sts'
  | 'container'
  | 'cloudresourcemanager'
  | 'serviceusage'
  | 'logging'
  | 'storage'
  | 'oauth2'
  | 'compute'
  | 'cloudasset'
  | 'policyanalyzer'
  | 'kubernetes'
  | 'metadata';

export interface FaultRule {
  api: ApiName | '*';
  /** Substring of the request path the rule is limited to. */
  path?: string;
  latencyMs?: number;
  /** 0..1: share of requests answered with `status`. */
  errorRate?: number;
  status?: 429 | 503;
  retryAfterSeconds?: number;
  /** 0..1: share of requests never answered. */
  timeoutRate?: number;
}

export interface FaultsSpec {
  seed?: number;
  rules?: FaultRule[];
  /** Seconds before a setIamPolicy takes effect for permission checks (reads see it at once). */
  iamPropagationDelaySeconds?: number;
  /**
   * How far Policy Analyzer's authentication activity lags behind token issuance, in seconds (default one
   * day; Google documents up to two).
   */
  activityLagSeconds?: number;
}

export interface Scenario {
  name?: string;
  description?: string;
  seed?: number;
  /** The organization the folders and projects sit under (fleet scope), if any. */
  organization?: OrganizationSpec;
  folders?: FolderSpec[];
  projects: ProjectSpec[];
  clusters?: ClusterSpec[];
  callers?: CallerSpec[];
  faults?: FaultsSpec;
}
