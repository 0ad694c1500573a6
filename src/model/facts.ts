// The facts a diagnosis reads. Both inputs (an evidence bundle, the live APIs) produce this one shape,
// so checks never know where a fact came from. Every fact says whether it was seen, known absent,
// failed to load, or was not collected: checks turn the last three into `unknown`, never `pass`.

import type {
  CustomRole,
  GkeCluster,
  LogEntry,
  Policy,
  Project,
  ServiceAccount,
  ServiceAccountActivity,
  ServiceAccountKey,
  ServiceState,
} from './gcp.js';
import type { K8sKind, KObject } from './k8s/types.js';

export type Fact<T> =
  | { readonly status: 'present'; readonly value: T; readonly source: string }
  /** The API answered "does not exist": the thing is known not to exist. */
  | { readonly status: 'absent'; readonly source: string; readonly message: string }
  /** Reading it failed (403, timeout, invalid file): unknown. */
  | { readonly status: 'error'; readonly source: string; readonly message: string }
  /** Nobody asked for it: unknown. */
  | { readonly status: 'not-collected'; readonly source: string; readonly message: string };

export type UnavailableFact = Exclude<Fact<unknown>, { status: 'present' }>;

export const present = <T>(value: T, source: string): Fact<T> => ({ status: 'present', value, source });
export const absent = <T>(source: string, message = 'does not exist'): Fact<T> => ({
  status: 'absent',
  source,
  message,
});
export const factError = <T>(source: string, message: string): Fact<T> => ({ status: 'error', source, message });
export const notCollected = <T>(source: string, message = 'not collected'): Fact<T> => ({
  status: 'not-collected',
  source,
  message,
});

/** A fact a check needs was not available; the engine turns it into an `unknown` result. */
export class FactUnavailableError extends Error {
  constructor(readonly fact: UnavailableFact) {
    super(`${fact.source}: ${fact.message}`);
    this.name = 'FactUnavailableError';
  }
}

/** The value of a fact, or throw so that the calling check reports `unknown` with the reason. */
export function need<T>(fact: Fact<T>): T {
  if (fact.status === 'present') return fact.value;
  throw new FactUnavailableError(fact);
}

export interface ClusterRef {
  project: string;
  location: string;
  name: string;
}

export function clusterResourceName(ref: ClusterRef): string {
  return `projects/${ref.project}/locations/${ref.location}/clusters/${ref.name}`;
}

/** `https://container.googleapis.com/v1/projects/P/locations/L/clusters/C`: the GKE token issuer and STS audience suffix. */
export function clusterUrl(ref: ClusterRef): string {
  return `https://container.googleapis.com/v1/${clusterResourceName(ref)}`;
}

/** A policy from above a project (folder or organization). */
export interface AncestorPolicy {
  /** `folders/N` or `organizations/N` */
  resource: string;
  policy: Fact<Policy>;
}

/** A resource policy (bucket, topic, …) named by its full resource name. */
export interface ResourcePolicy {
  /** e.g. `//storage.googleapis.com/projects/_/buckets/b` */
  resource: string;
  policy: Fact<Policy>;
}

/** A Cloud Asset Inventory `searchAllIamPolicies` run over a scope (`gcp/asset-search/*.json`). */
export interface AssetSearch {
  /** `organizations/N`, `folders/N` or `projects/P`. */
  scope: string;
  /** The query as sent ('' when the file does not say); what it covers follows from it (model/iam/asset-search.ts). */
  query: string;
  /** Pages read (0 when not known). */
  pages: number;
  /** The results (each a policy holding only the matching bindings), or why the search failed. */
  results: Fact<readonly import('./iam/asset-search.js').AssetPolicy[]>;
}

/** A token the user added to a bundle (`token/ANY.jwt`): only header and claims are kept. */
export interface TokenFile {
  source: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  error?: string;
}

/** A step of the live token chain (`--e2e`): what GKE's metadata server does for a pod, done by wi-doctor. */
export type E2eStepName = 'token-request' | 'sts-exchange' | 'generate-access-token';

/** One step's outcome. Never a token: only whether it worked and, if not, what the API said. */
export interface E2eStep {
  step: E2eStepName;
  ok: boolean;
  /** HTTP status of the last attempt (absent on a network error or timeout). */
  status?: number;
  /** The API's own error text, exactly as sent (Google's `error.message`, STS `error_description`, a Kubernetes Status message). */
  error?: string;
  /** The API's code: `PERMISSION_DENIED`, `invalid_target`, `Forbidden`, … */
  code?: string;
  /** Wall time of the step, retries included. */
  ms: number;
}

/** The live token chain of one KSA (`e2e/NS.KSA.json`). */
export interface E2eResult {
  /** `NS/KSA` */
  subject: string;
  /** The GSA impersonated (the annotation's email); absent under direct binding. */
  gsa?: string;
  steps: E2eStep[];
  /** RFC 3339 time the chain ran. */
  at: string;
}

/**
 * What one collected log file covers: the query that produced it. Without it, a log file proves presence (an
 * entry seen) but never absence (no entry seen), because its time window and filter are unknown.
 */
export interface LogQuery {
  /** The bundle file holding the entries (`gcp/logs/…`). */
  file: string;
  /** The Cloud Logging filter, exactly as sent. */
  filter: string;
  /** `projects/P` the query read. */
  resourceNames?: string[];
  /** RFC 3339: the window the query covered. */
  since: string;
  until: string;
  /** False when more entries matched than were read (a page limit): the file shows the newest ones only. */
  complete: boolean;
  /** Service-account emails the filter was restricted to; absent means every account of those projects. */
  serviceAccounts?: string[];
}

/** Kubernetes objects of one kind, with the lookups checks need; built once, shared by all subjects. */
export interface K8sFacts {
  /** Every object of a kind (all namespaces). */
  list<T extends KObject = KObject>(kind: K8sKind): Fact<readonly T[]>;
  /** One object; `absent` when the kind was fully collected and the object is not there. */
  get<T extends KObject = KObject>(kind: K8sKind, namespace: string | undefined, name: string): Fact<T>;
  /** Objects of a kind in one namespace. */
  inNamespace<T extends KObject = KObject>(kind: K8sKind, namespace: string): Fact<readonly T[]>;
  /** Pods whose spec names this KSA (`default` when unset). */
  podsOfServiceAccount(namespace: string, ksa: string): Fact<readonly import('./k8s/types.js').Pod[]>;
}

export interface Facts {
  /** When the facts were collected: the checks' only clock. */
  readonly now: Date;
  /** The cluster being diagnosed. */
  readonly clusterRef: ClusterRef;
  readonly cluster: Fact<GkeCluster>;
  project(projectId: string): Fact<Project>;
  projectPolicy(projectId: string): Fact<Policy>;
  /** Enabled services of a project (gcloud services list --enabled). */
  projectServices(projectId: string): Fact<readonly ServiceState[]>;
  projectServiceAccounts(projectId: string): Fact<readonly ServiceAccount[]>;
  /** All clusters of a project (the pool's clusters). */
  projectClusters(projectId: string): Fact<readonly GkeCluster[]>;
  /** The account: from its describe output, else from its project's list (missing there = absent). */
  serviceAccount(email: string): Fact<ServiceAccount>;
  serviceAccountPolicy(email: string): Fact<Policy>;
  serviceAccountKeys(email: string): Fact<readonly ServiceAccountKey[]>;
  /** A custom role by full name (`projects/P/roles/R`, `organizations/N/roles/R`). */
  customRole(name: string): Fact<CustomRole>;
  /** The policy of one resource, by full resource name. */
  resourcePolicy(resource: string): Fact<Policy>;
  /** Folder and organization policies that were collected (readable or not). */
  readonly ancestorPolicies: readonly AncestorPolicy[];
  /** Every resource policy that was collected. */
  readonly resourcePolicies: readonly ResourcePolicy[];
  /** Cloud Asset Inventory searches that were run (none unless asked for). */
  readonly assetSearches: readonly AssetSearch[];
  /** Every project whose policy was collected (ids). */
  readonly knownProjects: readonly string[];
  /** Every service account whose policy or describe was collected (emails). */
  readonly knownServiceAccounts: readonly string[];
  readonly logEntries: Fact<readonly LogEntry[]>;
  /** The queries behind the collected log files (bundle.json `logQueries`): what the logs cover. */
  readonly logQueries: readonly LogQuery[];
  /** Policy Analyzer `serviceAccountLastAuthentication` activities of a project (every page). */
  serviceAccountActivity(projectId: string): Fact<readonly ServiceAccountActivity[]>;
  readonly k8s: K8sFacts;
  readonly tokens: readonly TokenFile[];
  /** The live token chain of a KSA (`NS/KSA`), run by `--e2e`; not collected without it. */
  e2e(subjectKsa: string): Fact<E2eResult>;
  /** Probe reports (`wi-doctor probe --format json`) that joined the facts. */
  readonly probes: readonly { source: string; report: unknown }[];
  /** Things the reader noticed (unknown files, invalid files): shown to the user, not results. */
  readonly notes: readonly string[];
}
