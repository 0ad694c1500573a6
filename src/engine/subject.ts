// What a check is about. Subjects come from `--ksa`, `--workload`, `--pod` or `--all` (CHECKS.md "Subjects");
// the shared objects (cluster, node pool, project) are targets of their own, checked once per run.

import type { ClusterRef, Fact } from '../model/facts.js';
import type { Pod, PodTemplateSpec, ServiceAccountObject, Workload } from '../model/k8s/types.js';

/** The KSA's own Workload Identity principal (direct binding), and what identifies it in IAM members. */
export interface KsaPrincipal {
  /** `PROJECT_ID.svc.id.goog`: the cluster's pool (undefined when the cluster has none or is unknown). */
  pool: string | undefined;
  /** Project number of the pool's project, for `principal://` members (undefined when unknown). */
  poolProjectNumber: string | undefined;
  namespace: string;
  name: string;
  /** metadata.uid of the KSA, for `kubernetes.serviceaccount.uid/UID` members. */
  uid: string | undefined;
  /** `https://container.googleapis.com/v1/projects/P/locations/L/clusters/C`, for cluster principalSets. */
  clusterUrl: string;
}

export interface AnnotationFinding {
  key: string;
  value: string;
}

export interface Subject {
  /** As reported: `ns/ksa`, `ns/kind/name` or `ns/pod/name`. */
  id: string;
  kind: 'ksa' | 'workload' | 'pod';
  /** Named by the user (`--ksa`/`--workload`/`--pod`) rather than found by `--all`. */
  named: boolean;
  namespace: string;
  /** The KSA the pods run as (`spec.serviceAccountName`, `default` when unset). */
  ksaName: string;
  ksa: Fact<ServiceAccountObject>;
  /** The named or owning workload, when there is one. */
  workload: { kind: string; name: string; object: Workload } | undefined;
  /** The subject's pods: the named pod, the workload's pods, or every pod running as the KSA. */
  pods: Fact<readonly Pod[]>;
  /** The pod template when a workload is known (covers workloads with no pods running). */
  template: PodTemplateSpec | undefined;
  /** The exact `iam.gke.io/gcp-service-account` annotation. */
  annotation: AnnotationFinding | undefined;
  /** Keys that look like the annotation but are not it (typos, wrong prefix). */
  nearMissAnnotations: (AnnotationFinding & { distance: number })[];
  /** The annotated GSA when the value is a well-formed service-account email. */
  gsaEmail: string | undefined;
  /** An annotation means impersonation of that GSA; none means direct binding (FACTS §3). */
  model: 'impersonation' | 'direct';
  principal: KsaPrincipal;
  cluster: ClusterRef;
}

export type Target =
  | { scope: 'subject'; subject: Subject }
  | { scope: 'cluster'; cluster: ClusterRef }
  | { scope: 'nodePool'; cluster: ClusterRef; nodePool: string }
  | { scope: 'project'; project: string }
  /** A Google service account used through Workload Identity (audit): the KSAs (`ns/ksa`) annotated with it. */
  | { scope: 'gsa'; email: string; ksas: readonly string[] };

export type Scope = Target['scope'];
