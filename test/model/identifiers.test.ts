import { describe, expect, it } from 'vitest';

import type { KsaPrincipal } from '../../src/engine/subject.js';
import {
  IdentifierError,
  accountIdProblem,
  formatMember,
  isServiceAccountEmail,
  ksaMembers,
  matchMember,
  parseMember,
  parseServiceAccountEmail,
  poolOf,
  projectOfPool,
  tryParseMember,
} from '../../src/model/identifiers.js';
import type { Member, Principal } from '../../src/model/identifiers.js';

const POOL = 'acme-shop.svc.id.goog';
const NUMBER = '123456789012';
const IAM = `//iam.googleapis.com/projects/${NUMBER}/locations/global/workloadIdentityPools/${POOL}`;
const CLUSTER_URL = 'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod';
const CART_UID = '4f6c1a2b-9d8e-4c7b-a1f0-0123456789ab';

const cart: KsaPrincipal = {
  pool: POOL,
  poolProjectNumber: NUMBER,
  namespace: 'shop',
  name: 'cart',
  uid: CART_UID,
  clusterUrl: CLUSTER_URL,
};
const ksa = (over: Partial<KsaPrincipal> = {}): Principal => ({ type: 'ksa', ksa: { ...cart, ...over } });
const gsa: Principal = { type: 'serviceAccount', email: 'cart@acme-shop.iam.gserviceaccount.com', uniqueId: '111' };

describe('parseMember / formatMember', () => {
  const cases: [string, Member][] = [
    ['user:alice@example.com', { type: 'user', value: 'alice@example.com' }],
    ['group:sre@example.com', { type: 'group', value: 'sre@example.com' }],
    ['domain:example.com', { type: 'domain', value: 'example.com' }],
    [
      'serviceAccount:cart@acme-shop.iam.gserviceaccount.com',
      { type: 'serviceAccount', email: 'cart@acme-shop.iam.gserviceaccount.com' },
    ],
    ['allUsers', { type: 'allUsers' }],
    ['allAuthenticatedUsers', { type: 'allAuthenticatedUsers' }],
    [
      'deleted:serviceAccount:cart@acme-shop.iam.gserviceaccount.com?uid=108765432109876543210',
      {
        type: 'deleted',
        uid: '108765432109876543210',
        member: { type: 'serviceAccount', email: 'cart@acme-shop.iam.gserviceaccount.com' },
      },
    ],
    [
      'deleted:user:bob@example.com?uid=123',
      { type: 'deleted', uid: '123', member: { type: 'user', value: 'bob@example.com' } },
    ],
    [
      'deleted:group:ops@example.com?uid=9',
      { type: 'deleted', uid: '9', member: { type: 'group', value: 'ops@example.com' } },
    ],
    [`serviceAccount:${POOL}[shop/cart]`, { type: 'wi-legacy', pool: POOL, namespace: 'shop', ksa: 'cart' }],
    [`serviceAccount:${POOL}[shop/cart.v2]`, { type: 'wi-legacy', pool: POOL, namespace: 'shop', ksa: 'cart.v2' }],
    [
      `principal:${IAM}/subject/ns/shop/sa/api`,
      { type: 'wi-subject', projectNumber: NUMBER, pool: POOL, namespace: 'shop', ksa: 'api' },
    ],
    [
      `principal:${IAM}/kubernetes.serviceaccount.uid/${CART_UID}`,
      { type: 'wi-uid', projectNumber: NUMBER, pool: POOL, uid: CART_UID },
    ],
    [
      `principalSet:${IAM}/namespace/shop`,
      { type: 'wi-namespace', projectNumber: NUMBER, pool: POOL, namespace: 'shop' },
    ],
    [
      `principalSet:${IAM}/kubernetes.cluster/${CLUSTER_URL}`,
      { type: 'wi-cluster', projectNumber: NUMBER, pool: POOL, clusterUrl: CLUSTER_URL },
    ],
    [
      'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/subject/repo:acme/shop',
      {
        type: 'principal',
        uri: 'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/subject/repo:acme/shop',
      },
    ],
    [
      'principalSet://iam.googleapis.com/locations/global/workforcePools/acme/group/sre',
      { type: 'principalSet', uri: 'principalSet://iam.googleapis.com/locations/global/workforcePools/acme/group/sre' },
    ],
    [`principalSet:${IAM}/*`, { type: 'principalSet', uri: `principalSet:${IAM}/*` }],
    ['projectOwner:acme-shop', { type: 'other', raw: 'projectOwner:acme-shop' }],
    ['projectEditor:acme-shop', { type: 'other', raw: 'projectEditor:acme-shop' }],
    ['projectViewer:acme-shop', { type: 'other', raw: 'projectViewer:acme-shop' }],
  ];

  it.each(cases)('%s', (raw, expected) => {
    const member = parseMember(raw);
    expect(member).toEqual(expected);
    expect(formatMember(member)).toBe(raw);
    expect(tryParseMember(raw)).toEqual({ ok: true, member: expected });
  });

  const malformed: [string, string][] = [
    ['', 'member is empty'],
    ['cart@acme-shop.iam.gserviceaccount.com', 'has no type prefix'],
    ['allusers', 'spelled `allUsers`'],
    [
      'serviceaccount:cart@acme-shop.iam.gserviceaccount.com',
      'prefix `serviceaccount:` must be spelled `serviceAccount:`',
    ],
    ['user:', 'nothing follows `user:`'],
    [' user:alice@example.com', 'contains whitespace'],
    ['serviceAccount:cart', '`cart` is not a service-account email'],
    ['serviceAccount:acme.svc.id.goog[shop]', 'the workload identity form needs [NAMESPACE/KSA]'],
    [`serviceAccount:${POOL}`, 'the workload identity form needs [NAMESPACE/KSA]'],
    [`serviceAccount:${POOL}[shop/cart`, 'closing `]`'],
    [`serviceAccount:${POOL}[shop/cart/x]`, 'needs [NAMESPACE/KSA]'],
    ['serviceAccount:acme-shop.example.com[shop/cart]', 'pool `acme-shop.example.com` is not a workload pool'],
    ['serviceAccount:acme.svc.id.goog[shop/cart]', 'pool `acme.svc.id.goog` does not start with a valid project id'],
    [`serviceAccount:${POOL}[Shop/cart]`, 'namespace `Shop` is not a valid Kubernetes namespace'],
    [`serviceAccount:${POOL}[shop/cart_v2]`, 'KSA name `cart_v2` is not a valid Kubernetes name'],
    [`serviceAccount:${POOL}[/cart]`, 'namespace `` is not a valid'],
    ['deleted:serviceAccount:cart@acme-shop.iam.gserviceaccount.com', 'ends with `?uid=UNIQUE_ID`'],
    ['deleted:serviceAccount:cart@acme-shop.iam.gserviceaccount.com?uid=abc', 'uid `abc` must be digits'],
    ['deleted:domain:example.com?uid=1', '`deleted:` is followed by `domain`'],
    [`deleted:serviceAccount:${POOL}[shop/cart]?uid=1`, 'names an email, not a workload identity'],
    [
      `principal://iam.googleapis.com/projects/acme-shop/locations/global/workloadIdentityPools/${POOL}/subject/ns/shop/sa/api`,
      '`projects/acme-shop` must name the project NUMBER',
    ],
    [
      `principal://iam.googleapis.com/projects/${NUMBER}/locations/europe-west1/workloadIdentityPools/${POOL}/subject/ns/shop/sa/api`,
      'location `europe-west1` must be `global`',
    ],
    [`principal:${IAM}/subject/ns/shop`, 'the subject must be `subject/ns/NAMESPACE/sa/KSA`'],
    [`principal:${IAM}/subject/ns/shop/sa/API`, 'KSA name `API`'],
    [
      `principal:${IAM}/namespace/shop`,
      'expected `subject/ns/NAMESPACE/sa/KSA` or `kubernetes.serviceaccount.uid/UID`',
    ],
    [`principal:${IAM}/kubernetes.serviceaccount.uid/not a uid`, 'contains whitespace'],
    [`principal:${IAM}/kubernetes.serviceaccount.uid/xyz!`, 'KSA uid `xyz!` is not a Kubernetes uid'],
    [`principalSet:${IAM}/namespace/shop_prod`, 'namespace `shop_prod`'],
    [`principalSet:${IAM}/kubernetes.cluster/prod`, 'cluster `prod` must be https://container.googleapis.com/v1/'],
    ['principal:iam.googleapis.com/x', 'must be followed by `//iam.googleapis.com/…`'],
  ];

  it.each(malformed)('rejects %j', (raw, message) => {
    expect(() => parseMember(raw)).toThrow(IdentifierError);
    expect(() => parseMember(raw)).toThrow(message);
    const r = tryParseMember(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });

  it('names the member in its message', () => {
    expect(() => parseMember('serviceAccount:acme.svc.id.goog[shop]')).toThrow(
      'member `serviceAccount:acme.svc.id.goog[shop]`: the workload identity form needs [NAMESPACE/KSA]',
    );
  });
});

describe('pools', () => {
  it('poolOf and projectOfPool are inverse for valid project ids', () => {
    expect(poolOf('acme-shop')).toBe(POOL);
    expect(projectOfPool(POOL)).toBe('acme-shop');
    expect(projectOfPool(poolOf('acme-data'))).toBe('acme-data');
  });
  it.each(['acme-shop', 'acme.svc.id.goog', 'Acme-shop.svc.id.goog', '.svc.id.goog', 'acme-shop.svc.id.goog.evil'])(
    'projectOfPool(%j) is undefined',
    (pool) => expect(projectOfPool(pool)).toBeUndefined(),
  );
});

describe('parseServiceAccountEmail', () => {
  const valid: [string, object][] = [
    ['cart@acme-shop.iam.gserviceaccount.com', { kind: 'user-managed', projectId: 'acme-shop', accountId: 'cart' }],
    ['reader@acme-data.iam.gserviceaccount.com', { kind: 'user-managed', projectId: 'acme-data', accountId: 'reader' }],
    [
      'gke-nodes@acme-shop.iam.gserviceaccount.com',
      { kind: 'user-managed', projectId: 'acme-shop', accountId: 'gke-nodes' },
    ],
    [
      '123456789012-compute@developer.gserviceaccount.com',
      { kind: 'compute-default', projectNumber: NUMBER, accountId: '123456789012-compute' },
    ],
    ['acme-shop@appspot.gserviceaccount.com', { kind: 'app-engine-default', projectId: 'acme-shop' }],
    ['service-123456789012@gcp-sa-gkenode.iam.gserviceaccount.com', { kind: 'service-agent', projectNumber: NUMBER }],
    [
      'service-123456789012@container-engine-robot.iam.gserviceaccount.com',
      { kind: 'service-agent', projectNumber: NUMBER },
    ],
    ['123456789012@cloudservices.gserviceaccount.com', { kind: 'service-agent', projectNumber: NUMBER }],
    [POOL, { kind: 'workload-pool', projectId: 'acme-shop' }],
    [
      'Cart@Acme-Shop.iam.gserviceaccount.com',
      { kind: 'user-managed', email: 'cart@acme-shop.iam.gserviceaccount.com' },
    ],
  ];
  it.each(valid)('%s', (email, expected) => {
    expect(parseServiceAccountEmail(email)).toMatchObject(expected);
    expect(isServiceAccountEmail(email)).toBe((expected as { kind: string }).kind !== 'workload-pool');
  });

  const invalid: [string, string][] = [
    ['', 'empty'],
    ['cart', 'has no `@`'],
    ['cart@', 'expected ACCOUNT_ID@PROJECT_ID.iam.gserviceaccount.com'],
    ['@acme-shop.iam.gserviceaccount.com', 'nothing before `@`'],
    ['a-very-long-account-id-beyond-30@acme-shop.iam.gserviceaccount.com', 'is longer than 30 characters (32)'],
    ['1cart-x@acme-shop.iam.gserviceaccount.com', 'start with a letter'],
    ['cart-svc-@acme-shop.iam.gserviceaccount.com', "not end with '-'"],
    ['cart@acme.iam.gserviceaccount.com', '`acme` is not a project id'],
    ['cart@acme-shop.iam.gserviceacount.com', 'expected ACCOUNT_ID@PROJECT_ID.iam.gserviceaccount.com'],
    ['alice@example.com', 'expected ACCOUNT_ID@PROJECT_ID'],
    ['compute@developer.gserviceaccount.com', 'PROJECT_NUMBER-compute@'],
    ['cart@gcp-sa-gkenode.iam.gserviceaccount.com', 'service-PROJECT_NUMBER@gcp-sa-'],
    ['x@acme-shop.svc.id.goog', 'a workload pool is not a service account'],
    ['acme.svc.id.goog', 'has no `@`'],
  ];
  it.each(invalid)('rejects %j', (email, message) => {
    expect(() => parseServiceAccountEmail(email)).toThrow(IdentifierError);
    expect(() => parseServiceAccountEmail(email)).toThrow(message);
    expect(isServiceAccountEmail(email)).toBe(false);
  });
});

describe('accountIdProblem', () => {
  it.each([
    ['cart-svc', undefined],
    ['cart', 'must be 6–30 characters (it has 4)'],
    ['a-very-long-account-id-beyond-30', 'must be 6–30 characters (it has 32)'],
    ['1cart-svc', 'start with a letter'],
    ['cart-svc-', "not end with '-'"],
  ])('%j', (id, problem) => {
    const found = accountIdProblem(id);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('matchMember', () => {
  type Row = [label: string, member: string, principal: Principal, match: boolean, text: string | undefined];
  const rows: Row[] = [
    // KSA: matches
    ['legacy member', `serviceAccount:${POOL}[shop/cart]`, ksa(), true, 'shop/cart'],
    ['principal subject', `principal:${IAM}/subject/ns/shop/sa/cart`, ksa(), true, 'shop/cart'],
    [
      'principal subject, pool number unknown',
      `principal:${IAM}/subject/ns/shop/sa/cart`,
      ksa({ poolProjectNumber: undefined }),
      true,
      'not verified',
    ],
    ['uid', `principal:${IAM}/kubernetes.serviceaccount.uid/${CART_UID}`, ksa(), true, CART_UID],
    ['namespace set', `principalSet:${IAM}/namespace/shop`, ksa(), true, 'namespace `shop`'],
    ['cluster set', `principalSet:${IAM}/kubernetes.cluster/${CLUSTER_URL}`, ksa(), true, CLUSTER_URL],
    ['allUsers', 'allUsers', ksa(), true, 'allUsers'],
    ['allAuthenticatedUsers', 'allAuthenticatedUsers', ksa(), true, 'allAuthenticatedUsers'],
    // KSA: near misses
    [
      'other namespace',
      `serviceAccount:${POOL}[shop-prod/cart]`,
      ksa(),
      false,
      'binding is for namespace `shop-prod`, the pod runs in `shop`',
    ],
    ['other KSA', `serviceAccount:${POOL}[shop/carts]`, ksa(), false, 'binding is for KSA `shop/carts`'],
    [
      'GSA project pool',
      'serviceAccount:acme-data.svc.id.goog[shop/cart]',
      ksa(),
      false,
      "member uses pool `acme-data.svc.id.goog` (the GSA project's pool?); the cluster's pool is `acme-shop.svc.id.goog`",
    ],
    [
      'principal with wrong project number',
      `principal://iam.googleapis.com/projects/210987654321/locations/global/workloadIdentityPools/${POOL}/subject/ns/shop/sa/cart`,
      ksa(),
      false,
      'project number `210987654321`',
    ],
    [
      'principal other namespace',
      `principal:${IAM}/subject/ns/shop-prod/sa/cart`,
      ksa(),
      false,
      'namespace `shop-prod`',
    ],
    ['namespace set for another namespace', `principalSet:${IAM}/namespace/shop-prod`, ksa(), false, 'shop-prod'],
    [
      'cluster set for another cluster',
      `principalSet:${IAM}/kubernetes.cluster/${CLUSTER_URL.replace('prod', 'staging')}`,
      ksa(),
      false,
      'clusters/staging',
    ],
    [
      'uid unknown',
      `principal:${IAM}/kubernetes.serviceaccount.uid/${CART_UID}`,
      ksa({ uid: undefined }),
      false,
      'uid is unknown',
    ],
    [
      'cluster without pool',
      `serviceAccount:${POOL}[shop/cart]`,
      ksa({ pool: undefined }),
      false,
      "cluster's workload pool is unknown",
    ],
    // KSA: plain misses
    ['two parts differ', `serviceAccount:${POOL}[shop-prod/carts]`, ksa(), false, undefined],
    ['pool and namespace differ', 'serviceAccount:acme-data.svc.id.goog[data/cart]', ksa(), false, undefined],
    [
      'GSA member never near-misses a KSA',
      'serviceAccount:cart@acme-shop.iam.gserviceaccount.com',
      ksa(),
      false,
      undefined,
    ],
    ['other uid', `principal:${IAM}/kubernetes.serviceaccount.uid/0000`, ksa(), false, undefined],
    ['group', 'group:sre@example.com', ksa(), false, undefined],
    ['user', 'user:alice@example.com', ksa(), false, undefined],
    // service accounts
    ['GSA by email', 'serviceAccount:cart@acme-shop.iam.gserviceaccount.com', gsa, true, 'cart@acme-shop'],
    ['GSA email case-insensitive', 'serviceAccount:Cart@acme-shop.iam.gserviceaccount.com', gsa, true, 'cart@'],
    ['GSA allUsers', 'allUsers', gsa, true, 'allUsers'],
    ['GSA allAuthenticatedUsers', 'allAuthenticatedUsers', gsa, true, 'allAuthenticatedUsers'],
    ['other GSA', 'serviceAccount:reader@acme-data.iam.gserviceaccount.com', gsa, false, undefined],
    [
      'deleted GSA',
      'deleted:serviceAccount:cart@acme-shop.iam.gserviceaccount.com?uid=999',
      gsa,
      false,
      "member was deleted: `deleted:serviceAccount:cart@acme-shop.iam.gserviceaccount.com?uid=999` refers to an account deleted and possibly recreated (uid `999`; the current account's uid is `111`); grant again",
    ],
    [
      'deleted GSA, current uid unknown',
      'deleted:serviceAccount:cart@acme-shop.iam.gserviceaccount.com?uid=999',
      { type: 'serviceAccount', email: 'cart@acme-shop.iam.gserviceaccount.com' },
      false,
      'refers to an account deleted and possibly recreated; grant again',
    ],
    [
      'deleted other GSA',
      'deleted:serviceAccount:reader@acme-data.iam.gserviceaccount.com?uid=1',
      gsa,
      false,
      undefined,
    ],
    ['group for GSA', 'group:sre@example.com', gsa, false, undefined],
    ['KSA member for GSA', `serviceAccount:${POOL}[shop/cart]`, gsa, false, undefined],
  ];

  it.each(rows)('%s', (_label, raw, principal, match, text) => {
    const r = matchMember(parseMember(raw), principal);
    expect(r.match).toBe(match);
    if (r.match) {
      expect(r.how).toContain(text);
    } else if (text === undefined) {
      expect(r.nearMiss).toBeUndefined();
    } else {
      expect(r.nearMiss).toContain(text);
    }
  });
});

describe('ksaMembers', () => {
  it('gives both forms, and they match the KSA', () => {
    const m = ksaMembers(cart);
    expect(m).toEqual({
      legacy: `serviceAccount:${POOL}[shop/cart]`,
      principal: `principal:${IAM}/subject/ns/shop/sa/cart`,
    });
    expect(matchMember(parseMember(m.legacy), ksa()).match).toBe(true);
    expect(matchMember(parseMember(m.principal ?? ''), ksa()).match).toBe(true);
  });
  it('omits the principal form when the project number is unknown', () => {
    expect(ksaMembers({ ...cart, poolProjectNumber: undefined })).toEqual({
      legacy: `serviceAccount:${POOL}[shop/cart]`,
    });
  });
  it('throws when the pool is unknown', () => {
    expect(() => ksaMembers({ ...cart, pool: undefined })).toThrow("the cluster's workload pool is unknown");
  });
});
