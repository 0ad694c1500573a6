import check from '../../src/checks/zonal-cluster.js';
import { describeCheck } from '../helpers/check-table.js';

const CLUSTER = 'projects/acme-shop/locations/europe-west1/clusters/prod';
const locate = (location: string) => (c: { location: string }) => {
  c.location = location;
};

describeCheck(check, [
  { name: 'healthy: regional', expect: { status: 'pass', subject: CLUSTER, cause: /regional \(`europe-west1`\)/ } },
  {
    name: 'a zone: warn',
    patch: (b) => b.edit('gcp/cluster.json', locate('europe-west1-b')),
    expect: { status: 'warn', subject: CLUSTER, cause: /zonal \(`europe-west1-b`\)/, fix: ['manual'] },
  },
  {
    name: 'neither a zone nor a region: unknown',
    patch: (b) => b.edit('gcp/cluster.json', locate('moon-base-1')),
    expect: { status: 'unknown', subject: CLUSTER },
  },
  {
    name: 'the cluster unreadable: unknown',
    patch: (b) => b.error('gcp/cluster.json', '403'),
    expect: { status: 'unknown', subject: CLUSTER },
  },
]);
