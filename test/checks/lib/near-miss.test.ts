// The near-miss rank decides which binding a failure (or an unknown) names as its cause. Each case pins one
// ordering rule, so that a changed comparison or a dropped tier shows up as a wrong first miss.

import { describe, expect, it } from 'vitest';
import type { KsaPrincipal } from '../../../src/engine/subject.js';
import { describeLikely, likelyCause, rankNearMisses } from '../../../src/checks/lib/near-miss.js';
import type { RankedMiss } from '../../../src/checks/lib/near-miss.js';
import { factError, present } from '../../../src/model/facts.js';
import type { Fact } from '../../../src/model/facts.js';
import type { Binding, Policy } from '../../../src/model/gcp.js';
import { evaluatePermission } from '../../../src/model/iam/evaluate.js';
import type { NearMiss, PermissionEvaluation, PolicyAt, PolicyLevel } from '../../../src/model/iam/evaluate.js';
import { createRoleResolver } from '../../../src/model/iam/roles.js';
import type { Principal } from '../../../src/model/identifiers.js';

const POOL = 'acme-shop.svc.id.goog';
const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const GSA_RESOURCE = `projects/-/serviceAccounts/${GSA}`;
const TOKEN = 'iam.serviceAccounts.getAccessToken';
const WI_USER = 'roles/iam.workloadIdentityUser';
const SA_USER = 'roles/iam.serviceAccountUser';
const member = (ns: string, ksa = 'cart', pool = POOL) => `serviceAccount:${pool}[${ns}/${ksa}]`;

const KSA: KsaPrincipal = {
  pool: POOL,
  poolProjectNumber: '123456789012',
  namespace: 'shop',
  name: 'cart',
  uid: undefined,
  clusterUrl: 'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod',
};
const cart: Principal = { type: 'ksa', ksa: KSA };
const gsa: Principal = { type: 'serviceAccount', email: GSA };
const roles = createRoleResolver({ customRole: (name) => factError(name, 'not collected') });

const policy = (...bindings: Binding[]): Fact<Policy> => present({ version: 3, bindings }, 'policy.json');
const at = (resource: string, level: PolicyLevel, ...bindings: Binding[]): PolicyAt => ({
  resource,
  level,
  policy: policy(...bindings),
});
const onGsa = (...bindings: Binding[]) => at(GSA_RESOURCE, 'service-account', ...bindings);
const onProject = (...bindings: Binding[]) => at('projects/acme-shop', 'project', ...bindings);
const onFolder = (...bindings: Binding[]) => at('folders/42', 'folder', ...bindings);
const onOrg = (...bindings: Binding[]) => at('organizations/7', 'organization', ...bindings);

function rank(
  policies: PolicyAt[],
  principal: Principal = cart,
  evaluation?: PermissionEvaluation,
  gsaProject?: string,
): RankedMiss[] {
  return rankNearMisses({
    permission: TOKEN,
    principal,
    policies,
    roles,
    evaluation: evaluation ?? evaluatePermission({ permission: TOKEN, principal, policies, roles }),
    gsaProject,
  });
}

const summary = (misses: RankedMiss[]) => misses.map((m) => [m.rank, m.resource, m.role, m.member]);

describe('rankNearMisses: which miss comes first', () => {
  it('a meant member with the right role (1) before the right member with a wrong role (2) before other members (4), whatever the policy order', () => {
    const misses = rank([
      onGsa(
        { role: SA_USER, members: [member('shop-prod')] }, // 4: another namespace and a role without the permission
        { role: SA_USER, members: [member('shop')] }, // 2: the right member, actAs only
        { role: WI_USER, members: [member('shop-prod')] }, // 1: another namespace, the right role
      ),
    ]);
    expect(summary(misses)).toEqual([
      [1, GSA_RESOURCE, WI_USER, member('shop-prod')],
      [2, GSA_RESOURCE, SA_USER, member('shop')],
      [4, GSA_RESOURCE, SA_USER, member('shop-prod')],
    ]);
  });

  it('a grant to a deleted account (3) comes after the right member with a wrong role (2) and before other members (4)', () => {
    const deleted = `deleted:serviceAccount:${GSA}?uid=111111111111111111111`;
    const misses = rank(
      [
        at(
          '//storage.googleapis.com/projects/_/buckets/b',
          'resource',
          { role: 'roles/storage.objectAdmin', members: ['serviceAccount:carts@acme-shop.iam.gserviceaccount.com'] },
          { role: 'roles/iam.serviceAccountTokenCreator', members: [deleted] },
          { role: 'roles/storage.objectViewer', members: [`serviceAccount:${GSA}`] },
        ),
      ],
      gsa,
    );
    expect(misses.map((m) => [m.rank, m.member])).toEqual([
      [2, `serviceAccount:${GSA}`],
      [3, deleted],
      [4, 'serviceAccount:carts@acme-shop.iam.gserviceaccount.com'],
    ]);
  });

  it('within a rank, the account or resource policy before the project, the folder and the organization', () => {
    const misses = rank([
      onOrg({ role: WI_USER, members: [member('org-ns')] }),
      onFolder({ role: WI_USER, members: [member('folder-ns')] }),
      onProject({ role: WI_USER, members: [member('proj-ns')] }),
      onGsa({ role: WI_USER, members: [member('gsa-ns')] }),
    ]);
    expect(misses.map((m) => m.level)).toEqual(['service-account', 'project', 'folder', 'organization']);
    expect(misses.every((m) => m.rank === 1)).toBe(true);
  });

  it('within a rank and a level, the miss with fewer differences (the shorter reason) first', () => {
    const misses = rank([
      onGsa(
        { role: WI_USER, members: [member('other', 'worker')] }, // namespace and KSA differ
        { role: WI_USER, members: [member('other')] }, // the namespace only
      ),
    ]);
    expect(misses.map((m) => m.member)).toEqual([member('other'), member('other', 'worker')]);
    expect(misses[0]?.reason).toBe('member is for namespace `other`, the pod runs in `shop`');
  });

  it('other members with a role that lacks the permission count on the account’s own policy only', () => {
    const lacking = { role: SA_USER, members: [member('shop-prod')] };
    expect(rank([onProject(lacking)])).toEqual([]);
    expect(summary(rank([onGsa(lacking)]))).toEqual([[4, GSA_RESOURCE, SA_USER, member('shop-prod')]]);
  });

  it('explains actAs when the right member holds serviceAccountUser for a token', () => {
    const [miss] = rank([onProject({ role: SA_USER, members: [member('shop')] })]);
    expect(miss?.rank).toBe(2);
    expect(miss?.reason).toBe(
      'role `roles/iam.serviceAccountUser` on `projects/acme-shop` does not include ' +
        '`iam.serviceAccounts.getAccessToken`: it grants `iam.serviceAccounts.actAs` (actAs), which does not mint tokens',
    );
  });

  it('names the GSA project pool mistake of a cross-project binding', () => {
    const [miss] = rank(
      [onGsa({ role: WI_USER, members: [member('shop', 'cart', 'acme-data.svc.id.goog')] })],
      cart,
      undefined,
      'acme-data',
    );
    expect(miss?.rank).toBe(1);
    expect(miss?.reason).toMatch(
      /pool `acme-data\.svc\.id\.goog` of the GSA's project `acme-data`, but the cluster's pool is `acme-shop\.svc\.id\.goog`/,
    );
  });

  it('a GSA principal: an email a few typos away is a miss, a different account is not', () => {
    const near = 'serviceAccount:carts@acme-shop.iam.gserviceaccount.com';
    const far = 'serviceAccount:billing@acme-shop.iam.gserviceaccount.com';
    const misses = rank([onProject({ role: 'roles/iam.serviceAccountTokenCreator', members: [near, far] })], gsa);
    expect(misses.map((m) => [m.rank, m.member])).toEqual([[1, near]]);
  });
});

describe('rankNearMisses: misses only the evaluator saw', () => {
  const none = (nearMisses: NearMiss[]): PermissionEvaluation => ({
    outcome: 'not-granted',
    grants: [],
    conditionalGrants: [],
    nearMisses,
    unreadable: [],
    unresolvedRoles: [],
  });
  const miss = (role: string, m: string): NearMiss => ({
    resource: 'projects/elsewhere',
    level: 'project',
    role,
    member: m,
    reason: 'seen by the evaluator',
  });

  it.each([
    ['the right member with a role that lacks the permission', SA_USER, member('shop'), 2],
    ['another member with a role that has it', WI_USER, member('shop-prod'), 1],
    ['another member with a role that lacks it', SA_USER, member('shop-prod'), 4],
    ['a deleted member', WI_USER, 'deleted:serviceAccount:x@acme-shop.iam.gserviceaccount.com?uid=1', 3],
  ])('%s gets rank %#', (_what, role, m, expected) => {
    const [found] = rank([], cart, none([miss(role, m)]));
    expect(found?.rank).toBe(expected);
    expect(found?.reason).toBe('seen by the evaluator');
  });

  it('a miss the scan already found is not added twice', () => {
    const policies = [onGsa({ role: WI_USER, members: [member('shop-prod')] })];
    const evaluation = evaluatePermission({ permission: TOKEN, principal: cart, policies, roles });
    expect(evaluation.nearMisses).toHaveLength(1);
    expect(rank(policies, cart, evaluation)).toHaveLength(1);
  });
});

describe('likelyCause: the near miss an unknown names', () => {
  const ranked = (r: RankedMiss['rank']): RankedMiss => ({
    resource: 'projects/acme-shop',
    level: 'project',
    role: WI_USER,
    member: member('shop-prod'),
    reason: `rank ${r}`,
    rank: r,
  });
  const blocked = [{ resource: GSA_RESOURCE }];

  it.each([1, 2, 3] as const)('a rank-%i miss is named, with the read that settles it', (r) => {
    const likely = likelyCause([ranked(r)], blocked);
    expect(likely?.miss.rank).toBe(r);
    expect(likely?.settle).toBe(`gcloud iam service-accounts get-iam-policy ${GSA} --format=json`);
  });

  it('a rank-4 miss (another member, another role) is no sign', () => {
    expect(likelyCause([ranked(4)], blocked)).toBeUndefined();
  });

  it('the best of several: the first with rank 3 or better', () => {
    expect(likelyCause([ranked(4), ranked(2), ranked(1)], blocked)?.miss.rank).toBe(2);
  });

  it('nothing unreadable: nothing to settle, no guess', () => {
    expect(likelyCause([ranked(1)], [])).toBeUndefined();
  });

  it('a policy of a service with no gcloud read command is settled by reading it with an allowed identity', () => {
    const likely = likelyCause([ranked(1)], [{ resource: '//bigquery.googleapis.com/projects/p/datasets/d' }]);
    expect(likely?.settle).toBe(
      'read the IAM policy of `//bigquery.googleapis.com/projects/p/datasets/d` with an identity allowed to',
    );
  });

  it('describes the miss, where it is, and the command', () => {
    const likely = likelyCause([ranked(1)], blocked);
    if (likely === undefined) throw new Error('no likely cause');
    expect(describeLikely(likely)).toBe(
      '; most likely cause, in the policies that were read: rank 1 (`roles/iam.workloadIdentityUser` to ' +
        '`serviceAccount:acme-shop.svc.id.goog[shop-prod/cart]` on `projects/acme-shop`); settle it with ' +
        `\`gcloud iam service-accounts get-iam-policy ${GSA} --format=json\``,
    );
  });
});
