import { describe, expect, it } from 'vitest';

import type { KsaPrincipal } from '../../../src/engine/subject.js';
import { MemberIndex, keysOfPrincipal } from '../../../src/model/iam/member-keys.js';
import { parseMember } from '../../../src/model/identifiers.js';

const POOL = 'acme-shop.svc.id.goog';
const PREFIX = 'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools';
const SET_PREFIX = PREFIX.replace('principal://', 'principalSet://');
const CLUSTER_URL = 'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod';

const ksa: KsaPrincipal = {
  pool: POOL,
  poolProjectNumber: '123456789012',
  namespace: 'shop',
  name: 'cart',
  uid: '8d5c6a2e-1f0b-4b7e-9c41-2a7d3e5f6a10',
  clusterUrl: CLUSTER_URL,
};

/** Members that can name shop/cart, one of each kind of key. */
const NAMING_CART = {
  ksa: `serviceAccount:${POOL}[shop/cart]`,
  uid: `${PREFIX}/${POOL}/kubernetes.serviceaccount.uid/${ksa.uid ?? ''}`,
  namespace: `${SET_PREFIX}/${POOL}/namespace/shop`,
  cluster: `${SET_PREFIX}/${POOL}/kubernetes.cluster/${CLUSTER_URL}`,
};

function indexOf(members: readonly string[]): MemberIndex<{ order: number; raw: string }> {
  const index = new MemberIndex<{ order: number; raw: string }>();
  members.forEach((raw, order) => {
    const member = parseMember(raw);
    index.add({ order, raw }, member, member.type === 'allUsers' || member.type === 'allAuthenticatedUsers');
  });
  return index;
}

describe('MemberIndex', () => {
  it.each(Object.entries(NAMING_CART))('finds a %s member when it is the only kind the index holds', (_kind, raw) => {
    const index = indexOf([raw]);
    const found = index.candidates(keysOfPrincipal({ type: 'ksa', ksa })).map((e) => e.raw);
    expect(found).toEqual([raw]);
  });

  it('finds every kind at once, in policy order, with the members every lookup visits', () => {
    const members = ['allUsers', NAMING_CART.cluster, 'user:ana@example.com', NAMING_CART.ksa, NAMING_CART.namespace];
    const found = indexOf(members)
      .candidates(keysOfPrincipal({ type: 'ksa', ksa }))
      .map((e) => e.raw);
    expect(found).toEqual(['allUsers', NAMING_CART.cluster, NAMING_CART.ksa, NAMING_CART.namespace]);
  });

  it('finds nothing under kinds of key the index does not hold', () => {
    const index = indexOf([`serviceAccount:${POOL}[shop/web]`, 'serviceAccount:app@acme-shop.iam.gserviceaccount.com']);
    expect(index.candidates(keysOfPrincipal({ type: 'ksa', ksa }))).toEqual([]);
    const email = { type: 'serviceAccount', email: 'App@acme-shop.iam.gserviceaccount.com' } as const;
    expect(index.candidates(keysOfPrincipal(email)).map((e) => e.raw)).toEqual([
      'serviceAccount:app@acme-shop.iam.gserviceaccount.com',
    ]);
  });
});
