// Edits of an IAM policy that change exactly one thing. Everything else the API returned (other bindings and
// their member order, conditions, auditConfigs, unknown fields, the etag) is carried over untouched, so the
// setIamPolicy that follows writes back byte for byte what it read, plus or minus one member.

import type { AuditLogConfig, Binding, Expr, Policy } from '../model/gcp.js';

/** Member types whose value is an email: IAM compares those without regard to case. */
const EMAIL_TYPES = new Set(['user', 'serviceaccount', 'group', 'domain']);

/** One spelling per member: `serviceAccount:X@P.iam…` and `serviceaccount:x@p.iam…` are the same member. */
export function memberKey(member: string): string {
  const colon = member.indexOf(':');
  if (colon < 0) return member;
  const type = member.slice(0, colon).toLowerCase();
  return EMAIL_TYPES.has(type) ? member.toLowerCase() : member;
}

export function sameMember(a: string, b: string): boolean {
  return memberKey(a) === memberKey(b);
}

function sameCondition(a: Expr | undefined, b: Expr | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.expression === b.expression &&
    (a.title ?? '') === (b.title ?? '') &&
    (a.description ?? '') === (b.description ?? '')
  );
}

export interface PolicyEdit {
  policy: Policy;
  /** False when the policy already was in the wanted state (nothing to write). */
  changed: boolean;
}

/** Conditional bindings need policy version 3 on write; otherwise the version read is kept. */
function versionFor(policy: Policy): number | undefined {
  return (policy.bindings ?? []).some((b) => b.condition !== undefined) ? 3 : policy.version;
}

/**
 * `member` in a binding of `role` with exactly this condition (none = unconditional). A member holding the
 * role only under another condition does not count: the request is for this grant.
 */
export function hasGrant(policy: Policy, role: string, member: string, condition?: Expr): boolean {
  return (policy.bindings ?? []).some(
    (b) =>
      b.role === role && sameCondition(b.condition, condition) && (b.members ?? []).some((m) => sameMember(m, member)),
  );
}

/** Add one member to one role (under one condition): appended to the matching binding, or a new binding at the end. */
export function addMember(policy: Policy, role: string, member: string, condition?: Expr): PolicyEdit {
  if (hasGrant(policy, role, member, condition)) return { policy, changed: false };
  const next = structuredClone(policy);
  const bindings = (next.bindings ??= []);
  const existing = bindings.find((b) => b.role === role && sameCondition(b.condition, condition));
  if (existing !== undefined) (existing.members ??= []).push(member);
  else {
    const binding: Binding = { role, members: [member] };
    if (condition !== undefined) binding.condition = { ...condition };
    bindings.push(binding);
  }
  const version = versionFor(next);
  if (version !== undefined) next.version = version;
  return { policy: next, changed: true };
}

/**
 * Remove one member from every binding of one role (whatever its condition). A binding left without members
 * is dropped, as IAM does; every other binding stays as it was.
 */
export function removeMember(policy: Policy, role: string, member: string): PolicyEdit {
  const holds = (b: Binding): boolean => b.role === role && (b.members ?? []).some((m) => sameMember(m, member));
  if (!(policy.bindings ?? []).some(holds)) return { policy, changed: false };
  const next = structuredClone(policy);
  next.bindings = (next.bindings ?? []).flatMap((b) => {
    if (!holds(b)) return [b];
    const members = (b.members ?? []).filter((m) => !sameMember(m, member));
    return members.length > 0 ? [{ ...b, members }] : [];
  });
  return { policy: next, changed: true };
}

/**
 * Turn one log type on for one service in a policy's auditConfigs: added to the service's config, or a new
 * config at the end. Exempted members and every other config stay as they were.
 */
export function addAuditLogType(
  policy: Policy,
  service: string,
  logType: NonNullable<AuditLogConfig['logType']>,
): PolicyEdit {
  const config = (policy.auditConfigs ?? []).find((c) => c.service === service);
  if ((config?.auditLogConfigs ?? []).some((l) => l.logType === logType)) return { policy, changed: false };
  const next = structuredClone(policy);
  const configs = (next.auditConfigs ??= []);
  const existing = configs.find((c) => c.service === service);
  if (existing !== undefined) (existing.auditLogConfigs ??= []).push({ logType });
  else configs.push({ service, auditLogConfigs: [{ logType }] });
  return { policy: next, changed: true };
}

/** A grant of `member` found in a policy: its role and condition. */
export interface Grant {
  role: string;
  condition?: Expr;
}

export function grantsOf(policy: Policy, member: string): Grant[] {
  return (policy.bindings ?? [])
    .filter((b) => (b.members ?? []).some((m) => sameMember(m, member)))
    .map((b) => (b.condition === undefined ? { role: b.role } : { role: b.role, condition: b.condition }));
}

/** Give `to` every grant `from` holds in this policy (same role, same condition). */
export function copyGrants(policy: Policy, from: string, to: string): PolicyEdit & { copied: Grant[]; held: number } {
  let current = policy;
  const copied: Grant[] = [];
  const grants = grantsOf(policy, from);
  for (const grant of grants) {
    const edit = addMember(current, grant.role, to, grant.condition);
    if (edit.changed) copied.push(grant);
    current = edit.policy;
  }
  // `held`: how many grants `from` has here, so that "nothing copied" can say whether there was anything.
  return { policy: current, changed: copied.length > 0, copied, held: grants.length };
}

/** `role` (and `if TITLE` for a conditional grant), as the audit trail and plans print a grant. */
export function describeGrant(grant: Grant): string {
  return grant.condition === undefined
    ? grant.role
    : `${grant.role} if ${grant.condition.title ?? grant.condition.expression}`;
}
