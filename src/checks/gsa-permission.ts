// With `--need PERMISSION_OR_ROLE [--on RESOURCE]`: does the subject's identity hold what the workload
// needs? Working Workload Identity followed by a 403 from the target API means this (FACTS §3, §5.17).
// The identity is the GSA under impersonation and the KSA's own principal under direct binding.
//
// Where: with `--on`, the resource's own policy, then its project's (when the name says the project) and the
// collected folders/organization. Without `--on`, the policy of the CLUSTER's project: the workload's
// resources usually live beside it, and a GSA from another project still acts on the cluster's project;
// users who need another project say `--on projects/OTHER`.

import type { Subject } from '../engine/subject.js';
import type { Facts } from '../model/facts.js';
import { evaluatePermission } from '../model/iam/evaluate.js';
import type { GrantFinding, PermissionEvaluation, PolicyAt } from '../model/iam/evaluate.js';
import { projectOfServiceAccount, projectPolicyChain, resourcePolicyChain } from '../model/iam/policies.js';
import type { RoleResolver } from '../model/iam/roles.js';
import type { Principal } from '../model/identifiers.js';
import type { FixPlan } from '../model/results.js';
import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import { policyCollectHint, roleCollectHint } from './lib/collect-hints.js';
import { describeLikely, formatNearMiss, likelyCause, rankNearMisses } from './lib/near-miss.js';
import { subjectPrincipal } from './lib/subject-principal.js';

const PROJECT_RESOURCE = /^(?:\/\/cloudresourcemanager\.googleapis\.com\/)?projects\/([^/]+)$/;
/** The project a full resource name names, when it does (`projects/_/…` names none). */
const PROJECT_IN_NAME = /\/projects\/([^/_][^/]*)\//;

interface Scope {
  chain: PolicyAt[];
  /** Where a fix grants: the resource of `--on`, or the project. */
  fixTarget: string;
  label: string;
  /** Set when the resource's project is unknown: project policies that would apply if it lived there. */
  guessProjects: string[];
}

function scopeOf(facts: Facts, subject: Subject, on: string | undefined, gsaProject: string | undefined): Scope {
  if (on === undefined) {
    const project = subject.cluster.project;
    return {
      chain: projectPolicyChain(facts, project),
      fixTarget: `projects/${project}`,
      label: `project \`${project}\``,
      guessProjects: [],
    };
  }
  const asProject = PROJECT_RESOURCE.exec(on);
  if (asProject?.[1] !== undefined) {
    const project = asProject[1];
    return {
      chain: projectPolicyChain(facts, project),
      fixTarget: `projects/${project}`,
      label: `project \`${project}\``,
      guessProjects: [],
    };
  }
  const project = PROJECT_IN_NAME.exec(on)?.[1];
  const guesses =
    project === undefined
      ? [...new Set([subject.cluster.project, ...(gsaProject !== undefined ? [gsaProject] : [])])]
      : [];
  return { chain: resourcePolicyChain(facts, on, project), fixTarget: on, label: `\`${on}\``, guessProjects: guesses };
}

interface NeedResult {
  need: string;
  permissions: string[];
  missing: string[];
  conditional: GrantFinding[];
  unknown: string[];
  grants: GrantFinding[];
}

function describeCondition(g: GrantFinding): string {
  const c = g.condition;
  if (c === undefined) return `\`${g.role}\``;
  return `\`${g.role}\` under condition ${c.title !== undefined ? `\`${c.title}\` ` : ''}(\`${c.expression}\`)`;
}

/**
 * Predefined roles with the permission, fewest permissions first, in tiers: roles of the permission's own
 * service first (`storage.objects.get` → `roles/storage.*`); roles meant for Google's own service accounts
 * (`…Service…`, `…serviceAgent`) and the legacy bucket roles (`roles/storage.legacy…`, bucket-only, kept for ACL
 * compatibility) after them. "Smallest" alone would suggest `roles/bigquerymigration.worker` for object reads.
 */
function candidateRoles(permission: string, roles: RoleResolver): string[] {
  const service = permission.split('.')[0] ?? '';
  const tier = (role: string): number => {
    const id = role.replace(/^roles\//, '');
    const sameService = id.split('.')[0] === service;
    const internal = /Service|serviceAgent|\.legacy/.test(id);
    return (sameService ? 0 : 2) + (internal ? 1 : 0);
  };
  return roles
    .rolesWith(permission)
    .map((role, index) => ({ role, index, tier: tier(role) }))
    .sort((a, b) => a.tier - b.tier || a.index - b.index)
    .map((r) => r.role);
}

/**
 * One role of the permissions' service holding every missing permission, else the best role per permission.
 * Never one broad role for permissions of several services (that would be `roles/owner`).
 */
function rolesFor(missing: readonly string[], roles: RoleResolver): string[] {
  const [first] = missing;
  if (first === undefined) return [];
  const services = new Set(missing.map((p) => p.split('.')[0]));
  if (services.size === 1) {
    for (const role of candidateRoles(first, roles)) {
      if (!role.startsWith(`roles/${first.split('.')[0] ?? ''}.`)) break;
      const resolved = roles.permissions(role);
      if (resolved.known && missing.every((p) => resolved.permissions.has(p))) return [role];
    }
  }
  const chosen = new Set<string>();
  for (const permission of missing) {
    const [role] = candidateRoles(permission, roles);
    if (role !== undefined) chosen.add(role);
  }
  return [...chosen];
}

export default defineCheck({
  id: 'gsa-permission',
  title: 'The workload identity holds the permissions it needs',
  failureTitle: 'The workload identity lacks a permission it needs',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 140,
  requires: ['cluster', 'serviceAccount', 'projectPolicy', 'resourcePolicies', 'ancestorPolicies', 'customRoles'],
  run({ facts, target, roles, options }) {
    if (options.need.length === 0) {
      return { status: 'skip', cause: 'not requested: `--need PERMISSION_OR_ROLE` was not given' };
    }
    const subject = target.subject;
    const who = subjectPrincipal(facts, subject);
    if (!who.ok) return who.outcome;
    const gsaProject = subject.gsaEmail !== undefined ? projectOfServiceAccount(facts, subject.gsaEmail) : undefined;
    const scope = scopeOf(facts, subject, options.on, gsaProject);

    const evaluations = new Map<string, PermissionEvaluation>();
    const evaluate = (permission: string): PermissionEvaluation => {
      let e = evaluations.get(permission);
      if (e === undefined) {
        e = evaluatePermission({ permission, principal: who.principal, policies: scope.chain, roles });
        evaluations.set(permission, e);
      }
      return e;
    };

    const results: NeedResult[] = [];
    const unresolvedNeeds: string[] = [];
    for (const need of options.need) {
      let permissions: string[];
      if (need.startsWith('roles/') || /^(projects|organizations)\/[^/]+\/roles\//.test(need)) {
        const resolved = roles.permissions(need);
        if (!resolved.known) {
          unresolvedNeeds.push(`${need}: ${resolved.reason}`);
          continue;
        }
        permissions = [...resolved.permissions].sort();
        if (permissions.length === 0) {
          unresolvedNeeds.push(
            `${need}: the role holds no permissions${resolved.note !== undefined ? ` (${resolved.note})` : ''}`,
          );
          continue;
        }
      } else permissions = [need];
      const r: NeedResult = { need, permissions, missing: [], conditional: [], unknown: [], grants: [] };
      for (const permission of permissions) {
        const e = evaluate(permission);
        if (e.outcome === 'granted') r.grants.push(...e.grants.slice(0, 1));
        else if (e.outcome === 'conditional') r.conditional.push(...e.conditionalGrants.slice(0, 1));
        else if (e.outcome === 'unknown') r.unknown.push(permission);
        else r.missing.push(permission);
      }
      results.push(r);
    }
    return judge({
      facts,
      subject,
      roles,
      scope,
      who,
      results,
      unresolvedNeeds,
      evaluations,
      gsaProject,
      on: options.on,
    });
  },
});

interface JudgeArgs {
  facts: Facts;
  subject: Subject;
  roles: RoleResolver;
  scope: Scope;
  who: { principal: Principal; member: string; label: string };
  results: NeedResult[];
  unresolvedNeeds: string[];
  evaluations: Map<string, PermissionEvaluation>;
  gsaProject: string | undefined;
  on: string | undefined;
}

function judge(a: JudgeArgs): CheckOutcome {
  const { scope, who, results, roles } = a;
  const missingNeeds = results.filter((r) => r.missing.length > 0);
  const unknownNeeds = results.filter((r) => r.missing.length === 0 && r.unknown.length > 0);
  const conditionalNeeds = results.filter(
    (r) => r.missing.length === 0 && r.unknown.length === 0 && r.conditional.length > 0,
  );
  const expected = { principal: who.member, on: scope.label.replaceAll('`', ''), need: a.results.map((r) => r.need) };

  if (missingNeeds.length > 0) {
    const missing = [...new Set(missingNeeds.flatMap((r) => r.missing))];
    // A guessed project grants it: the resource's project is not known, so neither is the answer.
    const guessedGrant = scope.guessProjects.find((project) =>
      missing.every(
        (permission) =>
          evaluatePermission({
            permission,
            principal: who.principal,
            policies: projectPolicyChain(a.facts, project),
            roles,
          }).outcome === 'granted',
      ),
    );
    if (guessedGrant !== undefined) {
      return {
        status: 'unknown',
        cause:
          `${who.label} holds ${missing.map((p) => `\`${p}\``).join(', ')} on project \`${guessedGrant}\`, which applies to ` +
          `${scope.label} only if it belongs to that project; the resource name does not say which project holds it`,
        evidence: { expected, actual: `not granted on ${scope.label} itself` },
        missing: [`the project of ${scope.label}: give --on with a project-qualified name, or --on projects/PROJECT`],
      };
    }
    const misses = missing.flatMap((permission) => {
      const evaluation = a.evaluations.get(permission);
      if (evaluation === undefined) return [];
      return rankNearMisses({
        permission,
        principal: who.principal,
        policies: scope.chain,
        roles,
        evaluation,
        gsaProject: a.gsaProject,
      });
    });
    misses.sort((x, y) => x.rank - y.rank);
    // Roles the identity holds that lack the permission are listed, not named as the cause: most identities
    // hold several unrelated roles. A member that was meant (rank 1) or a deleted account (rank 3) explains more.
    const best = misses.find((m) => m.rank === 1 || m.rank === 3);
    const roleNeeds = missingNeeds.filter((r) => r.permissions.length > 1 || r.need.includes('roles/'));
    const permissionNeeds = missingNeeds.filter((r) => !roleNeeds.includes(r)).flatMap((r) => r.missing);
    const suggested = [...new Set([...roleNeeds.map((r) => r.need), ...rolesFor(permissionNeeds, roles)])];
    const fix: FixPlan[] =
      suggested.length > 0
        ? suggested.map((role) => ({
            action: 'add-iam-binding',
            target: scope.fixTarget,
            params: { role, member: who.member },
            description: `Grant \`${role}\` to ${who.label} on ${scope.label}${scope.fixTarget.startsWith('projects/') ? '' : ' (resource level: the least privilege that works)'}.`,
          }))
        : [
            {
              action: 'manual',
              target: scope.fixTarget,
              params: {},
              description: `No predefined role has ${missing.map((p) => `\`${p}\``).join(', ')}: grant a custom role holding it to ${who.label}.`,
            },
          ];
    const list =
      missing
        .slice(0, 3)
        .map((p) => `\`${p}\``)
        .join(', ') + (missing.length > 3 ? ` and ${missing.length - 3} more` : '');
    const smallest =
      suggested.length === 1
        ? `; the smallest predefined role with it is \`${suggested[0] ?? ''}\``
        : suggested.length > 1
          ? `; the smallest predefined roles with them are \`${suggested.join('`, `')}\``
          : '';
    const nearest = best !== undefined ? `; nearest miss: ${best.reason} (\`${best.role}\` to \`${best.member}\`)` : '';
    return {
      status: 'fail',
      cause: `${who.label} lacks ${list} on ${scope.label}${smallest}${nearest}`,
      evidence: {
        expected,
        actual: { missing, granted: results.flatMap((r) => r.grants.map((g) => `${g.role} on ${g.resource}`)) },
        notes: [
          ...misses.slice(0, 8).map(formatNearMiss),
          ...(scope.guessProjects.length > 0
            ? [
                `the project of ${scope.label} is not in its name: the policies of ${scope.guessProjects.map((p) => `\`${p}\``).join(', ')} grant nothing either, other projects were not evaluated`,
              ]
            : []),
        ],
      },
      fix,
    };
  }

  if (a.unresolvedNeeds.length > 0 || unknownNeeds.length > 0) {
    const unreadable = new Map<string, string>();
    const unresolvedRoles = new Map<string, string>();
    for (const r of unknownNeeds) {
      for (const p of r.unknown) {
        const evaluation = a.evaluations.get(p);
        for (const u of evaluation?.unreadable ?? []) unreadable.set(u.resource, u.message);
        for (const u of evaluation?.unresolvedRoles ?? []) unresolvedRoles.set(u.role, u.reason);
      }
    }
    const blockers = [
      ...a.unresolvedNeeds.map((n) => `role not resolved: ${n}`),
      ...[...unreadable].map(([resource, message]) => `policy of \`${resource}\` not readable: ${message}`),
      ...[...unresolvedRoles].map(([role, reason]) => `role \`${role}\` bound to it not resolved: ${reason}`),
    ];
    // What the readable policies show for the permissions left open: the nearest miss is the most likely cause.
    const misses = unknownNeeds
      .flatMap((r) => r.unknown)
      .flatMap((permission) => {
        const evaluation = a.evaluations.get(permission);
        if (evaluation === undefined) return [];
        return rankNearMisses({
          permission,
          principal: who.principal,
          policies: scope.chain,
          roles,
          evaluation,
          gsaProject: a.gsaProject,
        });
      })
      .sort((x, y) => x.rank - y.rank);
    const likely = likelyCause(
      misses,
      [...unreadable.keys()].map((resource) => ({ resource })),
    );
    return {
      status: 'unknown',
      cause:
        `whether ${who.label} holds what it needs on ${scope.label} is unknown: ${blockers[0] ?? 'a role bound to it could not be resolved'}` +
        (likely !== undefined ? describeLikely(likely) : ''),
      evidence: { expected, actual: 'not evaluated', notes: [...blockers, ...misses.slice(0, 8).map(formatNearMiss)] },
      missing: [
        ...(likely !== undefined ? [`settle the most likely cause: ${likely.settle}`] : []),
        ...[...unreadable.keys()].map(policyCollectHint),
        ...[...unresolvedRoles.keys()].map(roleCollectHint),
      ],
    };
  }

  if (conditionalNeeds.length > 0) {
    const grants = conditionalNeeds.flatMap((r) => r.conditional);
    const [first] = grants;
    return {
      status: 'warn',
      cause:
        `${who.label} holds ${conditionalNeeds.map((r) => `\`${r.need}\``).join(', ')} on ${scope.label} only under a condition: ` +
        `${first !== undefined ? describeCondition(first) : ''}; calls fail whenever it does not hold`,
      evidence: {
        expected: { ...expected, condition: 'none' },
        actual: grants.map((g) => ({ resource: g.resource, role: g.role, member: g.member, condition: g.condition })),
      },
      fix: [
        {
          action: 'manual',
          target: scope.fixTarget,
          params: {},
          description: `Check that the condition holds for the workload's calls, or grant without a condition if it is not meant to restrict them.`,
        },
      ],
    };
  }

  const grants = results.flatMap((r) => r.grants);
  const [first] = grants;
  return {
    status: 'pass',
    cause:
      `${who.label} holds ${results.map((r) => `\`${r.need}\``).join(', ')} on ${scope.label}` +
      (first !== undefined ? ` (e.g. \`${first.role}\` on \`${first.resource}\`)` : ''),
    evidence: { expected, actual: [...new Set(grants.map((g) => `${g.role} on ${g.resource}`))] },
  };
}
