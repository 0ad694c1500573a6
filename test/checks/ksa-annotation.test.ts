import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/ksa-annotation.js';

const CART = { ksa: ['shop/cart'] };
const API = { ksa: ['shop/api'] };
const KEY = 'iam.gke.io/gcp-service-account';
const GSA = 'cart@acme-shop.iam.gserviceaccount.com';

function annotations(b: BundleEditor, name: string, value: Record<string, string> | undefined): void {
  b.k8s('serviceaccounts', 'shop', name, (sa: any) => {
    if (value === undefined) delete sa.metadata.annotations;
    else sa.metadata.annotations = value;
  });
}

describeCheck(check, [
  // ---- passing
  {
    name: 'annotated KSA with a well-formed GSA email passes',
    subject: CART,
    expect: {
      status: 'pass',
      cause: /`shop\/cart` is annotated with `iam\.gke\.io\/gcp-service-account: cart@acme-shop/,
    },
  },
  {
    name: 'direct binding: no annotation and a grant to the principal passes',
    subject: API,
    expect: { status: 'pass', cause: /^direct binding: .*acme-shop-assets: roles\/storage\.objectViewer/ },
  },
  {
    name: 'a Workload Identity binding on a GSA is no direct grant: it does not trigger the unintended-impersonation warning',
    subject: CART,
    expect: { status: 'pass' },
  },

  // ---- §5.5 annotation key typo
  {
    name: 'misspelled key fails naming the key meant, with annotate and remove-annotation',
    subject: CART,
    patch: (b) => annotations(b, 'cart', { 'iam.gke.io/gcp-service-acount': GSA }),
    expect: {
      status: 'fail',
      cause:
        /key `iam\.gke\.io\/gcp-service-acount`, which GKE ignores: the key meant is `iam\.gke\.io\/gcp-service-account`/,
      fix: ['annotate-service-account', 'remove-annotation', 'restart-workload'],
    },
  },
  {
    name: 'the misspelled-key fix sets the right key with the same value and removes the wrong key',
    subject: CART,
    patch: (b) => annotations(b, 'cart', { 'iam.gke.io/gcp-service-acount': GSA }),
    expect: (results) => {
      expect(results).toHaveLength(1);
      const [annotate, remove] = results[0]!.fix;
      expect(annotate).toMatchObject({
        action: 'annotate-service-account',
        target: 'namespaces/shop/serviceaccounts/cart',
        params: { key: KEY, value: GSA },
      });
      expect(remove).toMatchObject({ action: 'remove-annotation', params: { key: 'iam.gke.io/gcp-service-acount' } });
    },
  },
  {
    name: 'wrong prefix is a near miss too',
    subject: CART,
    patch: (b) => annotations(b, 'cart', { 'iam.gke.com/gcp-service-account': GSA }),
    expect: {
      status: 'fail',
      cause: /`iam\.gke\.com\/gcp-service-account`/,
      fix: ['annotate-service-account', 'remove-annotation', 'restart-workload'],
    },
  },
  {
    name: 'a stray near-miss key beside the right annotation warns',
    subject: CART,
    patch: (b) => annotations(b, 'cart', { [KEY]: GSA, 'iam.gke.io/gcp-serviceaccount': GSA }),
    expect: {
      status: 'warn',
      cause: /also carries `iam\.gke\.io\/gcp-serviceaccount`, which GKE ignores/,
      fix: ['remove-annotation'],
    },
  },

  // ---- §5.5 annotation value typo
  {
    name: 'malformed value fails with the reason and points at the GSA that already trusts the KSA',
    subject: CART,
    patch: (b) => annotations(b, 'cart', { [KEY]: 'cart@acme-shop' }),
    expect: {
      status: 'fail',
      cause: /value `cart@acme-shop`, which is no service-account email: expected /,
      fix: ['annotate-service-account', 'restart-workload'],
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/`cart@acme-shop\.iam\.gserviceaccount\.com`/),
    },
  },
  {
    name: 'a typo in the value’s domain, no policy trusting the KSA: suggests the existing account, reason said once',
    subject: CART,
    patch: (b) => {
      annotations(b, 'cart', { [KEY]: 'cart@acme-shop.iam.gserviceacount.com' });
      b.set('gcp/service-accounts/cart@acme-shop.iam.gserviceaccount.com.iam-policy.json', { bindings: [] });
    },
    expect: (results) => {
      const r = results[0];
      expect(r?.status).toBe('fail');
      expect(r?.cause).toBe(
        'the annotation `iam.gke.io/gcp-service-account` on KSA `shop/cart` has value ' +
          '`cart@acme-shop.iam.gserviceacount.com`, which is no service-account email: expected ' +
          'ACCOUNT_ID@PROJECT_ID.iam.gserviceaccount.com; `cart@acme-shop.iam.gserviceaccount.com` exists: probably a typo',
      );
      expect(r?.fix.map((f) => `${f.action} ${f.params.value ?? f.target}`)).toEqual([
        'annotate-service-account cart@acme-shop.iam.gserviceaccount.com',
        'restart-workload namespaces/shop/deployments/cart',
      ]);
    },
  },
  {
    name: 'the pool pseudo-email is rejected: it is no account',
    subject: CART,
    patch: (b) => annotations(b, 'cart', { [KEY]: 'acme-shop.svc.id.goog' }),
    expect: { status: 'fail', cause: /`acme-shop\.svc\.id\.goog` is the workload pool.*no service account/ },
  },
  {
    name: 'a value with whitespace is malformed',
    subject: CART,
    patch: (b) => annotations(b, 'cart', { [KEY]: ` ${GSA}` }),
    expect: { status: 'fail', cause: /whitespace/ },
  },
  {
    name: 'a malformed value on a KSA with direct grants suggests removing the annotation',
    subject: API,
    patch: (b) => annotations(b, 'api', { [KEY]: 'acme-shop.svc.id.goog' }),
    expect: { status: 'fail', cause: /workload pool/, fix: ['remove-annotation', 'restart-workload'] },
  },

  // ---- unintended impersonation
  {
    name: 'annotation left on a KSA whose own principal has grants warns (unintended impersonation)',
    subject: API,
    patch: (b) => annotations(b, 'api', { [KEY]: GSA }),
    expect: {
      status: 'warn',
      cause:
        /`shop\/api` is annotated with GSA `cart@acme-shop\.iam\.gserviceaccount\.com` although its own principal has grants/,
      fix: ['remove-annotation', 'restart-workload'],
    },
  },

  // ---- neither annotation nor grants
  {
    name: 'direct binding with no grant in the policies read is unknown, never fail: grants may sit on any resource',
    subject: { ksa: ['shop/default'] },
    expect: {
      status: 'unknown',
      cause:
        /`shop\/default` has no annotation, so its pods use direct binding .*no grant to that principal is in the 8 policies read \(`\/\/storage\.googleapis\.com\/projects\/_\/buckets\/acme-shop-assets`, /,
      missing:
        /gcloud asset search-all-iam-policies --scope=organizations\/987654321098 --query='policy:"principal:\/\/iam\.googleapis\.com\/projects\/123456789012\/locations\/global\/workloadIdentityPools\/acme-shop\.svc\.id\.goog\/subject\/ns\/shop\/sa\/default"'/,
      evidence: (e) => {
        const notes = (e.notes ?? []).join('\n');
        // Which policies were read, by name (resources and projects first), so the reader knows what "none" covers.
        expect(notes).toMatch(
          /policies read: `\/\/storage\.googleapis\.com\/projects\/_\/buckets\/acme-shop-assets`, `projects\/acme-data`, `projects\/acme-shop`, `organizations\/987654321098` and 4 more/,
        );
        expect(notes).toMatch(/wi-doctor check --ksa shop\/default --need PERMISSION --on RESOURCE/);
        // Namespace-wide principal sets and uid members are found by the pool's name.
        expect(notes).toMatch(/--query='policy:"acme-shop\.svc\.id\.goog"'/);
      },
    },
  },
  {
    name: 'live, where the bucket policy was not read: the direct-binding KSA is unknown, not "no Google identity"',
    subject: API,
    patch: (b) => b.remove('gcp/resources/acme-shop-assets.json'),
    expect: {
      status: 'unknown',
      cause: /`shop\/api` has no annotation, so its pods use direct binding/,
      missing: /subject\/ns\/shop\/sa\/api"'/,
    },
  },
  {
    name: 'without an organization policy the search is scoped to the cluster project',
    subject: API,
    patch: (b) => {
      b.remove('gcp/resources/acme-shop-assets.json');
      b.remove('gcp/organizations/987654321098.iam-policy.json');
    },
    expect: { status: 'unknown', missing: /--scope=projects\/acme-shop --query=/ },
  },
  {
    name: 'with --need, a direct-binding KSA with no grant seen is left to gsa-permission',
    subject: API,
    options: { need: ['storage.objects.get'] },
    patch: (b) => b.remove('gcp/resources/acme-shop-assets.json'),
    expect: { status: 'skip', cause: /`storage\.objects\.get` is gsa-permission's verdict/ },
  },
  {
    name: 'with --need, a grant that was read still passes',
    subject: API,
    options: { need: ['storage.objects.get'] },
    expect: { status: 'pass', cause: /^direct binding: / },
  },
  {
    name: 'the unknown of an unreadable policy names its file first, then the search over every policy',
    subject: { ksa: ['shop/default'] },
    patch: (b) => b.error('gcp/projects/acme-shop.iam-policy.json', '403 PERMISSION_DENIED'),
    expect: (results) => {
      expect(results).toHaveLength(1);
      const r = results[0]!;
      expect(r.status).toBe('unknown');
      expect(r.cause).toMatch(/and 1 could not be read/);
      expect(r.missing?.[0]).toMatch(/gcloud projects get-iam-policy acme-shop/);
      expect(r.missing?.[1]).toMatch(/gcloud asset search-all-iam-policies/);
    },
  },
  {
    name: 'a GSA trusting the KSA while the annotation is missing: the annotation is probably missing',
    subject: CART,
    patch: (b) => annotations(b, 'cart', undefined),
    expect: {
      status: 'fail',
      cause: /annotation is probably missing/,
      fix: ['annotate-service-account', 'restart-workload'],
    },
  },
  {
    name: 'no annotation and an unreadable policy is unknown, not fail',
    subject: { ksa: ['shop/default'] },
    patch: (b) => b.error('gcp/projects/acme-shop.iam-policy.json', '403 PERMISSION_DENIED'),
    expect: { status: 'unknown', missing: /gcloud projects get-iam-policy acme-shop/ },
  },

  // ---- skip and unknown
  {
    name: 'no annotation on a cluster without workload pool is skipped',
    subject: API,
    patch: (b) =>
      b.edit('gcp/cluster.json', (c: any) => {
        delete c.workloadIdentityConfig;
      }),
    expect: { status: 'skip', cause: /no workload pool/ },
  },
  {
    name: 'service accounts not readable is unknown',
    subject: CART,
    patch: (b) => {
      b.remove('k8s/serviceaccounts.json');
      b.error('k8s:serviceaccounts', '403 Forbidden: serviceaccounts is forbidden');
    },
    expect: { status: 'unknown' },
  },
  {
    name: 'one policy read is named in the singular, and no organization means the project scope',
    subject: API,
    patch: (b) => {
      for (const path of [
        'gcp/resources/acme-shop-assets.json',
        'gcp/organizations/987654321098.iam-policy.json',
        'gcp/projects/acme-data.iam-policy.json',
        'gcp/service-accounts/123456789012-compute@developer.gserviceaccount.com.iam-policy.json',
        'gcp/service-accounts/cart@acme-shop.iam.gserviceaccount.com.iam-policy.json',
        'gcp/service-accounts/gke-nodes@acme-shop.iam.gserviceaccount.com.iam-policy.json',
        'gcp/service-accounts/reader@acme-data.iam.gserviceaccount.com.iam-policy.json',
      ])
        b.remove(path);
    },
    expect: {
      status: 'unknown',
      cause: /no grant to that principal is in the 1 policy read \(`projects\/acme-shop`\), and grants on other/,
      missing: /--scope=projects\/acme-shop /,
    },
  },
]);
