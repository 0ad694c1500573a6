import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/wi-binding.js';

const CART = { ksa: ['shop/cart'] };
const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const GSA_POLICY = `gcp/service-accounts/${GSA}.iam-policy.json`;
const READER = 'reader@acme-data.iam.gserviceaccount.com';
const PRINCIPAL_PREFIX =
  'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog';
const SET_PREFIX =
  'principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog';
const CART_KSA_UID = 'db96a9da-a55e-4bc5-a0e1-39222e882df8';
const LEGACY = 'serviceAccount:acme-shop.svc.id.goog[shop/cart]';

function gsaBindings(b: BundleEditor, bindings: unknown[], path = GSA_POLICY): void {
  b.edit(path, (policy: any) => {
    policy.bindings = bindings;
    policy.version = 3;
  });
}

function annotateCart(b: BundleEditor, value: string): void {
  b.k8s('serviceaccounts', 'shop', 'cart', (sa: any) => {
    sa.metadata.annotations = { 'iam.gke.io/gcp-service-account': value };
  });
}

/** The GSA's describe and its project's account list both answer 403: its existence cannot be told. */
function gsaUnreadable(b: BundleEditor): void {
  b.error(`gcp/service-accounts/${GSA}.json`, '403 PERMISSION_DENIED: iam.serviceAccounts.get');
  b.error('gcp/projects/acme-shop.service-accounts.json', '403 PERMISSION_DENIED: iam.serviceAccounts.list');
}

function projectBinding(b: BundleEditor, role: string, member: string): void {
  b.edit('gcp/projects/acme-shop.iam-policy.json', (policy: any) => {
    policy.bindings = [...(policy.bindings ?? []), { role, members: [member] }];
  });
}

const bindFix =
  (member = LEGACY, target = `projects/-/serviceAccounts/${GSA}`) =>
  (results: any[]) => {
    expect(results).toHaveLength(1);
    expect(results[0].fix[0]).toMatchObject({
      action: 'add-iam-binding',
      target,
      params: { role: 'roles/iam.workloadIdentityUser', member },
    });
  };

describeCheck(check, [
  // ---- passing: every accepted member form, roles resolved to permissions
  {
    name: 'legacy member on the GSA policy passes',
    subject: CART,
    expect: {
      status: 'pass',
      cause:
        /`roles\/iam\.workloadIdentityUser` to `serviceAccount:acme-shop\.svc\.id\.goog\[shop\/cart\]` \(KSA member\) in the policy of GSA/,
    },
  },
  {
    name: 'principal:// subject member passes',
    subject: CART,
    patch: (b) =>
      gsaBindings(b, [
        { role: 'roles/iam.workloadIdentityUser', members: [`${PRINCIPAL_PREFIX}/subject/ns/shop/sa/cart`] },
      ]),
    expect: { status: 'pass', cause: /principal:\/\/ subject member/ },
  },
  {
    name: 'namespace principalSet passes',
    subject: CART,
    patch: (b) =>
      gsaBindings(b, [{ role: 'roles/iam.workloadIdentityUser', members: [`${SET_PREFIX}/namespace/shop`] }]),
    expect: { status: 'pass', cause: /namespace principalSet/ },
  },
  {
    name: 'KSA uid member passes',
    subject: CART,
    patch: (b) =>
      gsaBindings(b, [
        {
          role: 'roles/iam.workloadIdentityUser',
          members: [`${PRINCIPAL_PREFIX}/kubernetes.serviceaccount.uid/${CART_KSA_UID}`],
        },
      ]),
    expect: { status: 'pass', cause: /KSA-uid member/ },
  },
  {
    name: 'project-level grant passes and notes it reaches every GSA of the project',
    subject: CART,
    patch: (b) => {
      gsaBindings(b, []);
      b.edit('gcp/projects/acme-shop.iam-policy.json', (p: any) => {
        p.bindings.push({ role: 'roles/iam.workloadIdentityUser', members: [LEGACY] });
      });
    },
    expect: {
      status: 'pass',
      cause: /project policy of `projects\/acme-shop` \(inherited\)/,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/every GSA of project `acme-shop`/),
    },
  },
  {
    name: 'custom role containing getAccessToken passes (roles resolved, not judged by name)',
    subject: CART,
    patch: (b) => {
      b.set('gcp/roles/projects~acme-shop~roles~tokenMinter.json', {
        name: 'projects/acme-shop/roles/tokenMinter',
        title: 'Token minter',
        includedPermissions: ['iam.serviceAccounts.getAccessToken'],
        stage: 'GA',
      });
      gsaBindings(b, [{ role: 'projects/acme-shop/roles/tokenMinter', members: [LEGACY] }]);
    },
    expect: { status: 'pass', cause: /projects\/acme-shop\/roles\/tokenMinter/ },
  },
  {
    name: 'serviceAccountTokenCreator also passes (it has getAccessToken)',
    subject: CART,
    patch: (b) => gsaBindings(b, [{ role: 'roles/iam.serviceAccountTokenCreator', members: [LEGACY] }]),
    expect: { status: 'pass' },
  },

  // ---- §5.4 binding missing or member for another namespace / KSA / pool
  {
    name: 'no binding at all fails with add-iam-binding for the legacy member',
    subject: CART,
    patch: (b) => gsaBindings(b, []),
    expect: { status: 'fail', cause: /no binding names the KSA in any member form/, fix: ['add-iam-binding'] },
  },
  {
    name: 'the fix grants workloadIdentityUser to the legacy member on the GSA',
    subject: CART,
    patch: (b) => gsaBindings(b, []),
    expect: bindFix(),
  },
  {
    name: 'member for another namespace is the near miss',
    subject: CART,
    patch: (b) =>
      gsaBindings(b, [
        { role: 'roles/iam.workloadIdentityUser', members: ['serviceAccount:acme-shop.svc.id.goog[shop-prod/cart]'] },
      ]),
    expect: {
      status: 'fail',
      cause: /nearest miss: member is for namespace `shop-prod`, the pod runs in `shop`/,
      fix: ['add-iam-binding'],
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/shop-prod\/cart/),
    },
  },
  {
    name: 'member for another KSA is the near miss',
    subject: CART,
    patch: (b) =>
      gsaBindings(b, [
        { role: 'roles/iam.workloadIdentityUser', members: ['serviceAccount:acme-shop.svc.id.goog[shop/cart-v2]'] },
      ]),
    expect: { status: 'fail', cause: /member is for KSA `cart-v2`, the pods run as `cart`/, fix: ['add-iam-binding'] },
  },
  {
    name: 'member with another pool is the near miss',
    subject: CART,
    patch: (b) =>
      gsaBindings(b, [
        { role: 'roles/iam.workloadIdentityUser', members: ['serviceAccount:acme-stage.svc.id.goog[shop/cart]'] },
      ]),
    expect: {
      status: 'fail',
      cause: /member uses pool `acme-stage\.svc\.id\.goog`, the cluster's pool is `acme-shop\.svc\.id\.goog`/,
      fix: ['add-iam-binding'],
    },
  },
  {
    name: 'principal:// member with a wrong namespace is a near miss too',
    subject: CART,
    patch: (b) =>
      gsaBindings(b, [
        { role: 'roles/iam.workloadIdentityUser', members: [`${PRINCIPAL_PREFIX}/subject/ns/shop-prod/sa/cart`] },
      ]),
    expect: { status: 'fail', cause: /namespace `shop-prod`/, fix: ['add-iam-binding'] },
  },
  {
    name: 'uid member of a recreated KSA is a near miss',
    subject: CART,
    patch: (b) =>
      gsaBindings(b, [
        {
          role: 'roles/iam.workloadIdentityUser',
          members: [`${PRINCIPAL_PREFIX}/kubernetes.serviceaccount.uid/00000000-0000-0000-0000-000000000000`],
        },
      ]),
    expect: {
      status: 'fail',
      cause: /uid `00000000-0000-0000-0000-000000000000`.*`db96a9da/,
      fix: ['add-iam-binding'],
    },
  },

  // ---- §5.6 cross-project GSA with the GSA project's pool
  {
    name: 'cross-project GSA: member written with the GSA project pool must use the cluster pool',
    subject: CART,
    patch: (b) => {
      annotateCart(b, READER);
      gsaBindings(
        b,
        [{ role: 'roles/iam.workloadIdentityUser', members: ['serviceAccount:acme-data.svc.id.goog[shop/cart]'] }],
        `gcp/service-accounts/${READER}.iam-policy.json`,
      );
    },
    expect: {
      status: 'fail',
      cause:
        /member uses pool `acme-data\.svc\.id\.goog` of the GSA's project `acme-data`, but the cluster's pool is `acme-shop\.svc\.id\.goog`: the member must use the cluster's pool even when the GSA lives in another project/,
      fix: ['add-iam-binding'],
    },
  },
  {
    name: 'cross-project GSA: the fix still uses the cluster pool',
    subject: CART,
    patch: (b) => annotateCart(b, READER),
    expect: bindFix(LEGACY, `projects/-/serviceAccounts/${READER}`),
  },
  {
    name: 'cross-project GSA bound with the cluster pool passes',
    subject: CART,
    patch: (b) => {
      annotateCart(b, READER);
      gsaBindings(
        b,
        [{ role: 'roles/iam.workloadIdentityUser', members: [LEGACY] }],
        `gcp/service-accounts/${READER}.iam-policy.json`,
      );
    },
    expect: { status: 'pass', cause: /reader@acme-data/ },
  },

  // ---- §5.18 a role without the permission
  {
    name: 'serviceAccountUser to the right member: actAs does not mint tokens',
    subject: CART,
    patch: (b) => gsaBindings(b, [{ role: 'roles/iam.serviceAccountUser', members: [LEGACY] }]),
    expect: {
      status: 'fail',
      cause: /role `roles\/iam\.serviceAccountUser`.*does not include `iam\.serviceAccounts\.getAccessToken`.*actAs/,
      fix: ['add-iam-binding'],
    },
  },
  {
    name: 'owner on the project does not mint tokens either',
    subject: CART,
    patch: (b) => {
      gsaBindings(b, []);
      b.edit('gcp/projects/acme-shop.iam-policy.json', (p: any) => {
        p.bindings.push({ role: 'roles/owner', members: [LEGACY] });
      });
    },
    expect: { status: 'fail', cause: /`roles\/owner`.*does not include/, fix: ['add-iam-binding'] },
  },
  {
    name: 'a wrong-namespace member with the right role beats the right member with a wrong role',
    subject: CART,
    patch: (b) =>
      gsaBindings(b, [
        { role: 'roles/iam.serviceAccountUser', members: [LEGACY] },
        { role: 'roles/iam.workloadIdentityUser', members: ['serviceAccount:acme-shop.svc.id.goog[shop-prod/cart]'] },
      ]),
    expect: {
      status: 'fail',
      cause: /nearest miss: member is for namespace `shop-prod`/,
      evidence: (e) => {
        const notes = e.notes?.join('\n') ?? '';
        expect(notes).toMatch(/shop-prod/);
        expect(notes).toMatch(/serviceAccountUser/);
      },
    },
  },

  // ---- §5.20 conditional binding
  {
    name: 'a grant only under a condition warns and names the condition',
    subject: CART,
    patch: (b) =>
      gsaBindings(b, [
        {
          role: 'roles/iam.workloadIdentityUser',
          members: [LEGACY],
          condition: { title: 'business-hours', expression: 'request.time.getHours("Europe/Brussels") < 18' },
        },
      ]),
    expect: { status: 'warn', cause: /only under condition `business-hours`/, fix: ['add-iam-binding'] },
  },

  // ---- §5.8 deleted and recreated GSA
  {
    name: 'GSA deleted and recreated: the old grant is a deleted member, the new account has no binding',
    subject: CART,
    patch: (b) => {
      gsaBindings(b, []);
      b.edit('gcp/projects/acme-shop.iam-policy.json', (p: any) => {
        p.bindings.push({
          role: 'roles/pubsub.publisher',
          members: [`deleted:serviceAccount:${GSA}?uid=111111111111111111111`],
        });
      });
    },
    expect: {
      status: 'fail',
      cause: /deleted and recreated \(old uid `111111111111111111111`, now `269962557691428975596`\)/,
      fix: ['add-iam-binding'],
    },
  },

  // ---- unknown and skip
  {
    name: 'GSA policy unreadable is unknown and says what to collect',
    subject: CART,
    patch: (b) => b.error(GSA_POLICY, '403 PERMISSION_DENIED: iam.serviceAccounts.getIamPolicy'),
    expect: { status: 'unknown', missing: /gcloud iam service-accounts get-iam-policy cart@acme-shop/ },
  },
  {
    name: 'project policy unreadable and no grant on the GSA is unknown',
    subject: CART,
    patch: (b) => {
      gsaBindings(b, []);
      b.error('gcp/projects/acme-shop.iam-policy.json', '403 PERMISSION_DENIED');
    },
    expect: { status: 'unknown', missing: /gcloud projects get-iam-policy acme-shop/ },
  },
  {
    name: 'a grant on the GSA passes even when the project policy is unreadable',
    subject: CART,
    patch: (b) => b.error('gcp/projects/acme-shop.iam-policy.json', '403 PERMISSION_DENIED'),
    expect: { status: 'pass' },
  },
  {
    name: 'a custom role that was not collected is unknown and names the file to add',
    subject: CART,
    patch: (b) => gsaBindings(b, [{ role: 'projects/acme-shop/roles/tokenMinter', members: [LEGACY] }]),
    expect: {
      status: 'unknown',
      missing:
        /gcp\/roles\/projects~acme-shop~roles~tokenMinter\.json \(gcloud iam roles describe tokenMinter --project acme-shop/,
    },
  },
  {
    name: 'direct binding is skipped',
    subject: { ksa: ['shop/api'] },
    expect: { status: 'skip', cause: /direct binding/ },
  },
  {
    name: 'a cluster without workload pool: judged against the pool its fix enables (the binding is there: pass)',
    subject: CART,
    patch: (b) =>
      b.edit('gcp/cluster.json', (c: any) => {
        delete c.workloadIdentityConfig;
      }),
    expect: {
      status: 'pass',
      evidence: (e) =>
        expect(e.notes?.join('\n')).toMatch(/no workload pool yet: judged against `acme-shop\.svc\.id\.goog`/),
    },
  },
  {
    name: 'a cluster without workload pool and no binding: fail with the binding to add in that pool',
    subject: CART,
    patch: (b) => {
      b.edit('gcp/cluster.json', (c: any) => {
        delete c.workloadIdentityConfig;
      });
      b.set('gcp/service-accounts/cart@acme-shop.iam.gserviceaccount.com.iam-policy.json', { bindings: [] });
    },
    expect: { status: 'fail', fix: ['add-iam-binding'] },
  },
  {
    name: 'a GSA that does not exist is left to gsa-exists',
    subject: CART,
    patch: (b) => annotateCart(b, 'billing@acme-shop.iam.gserviceaccount.com'),
    expect: { status: 'skip', cause: /does not exist \(see gsa-exists\)/ },
  },

  // ---- the GSA's describe and its project's list both answer 403: existence unknown, never "does not exist"
  {
    name: 'describe and list 403, the GSA policy readable with the binding: pass (not left to gsa-exists)',
    subject: CART,
    patch: gsaUnreadable,
    expect: { status: 'pass', cause: /may mint tokens for GSA `cart@acme-shop/ },
  },
  {
    name: 'describe, list and the GSA policy 403: unknown naming the policy, not skip and not fail',
    subject: CART,
    patch: (b) => {
      gsaUnreadable(b);
      b.error(GSA_POLICY, '403 PERMISSION_DENIED: iam.serviceAccounts.getIamPolicy');
    },
    expect: {
      status: 'unknown',
      cause:
        /is unknown: policy of `projects\/-\/serviceAccounts\/cart@acme-shop\.iam\.gserviceaccount\.com` not readable/,
      missing: /gcloud iam service-accounts get-iam-policy cart@acme-shop\.iam\.gserviceaccount\.com --format=json/,
      evidence: (e) => expect(e.actual).toBe('not evaluated'),
    },
  },

  // ---- an unknown names what it did see: the near miss of the policies that were read
  {
    name: 'GSA policy unreadable, the project policy binds another namespace: that near miss is the most likely cause',
    subject: CART,
    patch: (b) => {
      b.error(GSA_POLICY, '403 PERMISSION_DENIED: iam.serviceAccounts.getIamPolicy');
      projectBinding(b, 'roles/iam.workloadIdentityUser', 'serviceAccount:acme-shop.svc.id.goog[shop-prod/cart]');
    },
    expect: {
      status: 'unknown',
      cause:
        /most likely cause, in the policies that were read: member is for namespace `shop-prod`, the pod runs in `shop` \(`roles\/iam\.workloadIdentityUser` to `serviceAccount:acme-shop\.svc\.id\.goog\[shop-prod\/cart\]` on `projects\/acme-shop`\); settle it with `gcloud iam service-accounts get-iam-policy cart@acme-shop\.iam\.gserviceaccount\.com --format=json`/,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/near miss on `projects\/acme-shop`/),
    },
  },
  {
    name: 'the command that settles the near miss comes first in what to collect',
    subject: CART,
    patch: (b) => {
      b.error(GSA_POLICY, '403 PERMISSION_DENIED: iam.serviceAccounts.getIamPolicy');
      projectBinding(b, 'roles/iam.workloadIdentityUser', 'serviceAccount:acme-shop.svc.id.goog[shop-prod/cart]');
    },
    expect: (results) => {
      expect(results[0]!.missing?.[0]).toBe(
        'settle the most likely cause: gcloud iam service-accounts get-iam-policy cart@acme-shop.iam.gserviceaccount.com --format=json',
      );
    },
  },
  {
    name: 'GSA policy unreadable, serviceAccountUser to the KSA on the project: actAs named as the most likely cause',
    subject: CART,
    patch: (b) => {
      b.error(GSA_POLICY, '403 PERMISSION_DENIED: iam.serviceAccounts.getIamPolicy');
      projectBinding(b, 'roles/iam.serviceAccountUser', LEGACY);
    },
    expect: {
      status: 'unknown',
      cause:
        /most likely cause, in the policies that were read: role `roles\/iam\.serviceAccountUser` on `projects\/acme-shop` does not include `iam\.serviceAccounts\.getAccessToken`: it grants `iam\.serviceAccounts\.actAs` \(actAs\), which does not mint tokens/,
    },
  },
  {
    name: 'GSA policy unreadable, a member with the GSA project pool on the project: the pool is the most likely cause',
    subject: CART,
    patch: (b) => {
      b.error(GSA_POLICY, '403 PERMISSION_DENIED: iam.serviceAccounts.getIamPolicy');
      projectBinding(b, 'roles/iam.workloadIdentityUser', 'serviceAccount:acme-data.svc.id.goog[shop/cart]');
    },
    expect: { status: 'unknown', cause: /most likely cause.*member uses pool `acme-data\.svc\.id\.goog`/ },
  },
  {
    name: 'GSA policy unreadable and nothing read comes close: unknown without a guess',
    subject: CART,
    patch: (b) => b.error(GSA_POLICY, '403 PERMISSION_DENIED: iam.serviceAccounts.getIamPolicy'),
    expect: (results) => {
      expect(results[0]!.status).toBe('unknown');
      expect(results[0]!.cause).not.toMatch(/most likely/);
      expect(results[0]!.missing?.join('\n')).not.toMatch(/settle/);
    },
  },
  {
    name: 'the project policy unreadable and only a rank-4 miss on the GSA (other member, other role): no guess',
    subject: CART,
    patch: (b) => {
      gsaBindings(b, [
        { role: 'roles/iam.serviceAccountUser', members: ['serviceAccount:acme-shop.svc.id.goog[shop-prod/cart]'] },
      ]);
      b.error('gcp/projects/acme-shop.iam-policy.json', '403 PERMISSION_DENIED');
    },
    expect: (results) => {
      expect(results[0]!.status).toBe('unknown');
      expect(results[0]!.cause).not.toMatch(/most likely/);
      // It is still listed among what was seen.
      expect(results[0]!.evidence?.notes?.join('\n')).toMatch(/near miss on `projects\/-\/serviceAccounts\/cart@/);
    },
  },
  {
    name: 'a role that cannot be resolved (no unreadable policy) is unknown without a near-miss guess',
    subject: CART,
    patch: (b) => {
      gsaBindings(b, [{ role: 'projects/acme-shop/roles/tokenMinter', members: [LEGACY] }]);
      projectBinding(b, 'roles/iam.workloadIdentityUser', 'serviceAccount:acme-shop.svc.id.goog[shop-prod/cart]');
    },
    expect: (results) => {
      expect(results[0]!.status).toBe('unknown');
      expect(results[0]!.cause).toMatch(/is unknown: role `projects\/acme-shop\/roles\/tokenMinter` on `projects\/-\//);
      expect(results[0]!.cause).not.toMatch(/most likely/);
    },
  },
]);
