import check from '../../src/checks/principal-set-grants.js';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';

const CLUSTER = 'projects/acme-shop/locations/europe-west1/clusters/prod';
const BUCKET = 'gcp/resources/acme-shop-assets.json';
const POOL = 'projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog';
const NAMESPACE_SET = `principalSet://iam.googleapis.com/${POOL}/namespace/shop`;
const CLUSTER_SET = `principalSet://iam.googleapis.com/${POOL}/kubernetes.cluster/https://container.googleapis.com/v1/${CLUSTER}`;

function onBucket(b: BundleEditor, member: string): void {
  b.edit(BUCKET, (r: { policy: { bindings: object[] } }) => {
    r.policy.bindings.push({ role: 'roles/storage.objectViewer', members: [member] });
  });
}

describeCheck(check, [
  { name: 'healthy: only named KSAs are granted', expect: { status: 'pass', subject: CLUSTER } },
  {
    name: 'a namespace set on a bucket: warn, remove it',
    patch: (b) => onBucket(b, NAMESPACE_SET),
    expect: {
      status: 'warn',
      subject: CLUSTER,
      cause: /granted to every KSA of namespace `shop`/,
      fix: ['remove-iam-member'],
    },
  },
  {
    name: 'a cluster set on a GSA: warn',
    patch: (b) =>
      b.edit(
        'gcp/service-accounts/cart@acme-shop.iam.gserviceaccount.com.iam-policy.json',
        (p: { bindings: { members: string[] }[] }) => {
          p.bindings[0]?.members.push(CLUSTER_SET);
        },
      ),
    expect: { status: 'warn', subject: CLUSTER, cause: /every KSA of cluster/ },
  },
  {
    name: 'two grants: one result, counted',
    patch: (b) => {
      onBucket(b, NAMESPACE_SET);
      b.edit('gcp/projects/acme-shop.iam-policy.json', (p: { bindings: object[] }) => {
        p.bindings.push({ role: 'roles/pubsub.subscriber', members: [CLUSTER_SET] });
      });
    },
    expect: {
      status: 'warn',
      subject: CLUSTER,
      cause: /and 1 more principalSet grant/,
      fix: ['remove-iam-member', 'remove-iam-member'],
    },
  },
  {
    name: 'trap: a set of another pool is not this cluster’s',
    patch: (b) => onBucket(b, NAMESPACE_SET.replace('acme-shop.svc.id.goog', 'acme-data.svc.id.goog')),
    expect: { status: 'pass', subject: CLUSTER },
  },
  {
    name: 'nothing found but a policy unreadable: unknown',
    patch: (b) => b.error('gcp/service-accounts/cart@acme-shop.iam.gserviceaccount.com.iam-policy.json', '403'),
    expect: { status: 'unknown', subject: CLUSTER, missing: /get-iam-policy cart@acme-shop/ },
  },
  {
    name: 'no workload pool: skip',
    example: 'no-workload-pool',
    expect: { status: 'skip', subject: CLUSTER },
  },
]);
