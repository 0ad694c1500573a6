import { expect } from 'vitest';
import check from '../../src/checks/project-level-impersonation.js';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';

const PROJECT = 'projects/acme-shop';
const PROJECT_POLICY = 'gcp/projects/acme-shop.iam-policy.json';
const CART_MEMBER = 'serviceAccount:acme-shop.svc.id.goog[shop/cart]';
const NAMESPACE_SET =
  'principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/namespace/shop';

function grant(b: BundleEditor, role: string, member: string, condition?: object): void {
  b.edit(PROJECT_POLICY, (p: { bindings: object[] }) => {
    p.bindings.push({ role, members: [member], ...(condition ? { condition } : {}) });
  });
}

describeCheck(check, [
  {
    // Traps: the example project grants roles/editor (which includes actAs) to the Compute default account and
    // the Google APIs service agent, and roles/owner to a user: basic roles are primitive-roles' concern.
    name: 'healthy: pass; basic roles are left to primitive-roles',
    expect: {
      status: 'pass',
      subject: PROJECT,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/primitive-roles/),
    },
  },
  {
    name: 'workloadIdentityUser to a KSA on the project: fail; grant it on its GSA, then remove it',
    patch: (b) => grant(b, 'roles/iam.workloadIdentityUser', CART_MEMBER),
    expect: {
      status: 'fail',
      subject: PROJECT,
      cause: /KSA `shop\/cart` can impersonate any account of the project/,
      fix: ['add-iam-binding', 'remove-iam-member'],
    },
  },
  {
    name: 'tokenCreator to a namespace principalSet: fail',
    patch: (b) => grant(b, 'roles/iam.serviceAccountTokenCreator', NAMESPACE_SET),
    expect: { status: 'fail', subject: PROJECT, cause: /every KSA of namespace `shop`/, fix: ['remove-iam-member'] },
  },
  {
    name: 'serviceAccountUser (actAs) to a GSA the cluster uses: fail',
    patch: (b) => grant(b, 'roles/iam.serviceAccountUser', 'serviceAccount:cart@acme-shop.iam.gserviceaccount.com'),
    expect: { status: 'fail', subject: PROJECT, cause: /GSA `cart@acme-shop.iam.gserviceaccount.com` is used by KSAs/ },
  },
  {
    name: 'tokenCreator to a user: warn',
    patch: (b) => grant(b, 'roles/iam.serviceAccountTokenCreator', 'user:dev@acme.example'),
    expect: { status: 'warn', subject: PROJECT, cause: /`user:dev@acme.example` can use any account/ },
  },
  {
    name: 'a custom role with getAccessToken counts (roles resolved to permissions)',
    patch: (b) => {
      b.set('gcp/roles/projects~acme-shop~roles~minter.json', {
        name: 'projects/acme-shop/roles/minter',
        includedPermissions: ['iam.serviceAccounts.getAccessToken'],
      });
      grant(b, 'projects/acme-shop/roles/minter', CART_MEMBER);
    },
    expect: { status: 'fail', subject: PROJECT },
  },
  {
    name: 'a custom role that cannot be resolved, nothing else found: unknown',
    patch: (b) => grant(b, 'projects/acme-shop/roles/mystery', 'user:dev@acme.example'),
    expect: { status: 'unknown', subject: PROJECT, missing: /gcloud iam roles describe mystery --project acme-shop/ },
  },
  {
    name: 'a conditional project grant: warn at most (the condition may name the accounts)',
    patch: (b) =>
      grant(b, 'roles/iam.workloadIdentityUser', CART_MEMBER, {
        title: 'cart only',
        expression: "resource.name == 'projects/-/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com'",
      }),
    expect: { status: 'warn', subject: PROJECT },
  },
  {
    name: 'trap: a Google-managed service agent with tokenCreator is left out',
    patch: (b) =>
      grant(
        b,
        'roles/iam.serviceAccountTokenCreator',
        'serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com',
      ),
    expect: {
      status: 'pass',
      subject: PROJECT,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/service agent/),
    },
  },
  {
    name: 'trap: the same role on one service account is no finding',
    patch: (b) =>
      b.edit(
        'gcp/service-accounts/cart@acme-shop.iam.gserviceaccount.com.iam-policy.json',
        (p: { bindings: object[] }) => {
          p.bindings.push({ role: 'roles/iam.serviceAccountTokenCreator', members: ['user:dev@acme.example'] });
        },
      ),
    expect: { status: 'pass', subject: PROJECT },
  },
  {
    name: 'trap: a role without impersonation permissions is no finding',
    patch: (b) => grant(b, 'roles/iam.serviceAccountViewer', CART_MEMBER),
    expect: { status: 'pass', subject: PROJECT },
  },
  {
    name: 'the project policy unreadable: unknown',
    patch: (b) => b.error(PROJECT_POLICY, '403 PERMISSION_DENIED'),
    expect: { status: 'unknown', subject: PROJECT, missing: /gcloud projects get-iam-policy acme-shop/ },
  },
]);
