import { describeCheck } from '../helpers/check-table.js';
import check from '../../src/checks/gsa-enabled.js';

const CART = { ksa: ['shop/cart'] };
const GSA = 'cart@acme-shop.iam.gserviceaccount.com';

describeCheck(check, [
  {
    name: 'enabled GSA passes (disabled omitted means enabled)',
    subject: CART,
    expect: { status: 'pass', cause: /GSA `cart@acme-shop\.iam\.gserviceaccount\.com` is enabled/ },
  },
  // ---- §5.7 GSA disabled
  {
    name: 'disabled GSA fails with enable-service-account',
    subject: CART,
    patch: (b) =>
      b.edit(`gcp/service-accounts/${GSA}.json`, (sa: any) => {
        sa.disabled = true;
      }),
    expect: { status: 'fail', cause: /is disabled/, fix: ['enable-service-account'] },
  },
  {
    name: 'disabled in the project list (no describe) fails too',
    subject: CART,
    patch: (b) => {
      b.remove(`gcp/service-accounts/${GSA}.json`);
      b.edit('gcp/projects/acme-shop.service-accounts.json', (list: any[]) => {
        for (const sa of list) if (sa.email === GSA) sa.disabled = true;
      });
    },
    expect: { status: 'fail', fix: ['enable-service-account'] },
  },
  {
    name: 'direct binding is skipped',
    subject: { ksa: ['shop/api'] },
    expect: { status: 'skip', cause: /direct binding/ },
  },
  {
    name: 'a GSA that does not exist is skipped, see gsa-exists',
    subject: CART,
    patch: (b) =>
      b.k8s('serviceaccounts', 'shop', 'cart', (sa: any) => {
        sa.metadata.annotations = { 'iam.gke.io/gcp-service-account': 'billing@acme-shop.iam.gserviceaccount.com' };
      }),
    expect: { status: 'skip', cause: /the account does not exist|does not exist \(see gsa-exists\)/ },
  },
  {
    name: 'an unreadable account is unknown, not pass',
    subject: CART,
    patch: (b) => {
      b.error(`gcp/service-accounts/${GSA}.json`, '403 PERMISSION_DENIED');
      b.remove('gcp/projects/acme-shop.service-accounts.json');
    },
    expect: { status: 'unknown' },
  },
]);
