import { expect } from 'vitest';
import check from '../../src/checks/node-default-sa.js';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';

const POOL = 'projects/acme-shop/locations/europe-west1/clusters/prod/nodePools/batch-pool';
const COMPUTE = '123456789012-compute@developer.gserviceaccount.com';

function runAs(b: BundleEditor, serviceAccount: string | undefined, mode?: string): void {
  b.edit(
    'gcp/cluster.json',
    (c: {
      nodePools: { name: string; config: { serviceAccount?: string; workloadMetadataConfig?: { mode?: string } } }[];
    }) => {
      const pool = c.nodePools.find((p) => p.name === 'batch-pool');
      if (!pool) throw new Error('no batch-pool');
      if (serviceAccount === undefined) delete pool.config.serviceAccount;
      else pool.config.serviceAccount = serviceAccount;
      if (mode !== undefined) pool.config.workloadMetadataConfig = { mode };
    },
  );
}

describeCheck(check, [
  {
    // Trap: the Compute default account holds roles/editor on acme-shop, but no pool runs as it.
    name: 'healthy: both pools run as gke-nodes',
    expect: (results) => expect(results.map((r) => r.status)).toEqual(['pass', 'pass']),
  },
  {
    name: '`default` with roles/editor on the project: fail',
    patch: (b) => runAs(b, 'default'),
    expect: {
      status: 'fail',
      subject: POOL,
      cause: new RegExp(`runs as \`${COMPUTE}\`, which holds \`roles/editor\``),
      fix: ['manual'],
    },
  },
  {
    name: 'no serviceAccount field means the default account too',
    patch: (b) => runAs(b, undefined),
    expect: { status: 'fail', subject: POOL },
  },
  {
    name: 'the default account by email, without a basic role: warn',
    patch: (b) => {
      runAs(b, COMPUTE);
      b.edit('gcp/projects/acme-shop.iam-policy.json', (p: { bindings: { role: string; members: string[] }[] }) => {
        p.bindings = p.bindings.filter((x) => x.role !== 'roles/editor');
      });
    },
    expect: { status: 'warn', subject: POOL, cause: /no basic role on project/ },
  },
  {
    // Trap: a non-basic role on the default account is not the basic-role finding.
    name: 'the default account holding only a non-basic role: warn',
    patch: (b) => {
      runAs(b, 'default');
      b.edit('gcp/projects/acme-shop.iam-policy.json', (p: { bindings: { role: string; members: string[] }[] }) => {
        p.bindings = p.bindings.filter((x) => x.role !== 'roles/editor');
        p.bindings.push({ role: 'roles/pubsub.publisher', members: [`serviceAccount:${COMPUTE}`] });
      });
    },
    expect: { status: 'warn', subject: POOL, cause: /no basic role on project/ },
  },
  {
    name: 'a pool not on GKE_METADATA exposes it to every pod',
    patch: (b) => runAs(b, 'default', 'GCE_METADATA'),
    expect: { status: 'fail', subject: POOL, cause: /every pod of the pool reaches it/ },
  },
  {
    name: 'the project policy unreadable: warn, roles unknown',
    patch: (b) => {
      runAs(b, 'default');
      b.error('gcp/projects/acme-shop.iam-policy.json', '403');
    },
    expect: {
      status: 'warn',
      subject: POOL,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/roles are unknown/),
    },
  },
  {
    name: 'the cluster unreadable: unknown',
    patch: (b) => b.error('gcp/cluster.json', '403'),
    expect: { status: 'unknown' },
  },
]);
