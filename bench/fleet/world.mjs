// The fleet benchmark's world: an organization of N.projects projects under 10 folders, N.clusters clusters (one
// in each of the first projects), N.ksas KSAs and N.gsas GSAs spread over the clusters (KSA k of a cluster
// annotated for GSA k mod G of its project, each GSA's policy binding exactly its KSAs), latency on every call.

import { latencyFaults } from '../live/world.mjs';

export const ORG = '512345678901';
export const pid = (i) => `fleet-p${String(i).padStart(3, '0')}`;
const gsaEmail = (p, g) => `app-${String(g).padStart(4, '0')}@${pid(p)}.iam.gserviceaccount.com`;

/** The organization: clusters in the first projects, GSAs spread over the cluster projects, KSAs over the clusters. */
export function fleetScenario(N) {
  const folders = Array.from({ length: 10 }, (_, f) => ({
    id: String(9000 + f),
    displayName: `team-${f}`,
    parent: `organizations/${ORG}`,
  }));
  const projects = [];
  const clusters = [];
  for (let p = 0; p < N.projects; p++) {
    projects.push({
      id: pid(p),
      number: String(700000000000 + p),
      parent: `folders/${9000 + (p % 10)}`,
      policy: { bindings: [{ role: 'roles/viewer', members: [`user:team-${p % 10}@example.com`] }] },
    });
  }
  const gsasPer = (c) => Math.floor(N.gsas / N.clusters) + (c < N.gsas % N.clusters ? 1 : 0);
  const ksasPer = (c) => Math.floor(N.ksas / N.clusters) + (c < N.ksas % N.clusters ? 1 : 0);
  for (let c = 0; c < N.clusters; c++) {
    const G = gsasPer(c);
    const members = Array.from({ length: G }, () => []);
    const namespaces = new Map();
    for (let k = 0; k < ksasPer(c); k++) {
      const ns = `team-${String(k % 10).padStart(2, '0')}`;
      const name = `app-${k}`;
      members[k % G].push(`serviceAccount:${pid(c)}.svc.id.goog[${ns}/${name}]`);
      const entry = namespaces.get(ns) ?? { name: ns, serviceAccounts: [] };
      entry.serviceAccounts.push({ name, annotations: { 'iam.gke.io/gcp-service-account': gsaEmail(c, k % G) } });
      namespaces.set(ns, entry);
    }
    projects[c].serviceAccounts = [
      { name: 'gke-nodes' },
      ...members.map((m, g) => ({
        name: `app-${String(g).padStart(4, '0')}`,
        policy: { bindings: [{ role: 'roles/iam.workloadIdentityUser', members: m }] },
      })),
    ];
    clusters.push({
      project: pid(c),
      location: 'europe-west1',
      name: `c${String(c).padStart(2, '0')}`,
      nodePools: [
        { name: 'default-pool', serviceAccount: `gke-nodes@${pid(c)}.iam.gserviceaccount.com`, nodeCount: 1 },
      ],
      namespaces: [...namespaces.values()],
    });
  }
  return {
    name: 'bench-fleet',
    description: 'wi-doctor fleet benchmark world (healthy)',
    seed: 7,
    organization: { id: ORG, displayName: 'bench.example' },
    folders,
    projects,
    clusters,
    faults: latencyFaults(),
  };
}
