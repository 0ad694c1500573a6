import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import check from '../../src/checks/iamcredentials-api-enabled.js';

const SERVICES = 'gcp/projects/acme-shop.services.json';
const withoutIamCredentials = (list: { config?: { name?: string } }[]): unknown[] =>
  list.filter((s) => s.config?.name !== 'iamcredentials.googleapis.com');

describeCheck(check, [
  {
    name: 'enabled in the cluster project passes',
    expect: { status: 'pass', subject: 'projects/acme-shop', cause: /ENABLED in project `acme-shop`/ },
  },
  {
    name: 'absent from the enabled list fails with enable-service',
    patch: (b) => b.edit(SERVICES, withoutIamCredentials),
    expect: {
      status: 'fail',
      cause: /not enabled.*`acme-shop`/,
      fix: ['enable-service'],
      evidence: (e) => expect(e.actual).toMatch(/not enabled/),
    },
  },
  {
    name: 'a DISABLED state fails',
    patch: (b) =>
      b.edit(SERVICES, (list: any[]) => {
        list.find((s) => s.config?.name === 'iamcredentials.googleapis.com').state = 'DISABLED';
      }),
    expect: { status: 'fail', cause: /DISABLED/, fix: ['enable-service'] },
  },
  {
    name: 'fix names the project and the service',
    patch: (b) => b.edit(SERVICES, withoutIamCredentials),
    expect: (results) => {
      expect(results).toHaveLength(1);
      expect(results[0]!.fix[0]).toMatchObject({
        target: 'projects/acme-shop',
        params: { service: 'iamcredentials.googleapis.com' },
      });
    },
  },
  {
    name: 'services not collected is unknown',
    patch: (b) => b.remove(SERVICES),
    expect: { status: 'unknown' },
  },
  {
    name: 'services unreadable is unknown with the error',
    patch: (b) => b.error(SERVICES, '403 PERMISSION_DENIED: serviceusage.services.list'),
    expect: { status: 'unknown', cause: /403|PERMISSION_DENIED/ },
  },
  {
    name: 'a GSA project state is shown as a note and does not decide',
    patch: (b) =>
      b.set('gcp/projects/acme-data.services.json', [
        {
          name: 'projects/210987654321/services/storage.googleapis.com',
          config: { name: 'storage.googleapis.com' },
          state: 'ENABLED',
        },
      ]),
    expect: {
      status: 'pass',
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/`acme-data`.*not enabled/),
    },
  },
]);
