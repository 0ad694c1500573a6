// A role that lets its holder use service accounts (mint their tokens, sign as them, or act as them) granted on a
// project applies to every account of that project (FACTS §3): a KSA holding `roles/iam.workloadIdentityUser` or
// `roles/iam.serviceAccountTokenCreator` there can impersonate every GSA of the project. Roles are resolved to
// permissions, so a custom role with the same permissions counts too. Fail when the holder is a Workload Identity
// principal of the cluster's pool or a GSA the cluster's KSAs use (their pods can then become any account); warn
// for other members; Google's own service agents, which Google grants such roles, are left out; owner and editor
// are primitive-roles' concern.

import type { Facts } from '../model/facts.js';
import type { RoleResolver } from '../model/iam/roles.js';
import { tryParseMember } from '../model/identifiers.js';
import type { FixPlan } from '../model/results.js';
import { defineCheck } from './define.js';
import type { MemberGrant } from './lib/audit.js';
import { clusterPool, conditionText, grantsIn, isServiceAgent, poolMember } from './lib/audit.js';
import { policyCollectHint, roleCollectHint } from './lib/collect-hints.js';
import { WORKLOAD_IDENTITY_USER, serviceAccountResource } from './lib/gsa.js';

/** Permissions that let a holder use another service account's identity. */
const IMPERSONATION = [
  'iam.serviceAccounts.getAccessToken',
  'iam.serviceAccounts.getOpenIdToken',
  'iam.serviceAccounts.signBlob',
  'iam.serviceAccounts.signJwt',
  'iam.serviceAccounts.implicitDelegation',
  'iam.serviceAccounts.actAs',
];
const BASIC = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);

interface Finding extends MemberGrant {
  permissions: string[];
  /** Why it matters, in words. */
  who: string;
  severity: 'fail' | 'warn';
}

/** KSA `ns/ksa` → the GSA it is annotated with, from the Kubernetes service accounts (when readable). */
function annotatedGsas(facts: Facts): Map<string, string> {
  const out = new Map<string, string>();
  const list = facts.k8s.list('serviceaccounts');
  if (list.status !== 'present') return out;
  for (const ksa of list.value) {
    const value = ksa.metadata.annotations?.['iam.gke.io/gcp-service-account'];
    if (value !== undefined) out.set(`${ksa.metadata.namespace ?? 'default'}/${ksa.metadata.name}`, value);
  }
  return out;
}

function classify(
  raw: string,
  pool: string | undefined,
  wiGsas: ReadonlySet<string>,
): { who: string; severity: 'fail' | 'warn' } | 'service-agent' {
  const parsed = tryParseMember(raw);
  const member = parsed.ok ? parsed.member : undefined;
  if (member?.type === 'serviceAccount') {
    if (isServiceAgent(member.email)) return 'service-agent';
    if (wiGsas.has(member.email.toLowerCase())) {
      return {
        who: `GSA \`${member.email}\` is used by KSAs of the cluster: their pods can become any account of the project`,
        severity: 'fail',
      };
    }
  }
  const wi = member !== undefined && pool !== undefined ? poolMember(member, pool) : undefined;
  if (wi !== undefined) {
    const names =
      wi.kind === 'ksa'
        ? `KSA \`${wi.namespace}/${wi.ksa}\``
        : wi.kind === 'namespace'
          ? `every KSA of namespace \`${wi.namespace}\``
          : wi.kind === 'cluster'
            ? `every KSA of cluster \`${wi.clusterUrl}\``
            : wi.kind === 'ksa-uid'
              ? `the KSA with uid \`${wi.uid}\``
              : `principals of pool \`${pool ?? ''}\``;
    return { who: `${names} can impersonate any account of the project`, severity: 'fail' };
  }
  return { who: `\`${raw}\` can use any account of the project`, severity: 'warn' };
}

function findings(
  facts: Facts,
  project: string,
  roles: RoleResolver,
): { found: Finding[]; unresolved: { role: string; reason: string }[]; agents: string[]; basic: string[] } {
  const policy = facts.projectPolicy(project);
  if (policy.status !== 'present') return { found: [], unresolved: [], agents: [], basic: [] };
  const pool = clusterPool(facts) ?? `${facts.clusterRef.project}.svc.id.goog`;
  const wiGsas = new Set([...annotatedGsas(facts).values()].map((e) => e.toLowerCase()));
  const found: Finding[] = [];
  const unresolved: { role: string; reason: string }[] = [];
  const agents = new Set<string>();
  const basic = new Set<string>();
  for (const grant of grantsIn(`projects/${project}`, 'project', policy.value)) {
    if (BASIC.has(grant.role)) {
      basic.add(grant.role);
      continue;
    }
    const resolved = roles.permissions(grant.role);
    if (!resolved.known) {
      unresolved.push({ role: grant.role, reason: resolved.reason });
      continue;
    }
    const permissions = IMPERSONATION.filter((p) => resolved.permissions.has(p));
    if (permissions.length === 0) continue;
    const kind = classify(grant.member, pool, wiGsas);
    if (kind === 'service-agent') {
      agents.add(grant.member);
      continue;
    }
    // A condition may narrow the grant to named accounts (the recommended pattern): not a certain finding.
    const severity = grant.condition !== undefined ? 'warn' : kind.severity;
    found.push({ ...grant, permissions, who: kind.who, severity });
  }
  return {
    found,
    unresolved: [...new Map(unresolved.map((u) => [u.role, u])).values()],
    agents: [...agents],
    basic: [...basic],
  };
}

/** For a KSA member whose KSA is annotated: grant it on that GSA instead of the whole project. */
function narrowerGrant(facts: Facts, finding: Finding): FixPlan | undefined {
  const parsed = tryParseMember(finding.member);
  const pool = clusterPool(facts);
  if (!parsed.ok || pool === undefined) return undefined;
  const wi = poolMember(parsed.member, pool);
  if (wi?.kind !== 'ksa') return undefined;
  const gsa = annotatedGsas(facts).get(`${wi.namespace}/${wi.ksa}`);
  if (gsa === undefined) return undefined;
  return {
    action: 'add-iam-binding',
    target: serviceAccountResource(gsa),
    params: { role: WORKLOAD_IDENTITY_USER, member: finding.member },
    description: `Grant \`${WORKLOAD_IDENTITY_USER}\` to \`${finding.member}\` on the one GSA it uses, \`${gsa}\`, before removing the project-wide grant.`,
  };
}

export default defineCheck({
  id: 'project-level-impersonation',
  title: 'No project-wide grant lets a principal use every service account of the project',
  failureTitle: 'A project-wide grant lets a principal use every service account of the project',
  group: 'audit',
  scope: 'project',
  chainOrder: 901,
  requires: ['projectPolicy', 'customRoles', 'cluster', 'k8s:serviceaccounts'],
  run({ facts, target, roles }) {
    const project = target.project;
    const policy = facts.projectPolicy(project);
    if (policy.status !== 'present') {
      return {
        status: 'unknown',
        cause: `the policy of project \`${project}\` could not be read: ${policy.message}`,
        missing: [policyCollectHint(`projects/${project}`)],
      };
    }
    const { found, unresolved, agents, basic } = findings(facts, project, roles);
    const notes = [
      ...agents.map(
        (a) => `\`${a}\` is a Google-managed service agent: Google grants it such roles to run its service`,
      ),
      ...(basic.length > 0 ? [`basic roles (${basic.join(', ')}) are primitive-roles' concern`] : []),
      ...unresolved.map((u) => `role \`${u.role}\` not resolved: ${u.reason}`),
    ];
    if (found.length === 0) {
      if (unresolved.length > 0) {
        return {
          status: 'unknown',
          cause: `some roles on project \`${project}\` could not be resolved to permissions, so a project-wide impersonation grant may hide among them`,
          evidence: { notes },
          missing: unresolved.map((u) => roleCollectHint(u.role)),
        };
      }
      return {
        status: 'pass',
        cause: `no role on project \`${project}\` grants token creation, signing or actAs project-wide (Google's service agents aside)`,
        ...(notes.length > 0 ? { evidence: { notes } } : {}),
      };
    }
    const failing = found.filter((f) => f.severity === 'fail');
    const worst = failing[0] ?? found[0];
    if (worst === undefined) throw new Error('findings without a first one');
    const fix: FixPlan[] = [];
    for (const f of found) {
      const narrower = narrowerGrant(facts, f);
      if (narrower) fix.push(narrower);
      fix.push({
        action: 'remove-iam-member',
        target: `projects/${project}`,
        params: { role: f.role, member: f.member },
        description: `Remove \`${f.role}\` from \`${f.member}\` on project \`${project}\`; grant it on the accounts it must use instead.`,
      });
    }
    return {
      status: failing.length > 0 ? 'fail' : 'warn',
      cause:
        `\`${worst.role}\` is granted to \`${worst.member}\` on project \`${project}\`${conditionText(worst.condition)}: ${worst.who}` +
        (found.length > 1 ? ` (and ${found.length - 1} more project-wide grant${found.length === 2 ? '' : 's'})` : ''),
      evidence: {
        expected: 'grants of token creation, signing or actAs on the service accounts themselves, not on the project',
        actual: found.map((f) => ({
          role: f.role,
          member: f.member,
          permissions: f.permissions,
          ...(f.condition ? { condition: f.condition } : {}),
        })),
        notes: [
          ...found
            .filter((f) => f.condition !== undefined)
            .map(
              (f) =>
                `\`${f.member}\`: the grant is conditional; verify that the condition names the accounts it may use`,
            ),
          ...notes,
        ],
      },
      fix,
      location: `//cloudresourcemanager.googleapis.com/projects/${project}`,
    };
  },
});
