// Kubernetes object shapes, as `kubectl get … -o json` returns them. Only the fields wi-doctor reads are typed.

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
}

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface LabelSelectorRequirement {
  key: string;
  /** In, NotIn, Exists or DoesNotExist; anything else matches nothing. */
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name?: string; key?: string };
    configMapKeyRef?: { name?: string; key?: string };
    fieldRef?: { fieldPath?: string };
  };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

export interface Container {
  name: string;
  image?: string;
  env?: EnvVar[];
  envFrom?: { secretRef?: { name?: string }; configMapRef?: { name?: string } }[];
  volumeMounts?: VolumeMount[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
}

export interface ServiceAccountTokenProjection {
  audience?: string;
  expirationSeconds?: number;
  path: string;
}

export interface Volume {
  name: string;
  secret?: { secretName?: string; items?: { key: string; path: string }[] };
  projected?: {
    sources?: {
      serviceAccountToken?: ServiceAccountTokenProjection;
      secret?: { name?: string; items?: { key: string; path: string }[] };
      configMap?: { name?: string };
    }[];
  };
  configMap?: { name?: string };
}

export interface PodSpec {
  serviceAccountName?: string;
  /** Deprecated alias of serviceAccountName, still returned by the API. */
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  hostNetwork?: boolean;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  affinity?: unknown;
  tolerations?: unknown[];
}

export interface PodTemplateSpec {
  metadata?: Partial<ObjectMeta>;
  spec: PodSpec;
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  started?: boolean;
  state?: {
    running?: { startedAt?: string };
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number; finishedAt?: string };
  };
  lastState?: ContainerStatus['state'];
}

export interface Pod extends KObject {
  spec: PodSpec;
  status?: {
    phase?: string;
    startTime?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    containerStatuses?: ContainerStatus[];
  };
}

export interface ServiceAccountObject extends KObject {
  secrets?: { name: string }[];
  automountServiceAccountToken?: boolean;
}

export interface Workload extends KObject {
  spec?: {
    selector?: LabelSelector;
    replicas?: number;
    template?: PodTemplateSpec;
    /** CronJob */
    jobTemplate?: { spec?: { template?: PodTemplateSpec } };
  };
  status?: Record<string, unknown>;
}

export interface Node extends KObject {
  spec?: { unschedulable?: boolean; providerID?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

export interface Namespace extends KObject {
  status?: { phase?: string };
}

export interface NetworkPolicyPort {
  /** TCP (default), UDP or SCTP. */
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicy extends KObject {
  spec: {
    podSelector: LabelSelector;
    /** Ingress and/or Egress. */
    policyTypes?: string[];
    egress?: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  };
}

/** The kinds a bundle (and the live collector) can hold, by their plural resource name as `k8sKinds` lists them. */
export const K8S_KINDS = [
  'namespaces',
  'serviceaccounts',
  'pods',
  'deployments',
  'statefulsets',
  'daemonsets',
  'replicasets',
  'jobs',
  'cronjobs',
  'nodes',
  'networkpolicies',
] as const;
export type K8sKind = (typeof K8S_KINDS)[number];

/**
 * Object `kind` (as in the JSON) to its plural resource name. No prototype: a kind from the data such as
 * `constructor` or `toString` names nothing here (with `Object.prototype` it would find a function).
 */
export const KIND_TO_RESOURCE: Readonly<Record<string, K8sKind>> = Object.assign(
  Object.create(null) as Record<string, K8sKind>,
  {
    Namespace: 'namespaces',
    ServiceAccount: 'serviceaccounts',
    Pod: 'pods',
    Deployment: 'deployments',
    StatefulSet: 'statefulsets',
    DaemonSet: 'daemonsets',
    ReplicaSet: 'replicasets',
    Job: 'jobs',
    CronJob: 'cronjobs',
    Node: 'nodes',
    NetworkPolicy: 'networkpolicies',
  } as const,
);

export const WI_ANNOTATION = 'iam.gke.io/gcp-service-account';
export const METADATA_SERVER_NODE_LABEL = 'iam.gke.io/gke-metadata-server-enabled';
export const NODE_POOL_LABEL = 'cloud.google.com/gke-nodepool';
