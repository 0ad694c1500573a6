import { expect } from 'vitest';
import check from '../../src/checks/gsa-user-managed-keys.js';
import { describeCheck } from '../helpers/check-table.js';

const CART = 'cart@acme-shop.iam.gserviceaccount.com';
const KEYS = `gcp/service-accounts/${CART}.keys.json`;
const key = (id: string, extra: object = {}) => ({
  name: `projects/acme-shop/serviceAccounts/${CART}/keys/${id}`,
  validAfterTime: '2026-02-01T10:00:00Z',
  validBeforeTime: '9999-12-31T23:59:59Z',
  keyAlgorithm: 'KEY_ALG_RSA_2048',
  keyOrigin: 'GOOGLE_PROVIDED',
  keyType: 'USER_MANAGED',
  ...extra,
});

describeCheck(check, [
  { name: 'healthy: no keys, pass', expect: { status: 'pass', subject: CART } },
  {
    name: 'an active user-managed key: fail, delete it (the key id shown)',
    patch: (b) => b.set(KEYS, [key('1f6a0c4e8b2d4f7a9c3e5b1d7f9a2c4e6b8d0f1a')]),
    expect: {
      status: 'fail',
      subject: CART,
      cause: /1 active user-managed key \(`1f6a0c4e8b2d4f7a9c3e5b1d7f9a2c4e6b8d0f1a`\)/,
      fix: ['delete-service-account-key'],
    },
  },
  {
    name: 'a key listed without keyType (the list was filtered to user keys) counts',
    patch: (b) => b.set(KEYS, [key('aa11', { keyType: undefined })]),
    expect: { status: 'fail', subject: CART },
  },
  {
    name: 'the REST answer {"keys": […]} is read too',
    patch: (b) => b.set(KEYS, { keys: [key('bb22')] }),
    expect: { status: 'fail', subject: CART },
  },
  {
    name: 'only a disabled key: warn (it can be enabled again)',
    patch: (b) => b.set(KEYS, [key('cc33', { disabled: true })]),
    expect: { status: 'warn', subject: CART, cause: /disabled/, fix: ['delete-service-account-key'] },
  },
  {
    name: 'trap: Google-managed (SYSTEM_MANAGED) keys are not user keys',
    patch: (b) => b.set(KEYS, [key('dd44', { keyType: 'SYSTEM_MANAGED', keyOrigin: 'GOOGLE_PROVIDED' })]),
    expect: {
      status: 'pass',
      subject: CART,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/SYSTEM_MANAGED/),
    },
  },
  {
    name: 'trap: an expired key no longer signs in: pass, noted',
    patch: (b) => b.set(KEYS, [key('ee55', { validBeforeTime: '2026-03-01T00:00:00Z' })]),
    expect: { status: 'pass', subject: CART, evidence: (e) => expect(e.notes?.join('\n')).toMatch(/expired/) },
  },
  {
    name: 'keys not collected: unknown with the gcloud command',
    patch: (b) => b.remove(KEYS),
    expect: { status: 'unknown', subject: CART, missing: /keys list --iam-account .* --managed-by user/ },
  },
  {
    name: 'keys unreadable: unknown',
    patch: (b) => b.error(KEYS, '403 PERMISSION_DENIED'),
    expect: { status: 'unknown', subject: CART },
  },
]);
