import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import check from '../../src/checks/cluster-workload-pool.js';

const CLUSTER = 'gcp/cluster.json';
const SUBJECT = 'projects/acme-shop/locations/europe-west1/clusters/prod';

describeCheck(check, [
  {
    name: 'own project pool passes',
    expect: { status: 'pass', subject: SUBJECT, cause: /`acme-shop\.svc\.id\.goog`/ },
  },
  {
    name: 'no workloadIdentityConfig fails with enable-workload-identity',
    patch: (b) =>
      b.edit(CLUSTER, (c: any) => {
        delete c.workloadIdentityConfig;
      }),
    expect: {
      status: 'fail',
      cause: /no workloadIdentityConfig/,
      fix: ['enable-workload-identity'],
    },
  },
  {
    name: 'the fix sets the cluster project pool on the cluster',
    patch: (b) =>
      b.edit(CLUSTER, (c: any) => {
        delete c.workloadIdentityConfig;
      }),
    expect: (results) => {
      expect(results[0]!.fix[0]).toMatchObject({ target: SUBJECT, params: { workloadPool: 'acme-shop.svc.id.goog' } });
    },
  },
  {
    name: 'a pool of another project fails',
    patch: (b) =>
      b.edit(CLUSTER, (c: any) => {
        c.workloadIdentityConfig.workloadPool = 'acme-data.svc.id.goog';
      }),
    expect: {
      status: 'fail',
      cause: /`acme-data\.svc\.id\.goog`.*neither the cluster's project nor its fleet host project/,
      fix: ['enable-workload-identity'],
      evidence: (e) => {
        expect(e.expected).toBe('acme-shop.svc.id.goog');
        expect(e.actual).toBe('acme-data.svc.id.goog');
      },
    },
  },
  {
    name: 'the fleet host project pool passes with a note (fleet.project as id)',
    patch: (b) =>
      b.edit(CLUSTER, (c: any) => {
        c.workloadIdentityConfig.workloadPool = 'acme-data.svc.id.goog';
        c.fleet = {
          project: 'acme-data',
          membership: '//gkehub.googleapis.com/projects/acme-data/locations/global/memberships/prod',
        };
      }),
    expect: {
      status: 'pass',
      cause: /fleet host project `acme-data`/,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/fleet host project/),
    },
  },
  {
    name: 'the fleet host project pool passes when fleet.project is a number',
    patch: (b) =>
      b.edit(CLUSTER, (c: any) => {
        c.workloadIdentityConfig.workloadPool = 'acme-data.svc.id.goog';
        c.fleet = { project: '210987654321' };
      }),
    expect: { status: 'pass', cause: /fleet host project `acme-data`/ },
  },
  {
    name: 'a numeric fleet project that does not match the pool fails',
    patch: (b) =>
      b.edit(CLUSTER, (c: any) => {
        c.workloadIdentityConfig.workloadPool = 'acme-data.svc.id.goog';
        c.fleet = { project: '555555555555' };
      }),
    expect: { status: 'fail', fix: ['enable-workload-identity'] },
  },
  {
    name: 'a numeric fleet project without the pool project describe is unknown',
    patch: (b) => {
      b.edit(CLUSTER, (c: any) => {
        c.workloadIdentityConfig.workloadPool = 'acme-data.svc.id.goog';
        c.fleet = { project: '210987654321' };
      });
      b.remove('gcp/projects/acme-data.json');
    },
    expect: { status: 'unknown' },
  },
  {
    name: 'a malformed pool fails',
    patch: (b) =>
      b.edit(CLUSTER, (c: any) => {
        c.workloadIdentityConfig.workloadPool = 'acme-shop.example.com';
      }),
    expect: { status: 'fail', cause: /not a workload pool name/ },
  },
  {
    name: 'cluster not collected is unknown',
    patch: (b) => b.remove(CLUSTER),
    expect: (results) => {
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) expect(r.status).toBe('unknown');
    },
  },
]);
