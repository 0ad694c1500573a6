// Google Cloud API shapes, as the REST APIs (and `gcloud … --format=json`) return them.
// Only the fields wi-doctor reads are typed; unknown fields are kept and ignored.

export interface Expr {
  expression: string;
  title?: string;
  description?: string;
}

export interface Binding {
  role: string;
  members?: string[];
  condition?: Expr;
}

export interface AuditLogConfig {
  logType?: 'ADMIN_READ' | 'DATA_READ' | 'DATA_WRITE' | 'LOG_TYPE_UNSPECIFIED';
  exemptedMembers?: string[];
}

export interface AuditConfig {
  service: string;
  auditLogConfigs?: AuditLogConfig[];
}

export interface Policy {
  version?: number;
  etag?: string;
  bindings?: Binding[];
  auditConfigs?: AuditConfig[];
}

export interface ServiceAccount {
  name?: string;
  projectId?: string;
  uniqueId?: string;
  email: string;
  displayName?: string;
  description?: string;
  oauth2ClientId?: string;
  etag?: string;
  /** Omitted by the API when false. */
  disabled?: boolean;
}

export interface ServiceAccountKey {
  name: string;
  keyType?: 'USER_MANAGED' | 'SYSTEM_MANAGED' | 'KEY_TYPE_UNSPECIFIED';
  keyOrigin?: string;
  keyAlgorithm?: string;
  validAfterTime?: string;
  validBeforeTime?: string;
  disabled?: boolean;
}

export interface CustomRole {
  name: string;
  title?: string;
  description?: string;
  includedPermissions?: string[];
  stage?: string;
  etag?: string;
  deleted?: boolean;
}

export interface Project {
  projectId: string;
  projectNumber: string;
  name?: string;
  lifecycleState?: string;
  parent?: { type?: string; id?: string };
}

/** One entry of `gcloud services list --enabled --format=json`, or Service Usage `services.get`. */
export interface ServiceState {
  name: string;
  config?: { name?: string; title?: string };
  state?: 'ENABLED' | 'DISABLED' | 'STATE_UNSPECIFIED';
}

export interface WorkloadMetadataConfig {
  /** MODE_UNSPECIFIED, GCE_METADATA or GKE_METADATA (kept open: the API may add modes). */
  mode?: string;
}

export interface NodePool {
  name: string;
  config?: {
    serviceAccount?: string;
    workloadMetadataConfig?: WorkloadMetadataConfig;
    labels?: Record<string, string>;
  };
  status?: string;
  version?: string;
  locations?: string[];
}

export interface GkeCluster {
  name: string;
  location?: string;
  zone?: string;
  selfLink?: string;
  locations?: string[];
  status?: string;
  currentMasterVersion?: string;
  workloadIdentityConfig?: { workloadPool?: string };
  autopilot?: { enabled?: boolean };
  /** datapathProvider: ADVANCED_DATAPATH (Dataplane V2), LEGACY_DATAPATH or DATAPATH_PROVIDER_UNSPECIFIED. */
  networkConfig?: { datapathProvider?: string };
  networkPolicy?: { provider?: string; enabled?: boolean };
  fleet?: { project?: string; membership?: string };
  nodePools?: NodePool[];
  nodeConfig?: NodePool['config'];
}

/** A Cloud Logging entry as `gcloud logging read --format=json` prints it. */
export interface LogEntry {
  logName?: string;
  timestamp?: string;
  receiveTimestamp?: string;
  severity?: string;
  insertId?: string;
  resource?: { type?: string; labels?: Record<string, string> };
  protoPayload?: {
    '@type'?: string;
    serviceName?: string;
    methodName?: string;
    resourceName?: string;
    authenticationInfo?: { principalEmail?: string; principalSubject?: string };
    requestMetadata?: { callerIp?: string; callerSuppliedUserAgent?: string };
    status?: { code?: number; message?: string };
    request?: unknown;
    response?: unknown;
    serviceData?: unknown;
    metadata?: unknown;
  };
}

/**
 * One Policy Analyzer activity of type `serviceAccountLastAuthentication`, as
 * `GET https://policyanalyzer.googleapis.com/v1/projects/P/locations/global/activityTypes/serviceAccountLastAuthentication/activities:query`
 * (and `gcloud policy-intelligence query-activity --format=json`) return it. Recorded daily; lags by up to two days.
 */
export interface ServiceAccountActivity {
  /** `//iam.googleapis.com/projects/P/serviceAccounts/EMAIL_OR_UNIQUE_ID` */
  fullResourceName?: string;
  activityType?: string;
  observationPeriod?: { startTime?: string; endTime?: string };
  activity?: {
    lastAuthenticatedTime?: string;
    serviceAccount?: { serviceAccountId?: string; projectNumber?: string; fullResourceName?: string };
  };
}
