// Generated worlds for the differential test: the healthy world with a combination of known faults, and an
// oracle that says, from the combination alone, which checks must fail for each KSA (and so which is the root
// cause when only one does), whether the tool must answer "unknown" (the world hides something from it), and
// whether the binding is conditional. Three parties then have to agree: the oracle, the tool's static verdict,
// and what the sandbox's metadata servers answer the pods.

import fc from 'fast-check';
import type { Node } from '../../src/model/k8s/types.js';
import { METADATA_SERVER_NODE_LABEL, WI_ANNOTATION } from '../../src/model/k8s/types.js';
import type { RunningSandbox, Scenario } from '../../src/sandbox/index.js';
import { syncMetadataServerPods } from '../../src/sandbox/kube/controllers.js';
import type { NamespaceSpec, ProjectSpec, WorkloadSpec } from '../../src/sandbox/scenario/types.js';
import { DEFAULT_CALLER } from '../../src/sandbox/world.js';

export const CART_GSA = 'cart-gsa@acme-shop.iam.gserviceaccount.com';
export const READER_GSA = 'reader@acme-data.iam.gserviceaccount.com';
const CART_MEMBER = 'serviceAccount:acme-shop.svc.id.goog[shop/cart]';
const API_PRINCIPAL =
  'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/subject/ns/shop/sa/api';
/** A caller that owns acme-shop only: it cannot read anything of acme-data. */
export const LIMITED_TOKEN = 'wi-doctor-limited-token';
const LIMITED_IDENTITY = 'user:wi-doctor@acme.example';

export const TYPOS = [
  'iam.gke.io/gcp-service-acount',
  'iam.gke.io/gcp-serviceaccount',
  'iam.gke.com/gcp-service-account',
  'iam.gke.io/gcp_service_account',
];

export type Workload = 'cart' | 'api';

/** One generated world: each field is one way Workload Identity breaks (or does not). */
export interface WorldSpec {
  /** The IAM Service Account Credentials API in the cluster project. */
  iamcredentials: 'enabled' | 'disabled';
  /** workloadMetadataConfig.mode of default-pool, where both workloads run. */
  poolMode: 'GKE_METADATA' | 'GCE_METADATA' | 'MODE_UNSPECIFIED';
  /** The default-pool node lost its `iam.gke.io/gke-metadata-server-enabled` label (not recreated since a mode change). */
  unlabelledNode: boolean;
  /**
   * NetworkPolicy of namespace shop and the datapath: none; Dataplane V2 with a default-deny egress policy; the
   * legacy datapath with Calico and a policy that allows only 169.254.169.254:80 (the metadata server there is
   * 169.254.169.252:988), or that allows 988; the legacy datapath without enforcement and a default deny.
   */
  network: 'none' | 'dpv2-deny-all' | 'legacy-calico-80-only' | 'legacy-calico-988' | 'legacy-unenforced-deny-all';
  /** KSA cart: the exact annotation, a misspelt key, or a GSA of acme-data that the tool may not read. */
  annotation: 'exact' | 'typo' | 'hidden-cross-project';
  typo: string;
  /** GSA cart-gsa@acme-shop. */
  gsa: 'ok' | 'disabled' | 'deleted';
  /** The Workload Identity binding of shop/cart on cart-gsa@acme-shop. */
  binding: 'ok' | 'dropped' | 'other-namespace' | 'service-account-user' | 'conditional-valid' | 'conditional-expired';
  /** A workload whose pods use hostNetwork. */
  hostNetwork: Workload | 'none';
  /** A workload that lost its serviceAccountName (its pods run as `default`). */
  defaultKsa: Workload | 'none';
  /** Where shop/api's direct grant is: a bucket that --all does not read, or the project policy. */
  apiGrant: 'bucket' | 'project';
}

export const HEALTHY_SPEC: WorldSpec = {
  iamcredentials: 'enabled',
  poolMode: 'GKE_METADATA',
  unlabelledNode: false,
  network: 'none',
  annotation: 'exact',
  typo: TYPOS[0] ?? '',
  gsa: 'ok',
  binding: 'ok',
  hostNetwork: 'none',
  defaultKsa: 'none',
  apiGrant: 'bucket',
};

/** Mostly healthy fields, so that single faults (where the root cause must match exactly) are common. */
export function worldSpecArbitrary(): fc.Arbitrary<WorldSpec> {
  const mostly = <T>(healthy: T, ...faults: T[]): fc.Arbitrary<T> =>
    fc.oneof({ weight: 4, arbitrary: fc.constant(healthy) }, { weight: 1, arbitrary: fc.constantFrom(...faults) });
  return fc.record({
    iamcredentials: mostly<WorldSpec['iamcredentials']>('enabled', 'disabled'),
    poolMode: mostly<WorldSpec['poolMode']>('GKE_METADATA', 'GCE_METADATA', 'MODE_UNSPECIFIED'),
    unlabelledNode: mostly(false, true),
    network: mostly<WorldSpec['network']>(
      'none',
      'dpv2-deny-all',
      'legacy-calico-80-only',
      'legacy-calico-988',
      'legacy-unenforced-deny-all',
    ),
    annotation: mostly<WorldSpec['annotation']>('exact', 'typo', 'hidden-cross-project'),
    typo: fc.constantFrom(...TYPOS),
    gsa: mostly<WorldSpec['gsa']>('ok', 'disabled', 'deleted'),
    binding: mostly<WorldSpec['binding']>(
      'ok',
      'dropped',
      'other-namespace',
      'service-account-user',
      'conditional-valid',
      'conditional-expired',
    ),
    hostNetwork: mostly<WorldSpec['hostNetwork']>('none', 'cart', 'api'),
    defaultKsa: mostly<WorldSpec['defaultKsa']>('none', 'cart', 'api'),
    apiGrant: fc.constantFrom<WorldSpec['apiGrant']>('bucket', 'project'),
  });
}

/** The fields that differ from the healthy world, for messages. */
export function describeSpec(spec: WorldSpec): string {
  const diffs = (Object.keys(spec) as (keyof WorldSpec)[])
    .filter((k) => k !== 'typo' && spec[k] !== HEALTHY_SPEC[k])
    .map((k) => `${k}=${String(spec[k])}`);
  if (spec.annotation === 'typo') diffs.push(`typo=${spec.typo}`);
  return diffs.length > 0 ? diffs.join(' ') : 'healthy';
}

function project(s: Scenario, id: string): ProjectSpec {
  const p = s.projects.find((x) => x.id === id);
  if (!p) throw new Error(`healthy.yaml has no project ${id}`);
  return p;
}

function shop(s: Scenario): NamespaceSpec {
  const ns = s.clusters?.[0]?.namespaces?.find((n) => n.name === 'shop');
  if (!ns) throw new Error('healthy.yaml has no namespace shop');
  return ns;
}

function workload(s: Scenario, name: Workload): WorkloadSpec {
  const w = shop(s).workloads?.find((x) => x.name === name);
  if (!w) throw new Error(`healthy.yaml has no workload ${name}`);
  return w;
}

function gsaSpec(s: Scenario, projectId: string, name: string): NonNullable<ProjectSpec['serviceAccounts']>[number] {
  const g = project(s, projectId).serviceAccounts?.find((x) => x.name === name);
  if (!g) throw new Error(`healthy.yaml has no GSA ${name} in ${projectId}`);
  return g;
}

const METADATA_EGRESS = (cidr: string, port: number) => ({
  to: [{ ipBlock: { cidr } }],
  ports: [{ protocol: 'TCP' as const, port }],
});

/** The healthy scenario with the spec's faults, and what to do to the running world before both sides look. */
export function buildWorld(
  healthy: Scenario,
  spec: WorldSpec,
): { scenario: Scenario; setup: (sb: RunningSandbox) => void; token: string | undefined } {
  const s = structuredClone(healthy);
  s.name = `healthy + ${describeSpec(spec)}`;
  const shopProject = project(s, 'acme-shop');
  const cluster = s.clusters?.[0];
  if (!cluster) throw new Error('healthy.yaml has no cluster');

  if (spec.iamcredentials === 'disabled') {
    shopProject.disabledServices = [...(shopProject.disabledServices ?? []), 'iamcredentials.googleapis.com'];
  }
  const pool = cluster.nodePools?.find((p) => p.name === 'default-pool');
  if (!pool) throw new Error('healthy.yaml has no default-pool');
  pool.mode = spec.poolMode;

  const ns = shop(s);
  const deny = { name: 'default-deny-egress', spec: { podSelector: {}, policyTypes: ['Egress' as const] } };
  const allowOnly = (cidr: string, port: number) => ({
    name: 'allow-metadata-only',
    spec: { podSelector: {}, policyTypes: ['Egress' as const], egress: [METADATA_EGRESS(cidr, port)] },
  });
  if (spec.network === 'dpv2-deny-all') {
    cluster.datapath = 'ADVANCED_DATAPATH';
    ns.networkPolicies = [deny];
  } else if (spec.network === 'legacy-calico-80-only') {
    cluster.datapath = 'LEGACY_DATAPATH';
    cluster.networkPolicy = true;
    ns.networkPolicies = [allowOnly('169.254.169.254/32', 80)];
  } else if (spec.network === 'legacy-calico-988') {
    cluster.datapath = 'LEGACY_DATAPATH';
    cluster.networkPolicy = true;
    ns.networkPolicies = [allowOnly('169.254.169.252/32', 988)];
  } else if (spec.network === 'legacy-unenforced-deny-all') {
    cluster.datapath = 'LEGACY_DATAPATH';
    cluster.networkPolicy = false;
    ns.networkPolicies = [deny];
  }

  const cartKsa = ns.serviceAccounts?.find((k) => k.name === 'cart');
  if (!cartKsa) throw new Error('healthy.yaml has no KSA shop/cart');
  let token: string | undefined;
  if (spec.annotation === 'typo') cartKsa.annotations = { [spec.typo]: CART_GSA };
  if (spec.annotation === 'hidden-cross-project') {
    cartKsa.annotations = { [WI_ANNOTATION]: READER_GSA };
    gsaSpec(s, 'acme-data', 'reader').policy = {
      bindings: [{ role: 'roles/iam.workloadIdentityUser', members: [CART_MEMBER] }],
    };
    // The tool runs as a caller that owns acme-shop only.
    s.callers = [DEFAULT_CALLER, { token: LIMITED_TOKEN, identity: LIMITED_IDENTITY }];
    shopProject.policy = {
      ...shopProject.policy,
      bindings: [...(shopProject.policy?.bindings ?? []), { role: 'roles/owner', members: [LIMITED_IDENTITY] }],
    };
    token = LIMITED_TOKEN;
  }

  const cart = gsaSpec(s, 'acme-shop', 'cart-gsa');
  if (spec.gsa === 'disabled') cart.disabled = true;
  if (spec.gsa === 'deleted') cart.deleted = true;
  const future = { title: 'until-2099', expression: 'request.time < timestamp("2099-01-01T00:00:00Z")' };
  const past = { title: 'until-2020', expression: 'request.time < timestamp("2020-01-01T00:00:00Z")' };
  const bindings = {
    ok: [{ role: 'roles/iam.workloadIdentityUser', members: [CART_MEMBER] }],
    dropped: [],
    'other-namespace': [
      { role: 'roles/iam.workloadIdentityUser', members: ['serviceAccount:acme-shop.svc.id.goog[default/cart]'] },
    ],
    'service-account-user': [{ role: 'roles/iam.serviceAccountUser', members: [CART_MEMBER] }],
    'conditional-valid': [{ role: 'roles/iam.workloadIdentityUser', members: [CART_MEMBER], condition: future }],
    'conditional-expired': [{ role: 'roles/iam.workloadIdentityUser', members: [CART_MEMBER], condition: past }],
  }[spec.binding];
  cart.policy = { ...(spec.binding.startsWith('conditional') ? { version: 3 } : {}), bindings };

  if (spec.hostNetwork !== 'none') workload(s, spec.hostNetwork).hostNetwork = true;
  if (spec.defaultKsa !== 'none') delete workload(s, spec.defaultKsa).serviceAccountName;
  if (spec.apiGrant === 'project') {
    shopProject.policy = {
      ...shopProject.policy,
      bindings: [
        ...(shopProject.policy?.bindings ?? []),
        { role: 'roles/storage.objectViewer', members: [API_PRINCIPAL] },
      ],
    };
  }

  const setup = (sb: RunningSandbox): void => {
    if (!spec.unlabelledNode) return;
    const c = sb.world.clusters[0];
    if (!c) throw new Error('no cluster');
    for (const node of c.store.list<Node>('nodes')) {
      if (node.metadata.labels?.['cloud.google.com/gke-nodepool'] !== 'default-pool') continue;
      const labels = Object.fromEntries(
        Object.entries(node.metadata.labels).filter(([key]) => key !== METADATA_SERVER_NODE_LABEL),
      );
      c.store.put('nodes', { ...node, metadata: { ...node.metadata, labels } });
    }
    syncMetadataServerPods(c);
  };
  return { scenario: s, setup, token };
}

/** What the oracle says about one KSA of a generated world. */
export interface Expected {
  /** No pod runs as it (its workload lost its serviceAccountName): nothing to compare. */
  compared: boolean;
  /** The chain checks that must fail. */
  failing: string[];
  /** The world hides facts the verdict needs from the tool: no failing check may be invented, unknown is right. */
  hidden: boolean;
  conditional: boolean;
}

/** The oracle. It reads the spec only, never the tool's facts. */
export function expectedFor(spec: WorldSpec, ksa: Workload): Expected {
  const compared = spec.defaultKsa !== ksa;
  const failing = new Set<string>();
  const hostNetwork = spec.hostNetwork === ksa;
  // Both workloads run on default-pool.
  if (spec.poolMode !== 'GKE_METADATA') {
    // No gke-metadata-server in the pool: the pool check names the cause, and none runs on the pods' node.
    failing.add('nodepool-gke-metadata');
    failing.add('metadata-server-healthy');
  } else if (spec.unlabelledNode) {
    // The pool is right, one node is not: the node's missing server fails the pods on it (the pool only warns).
    failing.add('metadata-server-healthy');
  }
  if (hostNetwork) failing.add('host-network');
  // Enforced policies that block the datapath's metadata path; hostNetwork pods are not on the pod network.
  // Pods on a node without the GKE metadata server ask the node's metadata server: their problem is the node.
  const blocks = spec.network === 'dpv2-deny-all' || spec.network === 'legacy-calico-80-only';
  const served = spec.poolMode === 'GKE_METADATA' && !spec.unlabelledNode;
  if (blocks && !hostNetwork && served) failing.add('network-policy-metadata');

  let hidden = false;
  let conditional = false;
  if (ksa === 'cart') {
    if (spec.annotation === 'typo') failing.add('ksa-annotation');
    else {
      // Impersonation: the token exchange needs the API, then the GSA and a binding on it.
      if (spec.iamcredentials === 'disabled') failing.add('iamcredentials-api-enabled');
      if (spec.annotation === 'hidden-cross-project') hidden = true;
      else if (spec.gsa === 'deleted') failing.add('gsa-exists');
      else {
        if (spec.gsa === 'disabled') failing.add('gsa-enabled');
        if (spec.binding === 'dropped' || spec.binding === 'other-namespace' || spec.binding === 'service-account-user')
          failing.add('wi-binding');
        if (spec.binding === 'conditional-valid' || spec.binding === 'conditional-expired') conditional = true;
      }
    }
  }
  return { compared, failing: [...failing].sort(), hidden, conditional };
}
