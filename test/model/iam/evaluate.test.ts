import { describe, expect, it } from 'vitest';

import type { KsaPrincipal } from '../../../src/engine/subject.js';
import { absent, factError, notCollected, present } from '../../../src/model/facts.js';
import type { AncestorPolicy, Fact, Facts } from '../../../src/model/facts.js';
import type { Binding, CustomRole, Policy, Project, ServiceAccount } from '../../../src/model/gcp.js';
import { matchMember, tryParseMember } from '../../../src/model/identifiers.js';
import type { Principal } from '../../../src/model/identifiers.js';
import { evaluatePermission } from '../../../src/model/iam/evaluate.js';
import type { GrantFinding, PermissionEvaluation, PolicyAt } from '../../../src/model/iam/evaluate.js';
import { projectPolicyChain, resourcePolicyChain, serviceAccountPolicyChain } from '../../../src/model/iam/policies.js';
import { createRoleResolver } from '../../../src/model/iam/roles.js';

const POOL = 'acme-shop.svc.id.goog';
const NUMBER = '123456789012';
const IAM = `//iam.googleapis.com/projects/${NUMBER}/locations/global/workloadIdentityPools/${POOL}`;
const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const GSA_RESOURCE = `projects/-/serviceAccounts/${GSA}`;
const BUCKET = '//storage.googleapis.com/projects/_/buckets/acme-shop-assets';
const CART = `serviceAccount:${POOL}[shop/cart]`;
const GET_TOKEN = 'iam.serviceAccounts.getAccessToken';

const ksa = (name: string): Principal => {
  const k: KsaPrincipal = {
    pool: POOL,
    poolProjectNumber: NUMBER,
    namespace: 'shop',
    name,
    uid: undefined,
    clusterUrl: 'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod',
  };
  return { type: 'ksa', ksa: k };
};
const cart = ksa('cart');

const customRoles: Record<string, Fact<CustomRole>> = {
  'projects/acme-shop/roles/tokenMinter': present(
    { name: 'projects/acme-shop/roles/tokenMinter', includedPermissions: [GET_TOKEN] },
    'iam/roles/tokenMinter.json',
  ),
  'projects/acme-shop/roles/oldMinter': present(
    { name: 'projects/acme-shop/roles/oldMinter', includedPermissions: [GET_TOKEN], deleted: true },
    'iam/roles/oldMinter.json',
  ),
};
const roles = createRoleResolver({
  customRole: (name) => customRoles[name] ?? factError(`iam/roles/${name}`, '403 iam.roles.get denied'),
});

const policy = (...bindings: Binding[]): Fact<Policy> => present({ version: 3, bindings }, 'policy.json');
const sa = (p: Fact<Policy>): PolicyAt => ({ resource: GSA_RESOURCE, level: 'service-account', policy: p });
const project = (p: Fact<Policy>): PolicyAt => ({ resource: 'projects/acme-shop', level: 'project', policy: p });
const wiUser = (...members: string[]): Binding => ({ role: 'roles/iam.workloadIdentityUser', members });
const CONDITION = { expression: 'request.time < timestamp("2030-01-01T00:00:00Z")', title: 'until 2030' };

function evaluate(policies: PolicyAt[], principal: Principal = cart, permission = GET_TOKEN): PermissionEvaluation {
  return evaluatePermission({ permission, principal, policies, roles });
}

describe('evaluatePermission', () => {
  type Row = {
    name: string;
    policies: PolicyAt[];
    principal?: Principal;
    permission?: string;
    outcome: PermissionEvaluation['outcome'];
    check?: (e: PermissionEvaluation) => void;
  };
  const rows: Row[] = [
    {
      name: 'grant on the GSA policy (legacy member)',
      policies: [sa(policy(wiUser(CART))), project(policy())],
      outcome: 'granted',
      check: (e) =>
        expect(e.grants).toEqual([
          { resource: GSA_RESOURCE, level: 'service-account', role: 'roles/iam.workloadIdentityUser', member: CART },
        ]),
    },
    {
      name: 'grant inherited from the project (principal member)',
      policies: [
        sa(policy()),
        project(
          policy({
            role: 'roles/iam.serviceAccountTokenCreator',
            members: [`principal:${IAM}/subject/ns/shop/sa/cart`],
          }),
        ),
      ],
      outcome: 'granted',
      check: (e) => expect(e.grants[0]?.level).toBe('project'),
    },
    {
      name: 'grant through a namespace principal set',
      policies: [sa(policy(wiUser(`principalSet:${IAM}/namespace/shop`)))],
      outcome: 'granted',
    },
    {
      name: 'grant through a custom role',
      policies: [sa(policy({ role: 'projects/acme-shop/roles/tokenMinter', members: [CART] }))],
      outcome: 'granted',
    },
    {
      name: 'conditional grant only',
      policies: [sa(policy({ ...wiUser(CART), condition: CONDITION }))],
      outcome: 'conditional',
      check: (e) => {
        expect(e.grants).toEqual([]);
        expect(e.conditionalGrants[0]?.condition).toEqual(CONDITION);
      },
    },
    {
      name: 'unconditional grant beats conditional',
      policies: [sa(policy({ ...wiUser(CART), condition: CONDITION })), project(policy(wiUser(CART)))],
      outcome: 'granted',
      check: (e) => expect(e.conditionalGrants).toHaveLength(1),
    },
    {
      name: 'wrong namespace is a near miss',
      policies: [sa(policy(wiUser(`serviceAccount:${POOL}[shop-prod/cart]`)))],
      outcome: 'not-granted',
      check: (e) =>
        expect(e.nearMisses).toEqual([
          {
            resource: GSA_RESOURCE,
            level: 'service-account',
            role: 'roles/iam.workloadIdentityUser',
            member: `serviceAccount:${POOL}[shop-prod/cart]`,
            reason: 'binding is for namespace `shop-prod`, the pod runs in `shop`',
          },
        ]),
    },
    {
      name: "GSA project's pool is a near miss",
      policies: [sa(policy(wiUser('serviceAccount:acme-data.svc.id.goog[shop/cart]')))],
      outcome: 'not-granted',
      check: (e) => expect(e.nearMisses[0]?.reason).toContain('acme-data.svc.id.goog'),
    },
    {
      name: 'serviceAccountUser instead of workloadIdentityUser',
      policies: [sa(policy({ role: 'roles/iam.serviceAccountUser', members: [CART] }))],
      outcome: 'not-granted',
      check: (e) =>
        expect(e.nearMisses[0]?.reason).toBe(
          'role `roles/iam.serviceAccountUser` does not include `iam.serviceAccounts.getAccessToken` (it grants actAs, which does not mint tokens)',
        ),
    },
    {
      name: 'owner does not mint tokens either',
      policies: [project(policy({ role: 'roles/owner', members: [CART] }))],
      outcome: 'not-granted',
      check: (e) => expect(e.nearMisses[0]?.reason).toContain('role `roles/owner` does not include'),
    },
    {
      name: 'role without actAs gets the generic wording',
      policies: [project(policy({ role: 'roles/storage.objectViewer', members: [CART] }))],
      outcome: 'not-granted',
      check: (e) =>
        expect(e.nearMisses[0]?.reason).toBe(
          'role `roles/storage.objectViewer` does not include `iam.serviceAccounts.getAccessToken`',
        ),
    },
    {
      name: 'deleted custom role explains itself',
      policies: [sa(policy({ role: 'projects/acme-shop/roles/oldMinter', members: [CART] }))],
      outcome: 'not-granted',
      check: (e) => expect(e.nearMisses[0]?.reason).toContain('is deleted'),
    },
    {
      name: 'public grant with another role is no near miss',
      policies: [project(policy({ role: 'roles/viewer', members: ['allAuthenticatedUsers'] }))],
      outcome: 'not-granted',
      check: (e) => expect(e.nearMisses).toEqual([]),
    },
    {
      name: 'unresolvable role of a matching member is unknown',
      policies: [sa(policy({ role: 'projects/acme-shop/roles/secret', members: [CART] }))],
      outcome: 'unknown',
      check: (e) =>
        expect(e.unresolvedRoles).toEqual([
          { resource: GSA_RESOURCE, role: 'projects/acme-shop/roles/secret', reason: expect.stringContaining('403') },
        ]),
    },
    {
      name: 'unresolvable role of another member does not matter',
      policies: [sa(policy({ role: 'projects/acme-shop/roles/secret', members: ['user:alice@example.com'] }))],
      outcome: 'not-granted',
    },
    {
      name: 'unreadable project policy makes a miss unknown',
      policies: [sa(policy()), project(factError('projects/acme-shop/policy.json', '403 getIamPolicy denied'))],
      outcome: 'unknown',
      check: (e) =>
        expect(e.unreadable).toEqual([{ resource: 'projects/acme-shop', message: expect.stringContaining('403') }]),
    },
    {
      name: 'not-collected policy is unreadable',
      policies: [sa(notCollected('sa/policy.json'))],
      outcome: 'unknown',
    },
    {
      name: 'a grant wins over an unreadable policy',
      policies: [sa(policy(wiUser(CART))), project(notCollected('p'))],
      outcome: 'granted',
      check: (e) => expect(e.unreadable).toHaveLength(1),
    },
    {
      name: 'absent policy is empty',
      policies: [sa(absent('sa/policy.json')), project(policy())],
      outcome: 'not-granted',
      check: (e) => expect(e.unreadable).toEqual([]),
    },
    {
      name: 'group members are noted, not counted',
      policies: [sa(policy({ role: 'roles/iam.serviceAccountTokenCreator', members: ['group:sre@example.com'] }))],
      principal: { type: 'serviceAccount', email: 'reader@acme-data.iam.gserviceaccount.com' },
      outcome: 'not-granted',
      check: (e) => expect(e.groupGrants?.[0]?.member).toBe('group:sre@example.com'),
    },
    {
      name: 'cross-project GSA impersonation by another GSA',
      policies: [sa(policy({ role: 'roles/iam.serviceAccountTokenCreator', members: [`serviceAccount:${GSA}`] }))],
      principal: { type: 'serviceAccount', email: GSA },
      outcome: 'granted',
    },
    {
      name: 'deleted member is a near miss for the recreated account',
      policies: [
        sa(policy({ role: 'roles/iam.serviceAccountTokenCreator', members: [`deleted:serviceAccount:${GSA}?uid=42`] })),
      ],
      principal: { type: 'serviceAccount', email: GSA, uniqueId: '43' },
      outcome: 'not-granted',
      check: (e) => expect(e.nearMisses[0]?.reason).toContain('member was deleted'),
    },
    {
      name: 'direct binding on a bucket',
      policies: [
        {
          resource: BUCKET,
          level: 'resource',
          policy: policy({ role: 'roles/storage.objectViewer', members: [`principal:${IAM}/subject/ns/shop/sa/api`] }),
        },
      ],
      principal: ksa('api'),
      permission: 'storage.objects.get',
      outcome: 'granted',
    },
    {
      name: 'another KSA is not granted, and its near miss is the KSA name',
      policies: [sa(policy(wiUser(CART)))],
      principal: ksa('api'),
      outcome: 'not-granted',
      check: (e) => expect(e.nearMisses[0]?.reason).toContain('binding is for KSA `shop/cart`'),
    },
    {
      name: 'malformed members are skipped',
      policies: [sa(policy(wiUser('serviceAccount:acme.svc.id.goog[shop]', 'garbage', CART)))],
      outcome: 'granted',
      check: (e) => expect(e.grants.map((g) => g.member)).toEqual([CART]),
    },
    {
      name: 'nothing at all',
      policies: [],
      outcome: 'not-granted',
    },
  ];

  it.each(rows)('$name', ({ policies, principal, permission, outcome, check }) => {
    const e = evaluate(policies, principal, permission);
    expect(e.outcome).toBe(outcome);
    check?.(e);
  });

  // A wall-clock bound means nothing under a mutation run's instrumentation (and coverage): skipped there.
  it.skipIf(process.env.WI_DOCTOR_MUTATION === '1')('stays fast for many subjects', () => {
    const members = Array.from({ length: 200 }, (_, i) => `serviceAccount:${POOL}[ns-${i}/ksa-${i}]`);
    const policies = [sa(policy(wiUser(...members))), project(policy({ role: 'roles/viewer', members }))];
    const start = performance.now();
    for (let i = 0; i < 2000; i++) evaluate(policies, ksa(`ksa-${i}`));
    expect(performance.now() - start).toBeLessThan(5000);
  });
});

/**
 * What the evaluation must find, worked out the slow way: every member of every binding weighed against the
 * principal. The evaluation itself looks members up in an index of each policy; both must agree.
 */
function weighEveryMember(policies: readonly PolicyAt[], principal: Principal, permission: string) {
  const grants: GrantFinding[] = [];
  const conditionalGrants: GrantFinding[] = [];
  const groupGrants: GrantFinding[] = [];
  const unresolvedRoles: { resource: string; role: string; reason: string }[] = [];
  for (const { resource, level, policy: p } of policies) {
    if (p.status !== 'present') continue;
    for (const binding of p.value.bindings ?? []) {
      const perms = roles.permissions(binding.role);
      const has = perms.known && perms.permissions.has(permission);
      for (const raw of binding.members ?? []) {
        const parsed = tryParseMember(raw);
        if (!parsed.ok) continue;
        const found: GrantFinding = {
          resource,
          level,
          role: binding.role,
          member: raw,
          ...(binding.condition !== undefined ? { condition: binding.condition } : {}),
        };
        const m = matchMember(parsed.member, principal);
        if (m.match) {
          if (!perms.known) unresolvedRoles.push({ resource, role: binding.role, reason: perms.reason });
          else if (has) (binding.condition !== undefined ? conditionalGrants : grants).push(found);
        } else if (has && m.nearMiss === undefined && parsed.member.type === 'group') groupGrants.push(found);
      }
    }
  }
  return { grants, conditionalGrants, unresolvedRoles, groupGrants };
}

describe('evaluatePermission finds what weighing every member finds', () => {
  const CLUSTER = 'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod';
  const members = [
    CART,
    `serviceAccount:${POOL}[shop/api]`,
    `serviceAccount:${POOL}[shop-prod/cart]`,
    `serviceAccount:acme-data.svc.id.goog[shop/cart]`,
    `principal:${IAM}/subject/ns/shop/sa/cart`,
    `principal://iam.googleapis.com/projects/999/locations/global/workloadIdentityPools/${POOL}/subject/ns/shop/sa/cart`,
    `principal:${IAM}/kubernetes.serviceaccount.uid/0f6e1b1a-1111-4bc5-a0e1-39222e882df8`,
    `principalSet:${IAM}/namespace/shop`,
    `principalSet:${IAM}/namespace/other`,
    `principalSet:${IAM}/kubernetes.cluster/${CLUSTER}`,
    `principalSet:${IAM}/kubernetes.cluster/${CLUSTER.replace('prod', 'staging')}`,
    `principalSet:${IAM}/*`,
    'allUsers',
    'allAuthenticatedUsers',
    'group:platform@acme.example',
    'user:dev@acme.example',
    'domain:acme.example',
    `serviceAccount:${GSA.toUpperCase()}`,
    `serviceAccount:${GSA}`,
    `deleted:serviceAccount:${GSA}?uid=123`,
    'projectOwner:acme-shop',
    'garbage',
  ];
  // Every member under every kind of role, one of them conditional, and one member twice in one binding.
  const bindings: Binding[] = [
    { role: 'roles/iam.workloadIdentityUser', members },
    { role: 'roles/iam.serviceAccountTokenCreator', members: [...members].reverse(), condition: CONDITION },
    { role: 'roles/iam.serviceAccountUser', members },
    { role: 'projects/acme-shop/roles/tokenMinter', members: [CART, CART, 'group:platform@acme.example'] },
    { role: 'projects/acme-shop/roles/unreadable', members: [...members] },
    { role: 'roles/viewer', members: [] },
  ];
  const withUid = (uid: string | undefined, pool: string | undefined = POOL): Principal => {
    const base = ksa('cart');
    if (base.type !== 'ksa') throw new Error('a KSA principal');
    return { type: 'ksa', ksa: { ...base.ksa, uid, pool } };
  };
  const principals: [string, Principal][] = [
    ['cart', cart],
    ['api', ksa('api')],
    ['cart with its uid', withUid('0f6e1b1a-1111-4bc5-a0e1-39222e882df8')],
    ['cart with another uid', withUid('aaaaaaaa-1111-4bc5-a0e1-39222e882df8')],
    ['cart without a pool', withUid(undefined, undefined)],
    ['the GSA itself', { type: 'serviceAccount', email: GSA }],
    ['the GSA in capitals', { type: 'serviceAccount', email: GSA.toUpperCase() }],
    ['another account', { type: 'serviceAccount', email: 'other@acme-shop.iam.gserviceaccount.com' }],
  ];
  const chains: [string, PolicyAt[]][] = [
    ['one policy', [sa(policy(...bindings))]],
    ['a chain', [sa(policy(...bindings.slice(0, 2))), project(policy(...bindings.slice(2)))]],
  ];
  for (const [chainName, chain] of chains) {
    for (const [who, principal] of principals) {
      for (const permission of [GET_TOKEN, 'iam.serviceAccounts.actAs']) {
        it(`${chainName}, ${who}, ${permission}`, () => {
          const e = evaluate(chain, principal, permission);
          const expected = weighEveryMember(chain, principal, permission);
          expect(e.grants).toEqual(expected.grants);
          expect(e.conditionalGrants).toEqual(expected.conditionalGrants);
          expect(e.unresolvedRoles).toEqual(expected.unresolvedRoles);
          expect(e.groupGrants ?? []).toEqual(expected.groupGrants);
        });
      }
    }
  }
  it('the table above has grants to find', () => {
    // Guards the table: were every expectation empty, the comparisons would prove nothing.
    const counts = principals.map(([, p]) => weighEveryMember(chains[0]?.[1] ?? [], p, GET_TOKEN).grants.length);
    expect(counts.filter((n) => n > 0).length).toBeGreaterThanOrEqual(5);
  });
});

describe('policy chains', () => {
  const saPolicy = policy(wiUser(CART));
  const projectPolicy = policy();
  const folder: AncestorPolicy = { resource: 'folders/1234', policy: policy() };
  const org: AncestorPolicy = { resource: 'organizations/42', policy: notCollected('org') };
  const accounts: Record<string, ServiceAccount> = {
    '123456789012-compute@developer.gserviceaccount.com': {
      email: '123456789012-compute@developer.gserviceaccount.com',
    },
  };
  const projects: Record<string, Project> = { 'acme-shop': { projectId: 'acme-shop', projectNumber: NUMBER } };
  const facts: Pick<
    Facts,
    | 'serviceAccountPolicy'
    | 'serviceAccount'
    | 'projectPolicy'
    | 'ancestorPolicies'
    | 'project'
    | 'knownProjects'
    | 'resourcePolicy'
  > = {
    serviceAccountPolicy: () => saPolicy,
    serviceAccount: (email) => {
      const a = accounts[email];
      return a ? present(a, 'sa.json') : absent('sa.json');
    },
    projectPolicy: (id) => (id === 'acme-shop' ? projectPolicy : notCollected(`projects/${id}`)),
    ancestorPolicies: [folder, org],
    project: (id) => {
      const p = projects[id];
      return p ? present(p, 'project.json') : notCollected('project.json');
    },
    knownProjects: ['acme-data', 'acme-shop'],
    resourcePolicy: () => policy(),
  };

  it('service account: own policy, project, ancestors', () => {
    const chain = serviceAccountPolicyChain(facts, GSA);
    expect(chain.map((c) => [c.resource, c.level])).toEqual([
      [GSA_RESOURCE, 'service-account'],
      ['projects/acme-shop', 'project'],
      ['folders/1234', 'folder'],
      ['organizations/42', 'organization'],
    ]);
    expect(chain[0]?.policy).toBe(saPolicy);
    expect(chain[1]?.policy).toBe(projectPolicy);
  });

  it('compute default account: project found by number', () => {
    const chain = serviceAccountPolicyChain(facts, '123456789012-compute@developer.gserviceaccount.com');
    expect(chain[1]?.resource).toBe('projects/acme-shop');
  });

  it('unknown project: a not-collected stand-in so the evaluation is unknown, not a miss', () => {
    const chain = serviceAccountPolicyChain(facts, '999-compute@developer.gserviceaccount.com');
    expect(chain[1]?.level).toBe('project');
    expect(chain[1]?.policy.status).toBe('not-collected');
    const e = evaluate(chain.map((c) => (c.level === 'service-account' ? { ...c, policy: policy() } : c)));
    expect(e.outcome).toBe('unknown');
  });

  it('project chain and resource chain', () => {
    expect(projectPolicyChain(facts, 'acme-shop').map((c) => c.level)).toEqual(['project', 'folder', 'organization']);
    expect(resourcePolicyChain(facts, BUCKET, 'acme-shop').map((c) => [c.resource, c.level])).toEqual([
      [BUCKET, 'resource'],
      ['projects/acme-shop', 'project'],
      ['folders/1234', 'folder'],
      ['organizations/42', 'organization'],
    ]);
    expect(resourcePolicyChain(facts, BUCKET).map((c) => c.level)).toEqual(['resource', 'folder', 'organization']);
  });

  it('evaluates a whole chain end to end', () => {
    expect(evaluate(serviceAccountPolicyChain(facts, GSA)).outcome).toBe('granted');
  });
});
