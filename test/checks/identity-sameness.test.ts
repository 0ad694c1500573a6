import { expect } from 'vitest';
import check from '../../src/checks/identity-sameness.js';
import { describeCheck } from '../helpers/check-table.js';

const CLUSTER = 'projects/acme-shop/locations/europe-west1/clusters/prod';
const CLUSTERS = 'gcp/projects/acme-shop.clusters.json';
type Cluster = { name: string; location?: string; workloadIdentityConfig?: { workloadPool?: string } };
const withStaging = (pool?: string) => (list: Cluster[]) => [
  ...list,
  {
    ...list[0],
    name: 'staging',
    location: 'europe-west1-b',
    ...(pool ? { workloadIdentityConfig: { workloadPool: pool } } : { workloadIdentityConfig: undefined }),
  },
];

describeCheck(check, [
  { name: 'healthy: the pool serves prod alone', expect: { status: 'pass', subject: CLUSTER } },
  {
    name: 'another cluster of the project with the same pool: warn, naming it',
    patch: (b) => b.edit(CLUSTERS, withStaging('acme-shop.svc.id.goog')),
    expect: {
      status: 'warn',
      subject: CLUSTER,
      cause: /shared with 1 other cluster \(`projects\/acme-shop\/locations\/europe-west1-b\/clusters\/staging`\)/,
      fix: ['manual'],
    },
  },
  {
    name: 'trap: another cluster without Workload Identity shares nothing',
    patch: (b) => b.edit(CLUSTERS, withStaging()),
    expect: { status: 'pass', subject: CLUSTER },
  },
  {
    name: 'a fleet membership is noted',
    patch: (b) =>
      b.edit('gcp/cluster.json', (c: { fleet?: object }) => {
        c.fleet = { project: 'acme-fleet', membership: 'projects/1/locations/global/memberships/prod' };
      }),
    expect: {
      status: 'pass',
      subject: CLUSTER,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/fleet `acme-fleet`/),
    },
  },
  {
    name: 'no workload pool: skip',
    example: 'no-workload-pool',
    expect: { status: 'skip', subject: CLUSTER, cause: /cluster-workload-pool/ },
  },
  {
    name: 'the clusters list not collected: unknown with the command',
    patch: (b) => b.remove(CLUSTERS),
    expect: { status: 'unknown', subject: CLUSTER, missing: /gcloud container clusters list --project acme-shop/ },
  },
]);
