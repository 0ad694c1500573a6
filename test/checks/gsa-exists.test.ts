import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/gsa-exists.js';

const CART = { ksa: ['shop/cart'] };
const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const UID = '269962557691428975596';
const LIST = 'gcp/projects/acme-shop.service-accounts.json';

function annotateCart(b: BundleEditor, value: string): void {
  b.k8s('serviceaccounts', 'shop', 'cart', (sa: any) => {
    sa.metadata.annotations = { 'iam.gke.io/gcp-service-account': value };
  });
}

/** The account is gone: not in its project's list, no describe output, no own policy. */
function deleteCart(b: BundleEditor): void {
  b.edit(LIST, (list: { email: string }[]) => list.filter((sa) => sa.email !== GSA));
  b.remove(`gcp/service-accounts/${GSA}.json`);
  b.remove(`gcp/service-accounts/${GSA}.iam-policy.json`);
  b.remove(`gcp/service-accounts/${GSA}.keys.json`);
}

/** The account's DeleteServiceAccount entry in the collected logs. */
function deletedOn(b: BundleEditor, at: string): void {
  b.edit('gcp/logs/iamcredentials.json', (entries: object[]) => [
    ...entries,
    {
      logName: 'projects/acme-shop/logs/cloudaudit.googleapis.com%2Factivity',
      timestamp: at,
      resource: { type: 'service_account', labels: { email_id: GSA, unique_id: UID, project_id: 'acme-shop' } },
      protoPayload: {
        methodName: 'google.iam.admin.v1.DeleteServiceAccount',
        resourceName: `projects/acme-shop/serviceAccounts/${UID}`,
        authenticationInfo: { principalEmail: 'admin@example.com' },
      },
    },
  ]);
}

function projectGrant(b: BundleEditor, role: string, member: string): void {
  b.edit('gcp/projects/acme-shop.iam-policy.json', (p: any) => {
    p.bindings.push({ role, members: [member] });
  });
}

describeCheck(check, [
  {
    name: 'existing GSA passes with its uniqueId',
    subject: CART,
    expect: {
      status: 'pass',
      cause: /GSA `cart@acme-shop\.iam\.gserviceaccount\.com` exists \(uniqueId 269962557691428975596\)/,
    },
  },
  {
    name: 'a recreated GSA passes but notes the deleted grants of the old account',
    subject: CART,
    patch: (b) => projectGrant(b, 'roles/pubsub.publisher', `deleted:serviceAccount:${GSA}?uid=111111111111111111111`),
    expect: {
      status: 'pass',
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/deleted and recreated.*uid 111111111111111111111/),
    },
  },

  // ---- §5.8 / deletion: a deleted member says what happened
  {
    name: 'deleted GSA: the deleted member names the uid and the fix undeletes it',
    subject: CART,
    patch: (b) => {
      deleteCart(b);
      projectGrant(b, 'roles/pubsub.publisher', `deleted:serviceAccount:${GSA}?uid=${UID}`);
    },
    expect: {
      status: 'fail',
      cause:
        /does not exist: it was deleted — `deleted:serviceAccount:cart@acme-shop\.iam\.gserviceaccount\.com\?uid=269962557691428975596` remains in `projects\/acme-shop`/,
      fix: ['undelete-service-account'],
    },
  },
  {
    name: 'undelete fix carries the uniqueId; the evidence tells the 30-day limit',
    subject: CART,
    patch: (b) => {
      deleteCart(b);
      projectGrant(b, 'roles/pubsub.publisher', `deleted:serviceAccount:${GSA}?uid=${UID}`);
    },
    expect: (results) => {
      expect(results).toHaveLength(1);
      const r = results[0]!;
      expect(r.fix[0]).toMatchObject({
        action: 'undelete-service-account',
        target: `projects/-/serviceAccounts/${GSA}`,
        params: { uniqueId: UID },
      });
      expect(r.evidence?.notes?.join('\n')).toMatch(/within 30 days/);
    },
  },
  {
    name: 'a deleted member in a resource policy is found too',
    subject: CART,
    patch: (b) => {
      deleteCart(b);
      b.edit('gcp/resources/acme-shop-assets.json', (r: any) => {
        r.policy.bindings.push({
          role: 'roles/storage.objectViewer',
          members: [`deleted:serviceAccount:${GSA}?uid=${UID}`],
        });
      });
    },
    expect: {
      status: 'fail',
      cause: /remains in `\/\/storage\.googleapis\.com\/projects\/_\/buckets\/acme-shop-assets`/,
      fix: ['undelete-service-account'],
    },
  },

  // ---- §5.5 GSA does not exist
  {
    name: 'a GSA one typo away from an existing one: the annotation is probably misspelled',
    subject: CART,
    patch: (b) => annotateCart(b, 'carts@acme-shop.iam.gserviceaccount.com'),
    expect: {
      status: 'fail',
      cause:
        /`carts@acme-shop\.iam\.gserviceaccount\.com` does not exist, but `cart@acme-shop\.iam\.gserviceaccount\.com` does: the annotation is probably misspelled/,
      fix: ['annotate-service-account', 'restart-workload'],
    },
  },
  {
    name: 'deleted, known only from the Admin Activity DeleteServiceAccount entry: undelete by its unique id',
    subject: CART,
    patch: (b) => {
      deleteCart(b);
      deletedOn(b, '2026-11-20T10:00:00Z');
    },
    expect: {
      status: 'fail',
      cause:
        /it was deleted — the Admin Activity log records its deletion at 2026-11-20T10:00:00Z \(uniqueId 269962557691428975596\)/,
      fix: ['undelete-service-account'],
      evidence: (e) =>
        expect(e.actual).toBe(
          '`cart@acme-shop.iam.gserviceaccount.com` is not in the service-account list of project acme-shop',
        ),
    },
  },
  {
    name: 'deleted more than 30 days ago: no undelete, recreate with the grants it lost',
    subject: CART,
    patch: (b) => {
      deleteCart(b);
      deletedOn(b, '2026-09-01T10:00:00Z');
      projectGrant(b, 'roles/pubsub.publisher', `deleted:serviceAccount:${GSA}?uid=${UID}`);
    },
    expect: {
      status: 'fail',
      cause: /more than 30 days ago, so it can no longer be undeleted/,
      fix: ['create-service-account', 'add-iam-binding', 'add-iam-binding'],
    },
  },
  {
    name: 'a GSA that never existed: create it and bind it, and check the spelling',
    subject: CART,
    patch: (b) => annotateCart(b, 'billing@acme-shop.iam.gserviceaccount.com'),
    expect: {
      status: 'fail',
      cause: /GSA `billing@acme-shop\.iam\.gserviceaccount\.com` does not exist in project `acme-shop`/,
      fix: ['create-service-account', 'add-iam-binding'],
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/may be misspelled/),
    },
  },
  {
    name: 'the create fix names the project and account id; the binding uses the cluster pool',
    subject: CART,
    patch: (b) => annotateCart(b, 'billing@acme-shop.iam.gserviceaccount.com'),
    expect: (results) => {
      const [create, bind] = results[0]!.fix;
      expect(create).toMatchObject({
        target: 'projects/acme-shop/serviceAccounts/billing@acme-shop.iam.gserviceaccount.com',
        params: { accountId: 'billing', project: 'acme-shop' },
      });
      expect(bind).toMatchObject({
        params: { role: 'roles/iam.workloadIdentityUser', member: 'serviceAccount:acme-shop.svc.id.goog[shop/cart]' },
      });
    },
  },

  // ---- unknown and skip
  {
    name: 'a 403 on describe without the project list is unknown: missing or not readable',
    subject: CART,
    patch: (b) => {
      b.error(`gcp/service-accounts/${GSA}.json`, '403 PERMISSION_DENIED: Permission iam.serviceAccounts.get denied');
      b.remove(LIST);
    },
    expect: {
      status: 'unknown',
      cause: /missing or not readable/,
      missing: /gcloud iam service-accounts list --project acme-shop/,
    },
  },
  {
    name: 'nothing collected about the account is unknown',
    subject: CART,
    patch: (b) => {
      b.remove(`gcp/service-accounts/${GSA}.json`);
      b.remove(LIST);
    },
    expect: { status: 'unknown' },
  },
  {
    name: 'direct binding is skipped',
    subject: { ksa: ['shop/api'] },
    expect: { status: 'skip', cause: /direct binding/ },
  },
  {
    name: 'a malformed annotation is left to ksa-annotation',
    subject: CART,
    patch: (b) => annotateCart(b, 'cart@acme-shop'),
    expect: { status: 'skip', cause: /see ksa-annotation/ },
  },
  {
    name: 'describe and list 403, a deleted member of the email in a policy read: deletion is the most likely cause',
    subject: CART,
    patch: (b) => {
      b.error(`gcp/service-accounts/${GSA}.json`, '403 PERMISSION_DENIED: Permission iam.serviceAccounts.get denied');
      b.error(LIST, '403 PERMISSION_DENIED: Permission iam.serviceAccounts.list denied');
      projectGrant(b, 'roles/storage.objectViewer', `deleted:serviceAccount:${GSA}?uid=111111111111111111111`);
    },
    expect: {
      status: 'unknown',
      cause:
        /most likely cause, in what was read: it was deleted: `deleted:serviceAccount:cart@acme-shop\.iam\.gserviceaccount\.com\?uid=111111111111111111111` remains in `projects\/acme-shop`; settle it with `gcloud iam service-accounts list --project acme-shop --format=json`/,
      missing: /^settle the most likely cause: gcloud iam service-accounts list --project acme-shop --format=json/,
    },
  },
  {
    name: 'describe 403 and no list, an account a typo away is known: a misspelled annotation is the most likely cause',
    subject: CART,
    patch: (b) => {
      annotateCart(b, 'carts@acme-shop.iam.gserviceaccount.com');
      b.error(
        'gcp/service-accounts/carts@acme-shop.iam.gserviceaccount.com.json',
        '403 PERMISSION_DENIED: Permission iam.serviceAccounts.get denied',
      );
      b.remove(LIST);
    },
    expect: {
      status: 'unknown',
      cause:
        /most likely cause, in what was read: the annotation is misspelled: `cart@acme-shop\.iam\.gserviceaccount\.com` exists/,
    },
  },
  {
    name: 'describe and list 403 with nothing else seen: unknown without a guess',
    subject: CART,
    patch: (b) => {
      b.error(`gcp/service-accounts/${GSA}.json`, '403 PERMISSION_DENIED: Permission iam.serviceAccounts.get denied');
      b.error(LIST, '403 PERMISSION_DENIED: Permission iam.serviceAccounts.list denied');
    },
    expect: (results) => {
      expect(results[0]!.status).toBe('unknown');
      expect(results[0]!.cause).not.toMatch(/most likely/);
      expect(results[0]!.missing).toEqual([
        'gcp/projects/acme-shop.service-accounts.json (gcloud iam service-accounts list --project acme-shop --format=json)',
      ]);
    },
  },
]);
