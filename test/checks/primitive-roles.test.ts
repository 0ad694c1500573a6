import { expect } from 'vitest';
import check from '../../src/checks/primitive-roles.js';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';

const CART = 'cart@acme-shop.iam.gserviceaccount.com';
const PROJECT_POLICY = 'gcp/projects/acme-shop.iam-policy.json';
const ORG_POLICY = 'gcp/organizations/987654321098.iam-policy.json';

function grant(b: BundleEditor, path: string, role: string, member: string, condition?: object): void {
  b.edit(path, (p: { bindings: object[] }) => {
    p.bindings.push({ role, members: [member], ...(condition ? { condition } : {}) });
  });
}

describeCheck(check, [
  {
    // Precision traps of the example world: the Compute default account holds roles/editor and a user holds
    // roles/owner on acme-shop, but no KSA uses either.
    name: 'healthy: pass for the one GSA a KSA uses; basic roles of accounts no KSA uses are no finding',
    expect: (results) => {
      expect(results.map((r) => [r.subject, r.status])).toEqual([[CART, 'pass']]);
      expect(results[0]?.cause).toMatch(/projects\/acme-shop/);
    },
  },
  {
    name: 'roles/editor on the project: fail, remove the role',
    patch: (b) => grant(b, PROJECT_POLICY, 'roles/editor', `serviceAccount:${CART}`),
    expect: {
      status: 'fail',
      subject: CART,
      cause: /used by KSA `shop\/cart`, holds `roles\/editor` on `projects\/acme-shop`/,
      fix: ['manual', 'remove-iam-member'],
    },
  },
  {
    name: 'roles/owner inherited from the organization: fail, on the organization',
    patch: (b) => grant(b, ORG_POLICY, 'roles/owner', `serviceAccount:${CART}`),
    expect: {
      status: 'fail',
      subject: CART,
      cause: /`roles\/owner` on `organizations\/987654321098`/,
      fix: ['manual', 'remove-iam-member'],
    },
  },
  {
    name: 'roles/viewer only: warn',
    patch: (b) => grant(b, PROJECT_POLICY, 'roles/viewer', `serviceAccount:${CART}`),
    expect: { status: 'warn', subject: CART, cause: /read almost everything/ },
  },
  {
    name: 'the member is matched whatever its case',
    patch: (b) => grant(b, PROJECT_POLICY, 'roles/editor', `serviceAccount:${CART.toUpperCase()}`),
    expect: { status: 'fail', subject: CART },
  },
  {
    name: 'a conditional editor grant still fails, with a note',
    patch: (b) =>
      grant(b, PROJECT_POLICY, 'roles/editor', `serviceAccount:${CART}`, {
        title: 'office hours',
        expression: 'request.time.getHours("Europe/Berlin") < 18',
      }),
    expect: {
      status: 'fail',
      subject: CART,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/conditional grant still applies/),
    },
  },
  {
    name: 'trap: roles/editor on reader@acme-data, which no KSA uses, gives no result for it',
    patch: (b) =>
      grant(
        b,
        'gcp/projects/acme-data.iam-policy.json',
        'roles/editor',
        'serviceAccount:reader@acme-data.iam.gserviceaccount.com',
      ),
    expect: (results) => expect(results.map((r) => [r.subject, r.status])).toEqual([[CART, 'pass']]),
  },
  {
    name: 'trap: a non-basic admin role is not a basic role',
    patch: (b) => grant(b, PROJECT_POLICY, 'roles/storage.admin', `serviceAccount:${CART}`),
    expect: { status: 'pass', subject: CART },
  },
  {
    name: 'the GSA project policy unreadable: unknown, naming what to collect',
    patch: (b) => b.error(PROJECT_POLICY, '403 PERMISSION_DENIED'),
    expect: { status: 'unknown', subject: CART, missing: /gcloud projects get-iam-policy acme-shop/ },
  },
  {
    name: 'a grant found is reported even when another policy is unreadable',
    patch: (b) => {
      grant(b, PROJECT_POLICY, 'roles/editor', `serviceAccount:${CART}`);
      b.error(ORG_POLICY, '403 PERMISSION_DENIED');
    },
    expect: {
      status: 'fail',
      subject: CART,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/organizations\/987654321098.*not readable/),
    },
  },
  {
    name: 'the annotated GSA does not exist: skip (gsa-exists reports it)',
    example: 'gsa-missing',
    expect: { status: 'skip', subject: CART, cause: /gsa-exists/ },
  },
  {
    name: 'no KSA is annotated: one skip about the cluster',
    patch: (b) =>
      b.k8s('serviceaccounts', 'shop', 'cart', (o: { metadata: { annotations?: object } }) => {
        delete o.metadata.annotations;
      }),
    expect: {
      status: 'skip',
      subject: 'projects/acme-shop/locations/europe-west1/clusters/prod',
      cause: /no KSA of the cluster is annotated/,
    },
  },
  {
    name: 'the KSAs unreadable: unknown about the cluster',
    patch: (b) => b.error('k8s:serviceaccounts', '403 Forbidden'),
    expect: { status: 'unknown', subject: 'projects/acme-shop/locations/europe-west1/clusters/prod' },
  },
]);
