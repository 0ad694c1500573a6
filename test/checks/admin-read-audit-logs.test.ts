import { expect } from 'vitest';
import check from '../../src/checks/admin-read-audit-logs.js';
import { describeCheck } from '../helpers/check-table.js';

const PROJECT = 'projects/acme-shop';
const POLICY = 'gcp/projects/acme-shop.iam-policy.json';
const auditConfigs = (configs: object[] | undefined) => (p: { auditConfigs?: object[] }) => {
  if (configs === undefined) delete p.auditConfigs;
  else p.auditConfigs = configs;
};

describeCheck(check, [
  {
    name: 'healthy: on for iam.googleapis.com',
    expect: { status: 'pass', subject: PROJECT, cause: /GenerateAccessToken is logged/ },
  },
  {
    name: 'on through allServices',
    patch: (b) =>
      b.edit(POLICY, auditConfigs([{ service: 'allServices', auditLogConfigs: [{ logType: 'ADMIN_READ' }] }])),
    expect: { status: 'pass', subject: PROJECT, cause: /`allServices`/ },
  },
  {
    name: 'no auditConfigs: warn, turn them on; the unread organization config is named',
    patch: (b) => {
      b.edit(POLICY, auditConfigs(undefined));
      b.remove('gcp/organizations/987654321098.iam-policy.json');
    },
    expect: {
      status: 'warn',
      subject: PROJECT,
      cause: /off for `iam.googleapis.com` in project `acme-shop` \(as far as the project policy shows\)/,
      fix: ['enable-audit-logs'],
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/were not collected/),
    },
  },
  {
    name: 'trap: DATA_READ alone is not enough',
    patch: (b) =>
      b.edit(POLICY, auditConfigs([{ service: 'iam.googleapis.com', auditLogConfigs: [{ logType: 'DATA_READ' }] }])),
    expect: {
      status: 'warn',
      subject: PROJECT,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/DATA_READ is on, but only ADMIN_READ/),
    },
  },
  {
    name: 'trap: ADMIN_READ for another service is not IAM',
    patch: (b) =>
      b.edit(
        POLICY,
        auditConfigs([{ service: 'storage.googleapis.com', auditLogConfigs: [{ logType: 'ADMIN_READ' }] }]),
      ),
    expect: { status: 'warn', subject: PROJECT },
  },
  {
    name: 'inherited from a readable organization policy: pass',
    patch: (b) => {
      b.edit(POLICY, auditConfigs(undefined));
      b.edit(
        'gcp/organizations/987654321098.iam-policy.json',
        auditConfigs([{ service: 'allServices', auditLogConfigs: [{ logType: 'ADMIN_READ' }] }]),
      );
    },
    expect: { status: 'pass', subject: PROJECT, cause: /organizations\/987654321098/ },
  },
  {
    name: 'exempted members are named',
    patch: (b) =>
      b.edit(
        POLICY,
        auditConfigs([
          {
            service: 'iam.googleapis.com',
            auditLogConfigs: [{ logType: 'ADMIN_READ', exemptedMembers: ['user:ci@acme.example'] }],
          },
        ]),
      ),
    expect: {
      status: 'pass',
      subject: PROJECT,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/user:ci@acme.example/),
    },
  },
  {
    name: 'the project policy unreadable: unknown',
    patch: (b) => b.error(POLICY, '403 PERMISSION_DENIED'),
    expect: { status: 'unknown', subject: PROJECT },
  },
]);
