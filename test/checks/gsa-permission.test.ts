import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/gsa-permission.js';

const CART = { ksa: ['shop/cart'] };
const API = { ksa: ['shop/api'] };
const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const BUCKET = '//storage.googleapis.com/projects/_/buckets/acme-shop-assets';
const PROJECT_POLICY = 'gcp/projects/acme-shop.iam-policy.json';
const ORG_POLICY = 'gcp/organizations/987654321098.iam-policy.json';

function projectGrant(b: BundleEditor, binding: Record<string, unknown>): void {
  b.edit(PROJECT_POLICY, (p: any) => {
    p.bindings.push(binding);
    p.version = 3;
  });
}

function bucketGrant(b: BundleEditor, binding: Record<string, unknown>): void {
  b.edit('gcp/resources/acme-shop-assets.json', (r: any) => {
    r.policy.bindings.push(binding);
  });
}

describeCheck(check, [
  {
    name: 'without --need it is skipped',
    subject: CART,
    expect: { status: 'skip', cause: /--need/ },
  },
  // ---- passing
  {
    name: 'a permission granted through a project role passes (cluster project by default)',
    subject: CART,
    options: { need: ['pubsub.topics.publish'] },
    expect: {
      status: 'pass',
      cause: /GSA `cart@acme-shop\.iam\.gserviceaccount\.com` holds `pubsub\.topics\.publish` on project `acme-shop`/,
    },
  },
  {
    name: 'a role need passes when every permission of the role is granted',
    subject: CART,
    options: { need: ['roles/pubsub.publisher'] },
    expect: { status: 'pass' },
  },
  {
    name: 'direct binding: the KSA principal holds storage.objects.get on the bucket',
    subject: API,
    options: { need: ['storage.objects.get'], on: BUCKET },
    expect: { status: 'pass', cause: /principal of KSA `shop\/api`.*acme-shop-assets/ },
  },
  {
    name: 'a custom role containing the permission passes',
    subject: CART,
    options: { need: ['storage.objects.get'], on: BUCKET },
    patch: (b) => {
      b.set('gcp/roles/projects~acme-shop~roles~assetReader.json', {
        name: 'projects/acme-shop/roles/assetReader',
        includedPermissions: ['storage.objects.get', 'storage.objects.list'],
      });
      bucketGrant(b, { role: 'projects/acme-shop/roles/assetReader', members: [`serviceAccount:${GSA}`] });
    },
    expect: { status: 'pass', cause: /assetReader/ },
  },
  {
    name: '--on projects/P evaluates that project',
    subject: CART,
    options: { need: ['bigquery.tables.getData'], on: 'projects/acme-data' },
    patch: (b) =>
      b.edit('gcp/projects/acme-data.iam-policy.json', (p: any) => {
        p.bindings.push({ role: 'roles/bigquery.dataViewer', members: [`serviceAccount:${GSA}`] });
      }),
    expect: { status: 'pass', cause: /project `acme-data`/ },
  },

  // ---- §5.17 the identity lacks the role
  {
    name: 'missing permission on a resource fails, naming the smallest role, fixed on the resource',
    subject: CART,
    options: { need: ['storage.objects.get'], on: BUCKET },
    expect: {
      status: 'fail',
      cause:
        /lacks `storage\.objects\.get` on `\/\/storage\.googleapis\.com\/projects\/_\/buckets\/acme-shop-assets`; the smallest predefined role with it is `roles\//,
      fix: ['add-iam-binding'],
    },
  },
  {
    name: 'the fix is a resource-level grant of a role that has the permission',
    subject: CART,
    options: { need: ['storage.objects.get'], on: BUCKET },
    expect: (results) => {
      const [fix] = results[0]!.fix;
      // The smallest role of the permission's own service, not the smallest of any service.
      expect(fix).toMatchObject({
        action: 'add-iam-binding',
        target: BUCKET,
        params: { role: 'roles/storage.objectViewer', member: `serviceAccount:${GSA}` },
      });
    },
  },
  {
    name: 'permissions of two services get one role each, never one broad role',
    subject: CART,
    options: { need: ['secretmanager.versions.access', 'storage.objects.get'] },
    expect: (results) => {
      expect(results[0]!.status).toBe('fail');
      expect(results[0]!.fix.map((f) => f.params.role)).toEqual([
        'roles/secretmanager.secretAccessor',
        'roles/storage.objectViewer',
      ]);
    },
  },
  {
    name: 'a missing role need is fixed by granting that role',
    subject: CART,
    options: { need: ['roles/storage.objectViewer'], on: BUCKET },
    expect: (results) => {
      expect(results[0]!.status).toBe('fail');
      expect(results[0]!.fix.map((f) => f.params.role)).toEqual(['roles/storage.objectViewer']);
    },
  },
  {
    name: 'direct binding: the fix grants to the principal:// member',
    subject: API,
    options: { need: ['pubsub.topics.publish'] },
    expect: (results) => {
      expect(results[0]!.status).toBe('fail');
      expect(results[0]!.fix[0]!.params.member).toBe(
        'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/subject/ns/shop/sa/api',
      );
    },
  },
  {
    name: 'a grant to the deleted account of the same email is the near miss (§5.8)',
    subject: CART,
    options: { need: ['storage.objects.get'] },
    patch: (b) =>
      projectGrant(b, {
        role: 'roles/storage.objectViewer',
        members: [`deleted:serviceAccount:${GSA}?uid=111111111111111111111`],
      }),
    expect: { status: 'fail', cause: /nearest miss: member `deleted:serviceAccount:cart@.*is a deleted account/ },
  },

  // ---- §5.20 conditional, unknown
  {
    name: 'a conditional grant warns and names the condition',
    subject: CART,
    options: { need: ['storage.objects.get'] },
    patch: (b) =>
      projectGrant(b, {
        role: 'roles/storage.objectViewer',
        members: [`serviceAccount:${GSA}`],
        condition: {
          title: 'assets-only',
          expression: 'resource.name.startsWith("projects/_/buckets/acme-shop-assets")',
        },
      }),
    expect: { status: 'warn', cause: /condition `assets-only`/ },
  },
  {
    name: 'an unreadable project policy is unknown',
    subject: CART,
    options: { need: ['storage.objects.get'] },
    patch: (b) => b.error(PROJECT_POLICY, '403 PERMISSION_DENIED'),
    expect: { status: 'unknown', missing: /gcloud projects get-iam-policy acme-shop/ },
  },
  {
    name: 'a bucket whose project is not in its name: a cluster-project grant is unknown, not pass',
    subject: CART,
    options: { need: ['storage.objects.get'], on: BUCKET },
    patch: (b) => projectGrant(b, { role: 'roles/storage.objectViewer', members: [`serviceAccount:${GSA}`] }),
    expect: { status: 'unknown', cause: /applies to .* only if it belongs to that project/ },
  },
  {
    name: 'an unknown role need is unknown',
    subject: CART,
    options: { need: ['roles/storage.objectViewr'] },
    expect: { status: 'unknown', cause: /roles\/storage\.objectViewr/ },
  },
  {
    name: 'a GSA that does not exist is skipped',
    subject: CART,
    options: { need: ['storage.objects.get'] },
    patch: (b) =>
      b.k8s('serviceaccounts', 'shop', 'cart', (sa: any) => {
        sa.metadata.annotations = { 'iam.gke.io/gcp-service-account': 'billing@acme-shop.iam.gserviceaccount.com' };
      }),
    expect: { status: 'skip', cause: /see gsa-exists/ },
  },

  // ---- an unknown names what it did see
  {
    name: 'an unreadable project policy and a grant to the deleted account in the organization: that is the likely cause',
    subject: CART,
    options: { need: ['storage.objects.get'] },
    patch: (b) => {
      b.error(PROJECT_POLICY, '403 PERMISSION_DENIED');
      b.edit(ORG_POLICY, (p: any) => {
        p.bindings = [
          ...(p.bindings ?? []),
          { role: 'roles/storage.objectViewer', members: [`deleted:serviceAccount:${GSA}?uid=111111111111111111111`] },
        ];
      });
    },
    expect: {
      status: 'unknown',
      cause:
        /most likely cause, in the policies that were read: member `deleted:serviceAccount:cart@.*is a deleted account.*on `organizations\/987654321098`\); settle it with `gcloud projects get-iam-policy acme-shop --format=json`/,
      missing: /^settle the most likely cause: gcloud projects get-iam-policy acme-shop --format=json/,
    },
  },
  {
    name: 'direct binding: an unreadable organization policy and a project grant for another namespace: named as likely',
    subject: API,
    options: { need: ['storage.objects.get'] },
    patch: (b) => {
      b.error(ORG_POLICY, '403 PERMISSION_DENIED');
      projectGrant(b, {
        role: 'roles/storage.objectViewer',
        members: [
          'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/subject/ns/shop-prod/sa/api',
        ],
      });
    },
    expect: {
      status: 'unknown',
      cause:
        /most likely cause.*member is for namespace `shop-prod`, the pod runs in `shop`.*settle it with `gcloud organizations get-iam-policy 987654321098 --format=json`/,
    },
  },
  {
    name: 'an unreadable project policy and nothing close in what was read: unknown without a guess',
    subject: CART,
    options: { need: ['storage.objects.get'] },
    patch: (b) => b.error(PROJECT_POLICY, '403 PERMISSION_DENIED'),
    expect: (results) => {
      expect(results[0]!.status).toBe('unknown');
      expect(results[0]!.cause).toMatch(/is unknown: policy of `projects\/acme-shop` not readable/);
      expect(results[0]!.cause).not.toMatch(/most likely/);
    },
  },
]);
