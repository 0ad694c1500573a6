// The benchmark's worlds: N KSAs spread over namespaces, each annotated for one of G GSAs (KSA i → GSA i mod G)
// and run by a one-pod Deployment; every GSA's policy grants roles/iam.workloadIdentityUser to exactly the
// KSAs that name it. A healthy world, so that the collector reads everything a verdict needs and nothing fails.

import { GOOGLE_APIS as SANDBOX_APIS } from '../../dist/sandbox/index.js';

export const PROJECT = 'acme-shop';
export const PROJECT_NUMBER = '123456789012';
export const POOL = `${PROJECT}.svc.id.goog`;
export const CLUSTER = { project: PROJECT, location: 'europe-west1', name: 'prod' };

/** Latency per call, as the brief asks: Google 80 ms, Kubernetes 10 ms. */
export const GOOGLE_LATENCY_MS = 80;
export const KUBE_LATENCY_MS = 10;
// The sandbox's own list of Google APIs (one port each), lower-cased as fault rules name them.
const GOOGLE_APIS = SANDBOX_APIS.map((api) => api.toLowerCase());

export function latencyFaults() {
  return {
    seed: 1,
    rules: [
      ...GOOGLE_APIS.map((api) => ({ api, latencyMs: GOOGLE_LATENCY_MS })),
      { api: 'kubernetes', latencyMs: KUBE_LATENCY_MS },
    ],
  };
}

export const gsaName = (g) => `app-${String(g).padStart(4, '0')}`;
export const gsaEmail = (g) => `${gsaName(g)}@${PROJECT}.iam.gserviceaccount.com`;

/** The KSAs of a world, in order: {namespace, name, gsa, deployment}. */
export function ksasOf({ ksas, gsas, namespaces }) {
  return Array.from({ length: ksas }, (_, i) => ({
    namespace: `team-${String(i % namespaces).padStart(3, '0')}`,
    name: `app-${i}`,
    gsa: gsaEmail(i % gsas),
    deployment: `app-${i}`,
  }));
}

/** A parsed Scenario (src/sandbox/scenario/types.ts) for startSandbox({scenario}). */
export function benchScenario({ ksas, gsas, namespaces, nodes }) {
  const list = ksasOf({ ksas, gsas, namespaces });
  const members = new Map();
  const byNamespace = new Map();
  for (const k of list) {
    const m = members.get(k.gsa) ?? [];
    m.push(`serviceAccount:${POOL}[${k.namespace}/${k.name}]`);
    members.set(k.gsa, m);
    const ns = byNamespace.get(k.namespace) ?? { name: k.namespace, serviceAccounts: [], workloads: [] };
    ns.serviceAccounts.push({ name: k.name, annotations: { 'iam.gke.io/gcp-service-account': k.gsa } });
    ns.workloads.push({ kind: 'Deployment', name: k.deployment, serviceAccountName: k.name, replicas: 1 });
    byNamespace.set(k.namespace, ns);
  }
  return {
    name: `bench-${ksas}-ksas-${gsas}-gsas`,
    description: 'wi-doctor live-collection benchmark world (healthy)',
    seed: 7,
    projects: [
      {
        id: PROJECT,
        number: PROJECT_NUMBER,
        serviceAccounts: [
          { name: 'gke-nodes', displayName: 'GKE nodes' },
          ...Array.from({ length: gsas }, (_, g) => ({
            name: gsaName(g),
            policy: {
              bindings: [{ role: 'roles/iam.workloadIdentityUser', members: members.get(gsaEmail(g)) ?? [] }],
            },
          })),
        ],
      },
    ],
    clusters: [
      {
        ...CLUSTER,
        nodePools: [
          { name: 'default-pool', serviceAccount: `gke-nodes@${PROJECT}.iam.gserviceaccount.com`, nodeCount: nodes },
        ],
        namespaces: [...byNamespace.values()],
      },
    ],
    faults: latencyFaults(),
  };
}

/** The three sizes of the brief. */
export const SIZES = {
  small: { ksas: 1, gsas: 1, namespaces: 1, nodes: 2 },
  medium: { ksas: 200, gsas: 40, namespaces: 20, nodes: 10 },
  large: { ksas: 5000, gsas: 500, namespaces: 100, nodes: 50 },
};
