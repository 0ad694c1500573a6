// The shape of one check (ESLint rule / Lighthouse audit style): metadata plus a pure `run`.
// `run` reads only facts (no I/O, no clock but facts.now); a missing fact is thrown through `need()`
// and the engine turns it into `unknown` with the reason.

import type { Facts } from '../model/facts.js';
import type { Evidence, FixPlan, Status } from '../model/results.js';
import type { RoleResolver } from '../model/iam/roles.js';
import type { Scope, Subject, Target } from '../engine/subject.js';

/** Names of the facts a check reads: the catalog shows them and the live collector fetches only these. */
export type FactName =
  | 'cluster'
  | 'project'
  | 'projectPolicy'
  | 'projectServices'
  | 'projectServiceAccounts'
  | 'projectClusters'
  | 'serviceAccount'
  | 'serviceAccountPolicy'
  | 'serviceAccountKeys'
  | 'customRoles'
  | 'resourcePolicies'
  | 'ancestorPolicies'
  | 'logEntries'
  | 'serviceAccountActivity'
  | 'tokens'
  | 'k8s:namespaces'
  | 'k8s:serviceaccounts'
  | 'k8s:pods'
  | 'k8s:deployments'
  | 'k8s:statefulsets'
  | 'k8s:daemonsets'
  | 'k8s:replicasets'
  | 'k8s:jobs'
  | 'k8s:cronjobs'
  | 'k8s:nodes'
  | 'k8s:networkpolicies';

/** Options from the command line that some checks read. */
export interface CheckOptions {
  /** `--need`: permissions or roles the workload needs. */
  need: string[];
  /** `--on`: the full resource name the permissions are needed on. */
  on: string | undefined;
  /** `--impersonate`: a service account the subject's GSA must be able to mint tokens for. */
  impersonate: string | undefined;
  /** `--e2e` was given. */
  e2e: boolean;
  /** `audit --unused-days`: how long a Workload Identity GSA may go without minting a token (default 90). */
  unusedDays?: number;
}

export interface CheckContext<T extends Target = Target> {
  facts: Facts;
  target: T;
  roles: RoleResolver;
  options: CheckOptions;
}

export interface CheckOutcome {
  status: Status;
  /** One sentence: why it failed, or what was established. */
  cause?: string;
  evidence?: Evidence;
  fix?: FixPlan[];
  /** For unknown: what to collect or which permission is missing. */
  missing?: string[];
  /** A URI of the thing the result is about, when more precise than the target (a file of the bundle, an object). */
  location?: string;
}

export type TargetOf<S extends Scope> = Extract<Target, { scope: S }>;

export interface CheckDefinition<S extends Scope = Scope> {
  /** Stable, kebab-case; equals the file name and the docs page name. */
  id: string;
  /** What holds when it passes. */
  title: string;
  /** What is wrong when it fails. */
  failureTitle: string;
  group: 'diagnose' | 'probe' | 'audit';
  scope: S;
  /**
   * Where a pod's token request meets this link (pod network → metadata server → KSA → GSA → token): the verdict's
   * root cause is the first failure in this order, the one that explains what the pod sees.
   */
  chainOrder: number;
  requires: readonly FactName[];
  /**
   * For shared scopes (project, cluster, node pool): whether this result bears on a subject's verdict. The IAM
   * Credentials API, for one, matters only where a GSA is impersonated: direct binding gets its token from STS.
   */
  relevantTo?: (subject: Subject) => boolean;
  /**
   * Audit checks of scope `gsa` run on the GSAs that KSAs of the cluster are annotated with. With this flag they also
   * run on GSAs whose policy only names KSAs of the cluster's pool (no annotation points at them any more).
   */
  includeBoundOnlyGsas?: boolean;
  run(ctx: CheckContext<TargetOf<S>>): CheckOutcome;
}

export function defineCheck<S extends Scope>(definition: CheckDefinition<S>): CheckDefinition<S> {
  return definition;
}

/** Any check, whatever its scope: what the registry and the engine hold. */
export type AnyCheck = { [S in Scope]: CheckDefinition<S> }[Scope];
