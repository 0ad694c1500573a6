// The identity graph: who can become which Google identity, and what each identity is granted. Built from
// facts and check results by ./build.ts (pure); drawn by the renderers in src/report/graph/ and
// src/report/html/. Its JSON form (`wi-doctor graph --format json`) is these shapes serialised: fields may be
// added, never renamed.

export const GRAPH_FORMAT = 'wi-doctor-graph/1';

/** `principal`: a member that is neither a KSA nor a GSA (a user, a group, a principal set, a project's owners). */
export const NODE_KINDS = [
  'namespace',
  'workload',
  'pod',
  'ksa',
  'gsa',
  'role',
  'resource',
  'project',
  'principal',
] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export const EDGE_KINDS = [
  /** A workload or pod runs as a KSA (`spec.serviceAccountName`). */
  'runs-as',
  /** A KSA carries `iam.gke.io/gcp-service-account` naming a GSA (or a misspelt key naming one). */
  'annotated-as',
  /** A KSA or GSA may mint tokens for a GSA (`iam.serviceAccounts.getAccessToken`), through a binding. */
  'may-impersonate',
  /** A KSA's own principal or a GSA holds a role (a binding of a policy). */
  'granted',
  /** A role binding sits on the policy of a resource or project. */
  'on',
  /** Pods get the node's identity (GCE_METADATA node pool, hostNetwork, no workload pool). */
  'falls-back-to-node-identity',
] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

/** The text drawn on an edge of each kind. */
export const EDGE_LABELS: Record<EdgeKind, string> = {
  'runs-as': 'runs as',
  'annotated-as': 'annotated as',
  'may-impersonate': 'may impersonate',
  granted: 'granted',
  on: 'on',
  'falls-back-to-node-identity': 'falls back to node identity',
};

/** What the checks say about a node or an edge: the worst result that bears on it. */
export type ElementStatus = 'ok' | 'warn' | 'fail' | 'unknown';

/**
 * Whether a link works: `broken` is a link that should be there and is not (or does not work), drawn broken;
 * `conditional` depends on an IAM condition decided at request time; `unknown` could not be told.
 */
export type EdgeState = 'ok' | 'conditional' | 'unknown' | 'broken';

/** A check result that bears on an element. */
export interface ElementCheck {
  check: string;
  status: 'fail' | 'warn' | 'unknown';
  /** The subject of the result (a KSA, a node pool, a project). */
  subject: string;
  cause?: string;
}

export interface GraphNode {
  /** Stable and unique: `ksa:shop/cart`, `gsa:cart@acme-shop.iam.gserviceaccount.com`, `project:acme-shop`, … */
  id: string;
  kind: NodeKind;
  label: string;
  /** The namespace of Kubernetes nodes (namespace, workload, pod, KSA). */
  namespace?: string;
  /** The project of GSAs and projects, when known. */
  project?: string;
  status: ElementStatus;
  /** Known not to exist (a deleted KSA, a GSA that was never created). */
  missing?: boolean;
  checks: ElementCheck[];
  /** Facts shown with the node, one line each: `uid`, `disabled`, `display name`, `pods`, `node identity of`… */
  details: Record<string, string>;
}

/** The binding behind an edge. */
export interface EdgeBinding {
  /** The resource whose policy holds the binding: `projects/-/serviceAccounts/EMAIL`, `projects/P`, … */
  policy: string;
  role: string;
  /** The member exactly as written in the policy. */
  member: string;
  /** The IAM condition's title (or expression) when the binding is conditional. */
  condition?: string;
}

export interface GraphEdge {
  /** `KIND:SOURCE->TARGET` */
  id: string;
  kind: EdgeKind;
  source: string;
  target: string;
  state: EdgeState;
  /** Short text drawn on the edge. */
  label: string;
  /** The bindings that make the link (may-impersonate, granted). */
  bindings: EdgeBinding[];
  /** The results that broke it or put it in doubt; a broken edge always names at least one. */
  checks: ElementCheck[];
  /** Why, in one line each (the nearest miss of a missing binding, the node pool of a fallback). */
  notes: string[];
}

/**
 * The Google identity a subject's pods get. Under impersonation (the KSA is annotated), the GSA; under direct
 * binding (no annotation), the KSA's own principal, whose grants are its own.
 */
export type SubjectIdentity = { model: 'impersonation'; gsa: string } | { model: 'direct'; principal: string };

/** One subject of the report and the elements on its path. */
export interface SubjectPath {
  subject: string;
  /** The verdict's status: the root cause's, or the worst of its results. */
  status: 'pass' | 'fail' | 'warn' | 'unknown';
  rootCause: string | null;
  /** Absent when the annotation names no account, or the cluster's workload pool is unknown. */
  identity?: SubjectIdentity;
  nodes: string[];
  edges: string[];
}

export interface IdentityGraph {
  format: typeof GRAPH_FORMAT;
  cluster: string;
  source: string;
  generatedAt: string;
  tool: { name: 'wi-doctor'; version: string };
  nodes: GraphNode[];
  edges: GraphEdge[];
  subjects: SubjectPath[];
  /** What the graph could not show (policies that were not read), one line each. */
  notes: string[];
}
