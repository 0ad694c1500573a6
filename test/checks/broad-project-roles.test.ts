import { expect } from 'vitest';
import check from '../../src/checks/broad-project-roles.js';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';

const CART = 'cart@acme-shop.iam.gserviceaccount.com';
const PROJECT_POLICY = 'gcp/projects/acme-shop.iam-policy.json';

function grant(b: BundleEditor, role: string): void {
  b.edit(PROJECT_POLICY, (p: { bindings: object[] }) => {
    p.bindings.push({ role, members: [`serviceAccount:${CART}`] });
  });
}

describeCheck(check, [
  {
    // Trap: group:platform-team holds roles/container.admin on the project; it is no Workload Identity GSA.
    name: 'healthy: pass (roles/pubsub.publisher is no service-wide admin role)',
    expect: { status: 'pass', subject: CART },
  },
  {
    name: 'roles/storage.admin on the project: warn, grant on the resource instead',
    patch: (b) => grant(b, 'roles/storage.admin'),
    expect: {
      status: 'warn',
      subject: CART,
      cause: /holds `roles\/storage.admin` on `projects\/acme-shop`/,
      fix: ['manual', 'remove-iam-member'],
    },
  },
  {
    name: 'an admin role inherited from the organization: warn',
    patch: (b) =>
      b.edit('gcp/organizations/987654321098.iam-policy.json', (p: { bindings: object[] }) => {
        p.bindings.push({ role: 'roles/pubsub.admin', members: [`serviceAccount:${CART}`] });
      }),
    expect: { status: 'warn', subject: CART, cause: /`roles\/pubsub.admin` on `organizations\/987654321098`/ },
  },
  {
    name: 'trap: roles/storage.admin on a bucket is the good practice: pass, named',
    patch: (b) =>
      b.edit('gcp/resources/acme-shop-assets.json', (r: { policy: { bindings: object[] } }) => {
        r.policy.bindings.push({ role: 'roles/storage.admin', members: [`serviceAccount:${CART}`] });
      }),
    expect: {
      status: 'pass',
      subject: CART,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/resource-level grants \(the good practice\)/),
    },
  },
  {
    name: 'trap: a narrower admin role (not service-wide) is no finding',
    patch: (b) => grant(b, 'roles/compute.instanceAdmin'),
    expect: { status: 'pass', subject: CART },
  },
  {
    name: 'trap: basic roles are primitive-roles, not this check',
    patch: (b) => grant(b, 'roles/editor'),
    expect: { status: 'pass', subject: CART },
  },
  {
    name: 'the project policy unreadable and nothing found: unknown',
    patch: (b) => b.error(PROJECT_POLICY, '403 PERMISSION_DENIED'),
    expect: { status: 'unknown', subject: CART, missing: /gcloud projects get-iam-policy acme-shop/ },
  },
]);
