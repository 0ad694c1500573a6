// What every Google API handler needs: the caller from its bearer token, and IAM policy get/set with
// etags, version 3 and the validations IAM applies to members.

import type { Binding, Policy } from '../../model/gcp.js';
import { auditConfigDeltas, bindingDeltas, principalInfo } from '../audit.js';
import { googleError, UNAUTHENTICATED_INVALID, UNAUTHENTICATED_MISSING } from '../http/errors.js';
import { str, readBody, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import { StaleEtagError } from '../iam/policy-store.js';
import type { Principal } from '../iam/principal.js';
import type { TokenInfo } from '../tokens.js';
import type { World } from '../world.js';

export type Authed =
  { ok: true; principal: Principal; info: TokenInfo; token: string } | { ok: false; response: SandboxResponse };

export function bearer(req: SandboxRequest): string | undefined {
  const h = req.headers.authorization;
  const m = /^Bearer\s+(\S+)$/i.exec(h ?? '');
  return m?.[1];
}

/** The caller; tokens of deleted, recreated or disabled accounts are refused. */
export function authenticate(world: World, req: SandboxRequest): Authed {
  const token = bearer(req);
  if (token === undefined) return { ok: false, response: googleError(401, UNAUTHENTICATED_MISSING) };
  const info = world.tokens.lookup(token);
  if (!info) return { ok: false, response: googleError(401, UNAUTHENTICATED_INVALID) };
  const p = info.principal;
  if (p.kind === 'serviceAccount' && info.kind !== 'caller') {
    const g = world.gsa(p.email);
    if (!g || g.disabled || g.uniqueId !== p.uniqueId)
      return { ok: false, response: googleError(401, UNAUTHENTICATED_INVALID) };
  }
  return { ok: true, principal: p, info, token };
}

export function memberOf(p: Principal): string {
  switch (p.kind) {
    case 'user':
      return `user:${p.email}`;
    case 'serviceAccount':
      return `serviceAccount:${p.email}`;
    case 'ksa':
      return `principal://iam.googleapis.com/projects/${p.projectNumber}/locations/global/workloadIdentityPools/${p.pool}/subject/ns/${p.namespace}/sa/${p.name}`;
  }
}

export const authInfo = principalInfo;

export function requestedVersion(req: SandboxRequest, body: Record<string, unknown>): number {
  const opts = body.options as { requestedPolicyVersion?: number } | undefined;
  const q = req.query.get('options.requestedPolicyVersion') ?? req.query.get('optionsRequestedPolicyVersion');
  return Number(opts?.requestedPolicyVersion ?? q ?? 1) || 1;
}

/** The policy as getIamPolicy returns it: conditional bindings need a version-3 request. */
export function renderPolicy(policy: Policy, requested: number): Policy {
  const hasConditions = (policy.bindings ?? []).some((b) => b.condition);
  const out: Policy = { version: 1, etag: policy.etag ?? 'ACAB' };
  let bindings: Binding[] = (policy.bindings ?? []).filter((b) => (b.members ?? []).length > 0);
  if (hasConditions && requested >= 3) out.version = 3;
  else if (hasConditions) {
    // What IAM does for a version-1 reader: the condition is dropped and the role renamed.
    bindings = bindings.map((b) =>
      b.condition ? { role: `${b.role}_withcond_${shortHash(b.condition.expression)}`, members: b.members ?? [] } : b,
    );
  }
  if (bindings.length > 0) out.bindings = bindings;
  if (policy.auditConfigs && policy.auditConfigs.length > 0) out.auditConfigs = policy.auditConfigs;
  return out;
}

function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0') + (h ^ 0x5bd1e995).toString(16).padStart(8, '0').slice(0, 4);
}

export interface PolicyWrite {
  key: string;
  projectId: string;
  /** The log of a folder or organization change. */
  logParent?: string;
  serviceName: string;
  methodName: string;
  resourceName: string;
  /** The monitored resource of the audit entry. */
  resource: { type: string; labels: Record<string, string> };
  permission: string;
  caller: Principal;
}

/**
 * setIamPolicy: validates, enforces the etag, writes an Admin Activity entry whose AuditData carries the
 * binding and audit-config deltas, returns the stored policy.
 */
export function writePolicy(world: World, req: SandboxRequest, w: PolicyWrite): SandboxResponse {
  const body = readBody(req);
  const incoming = body.policy as Policy | undefined;
  if (!incoming || typeof incoming !== 'object' || Array.isArray(incoming))
    return googleError(400, 'Invalid JSON payload: "policy" is required.');
  const bindings = Array.isArray(incoming.bindings) ? incoming.bindings : [];
  for (const b of bindings) {
    if (b === null || typeof b !== 'object' || typeof b.role !== 'string')
      return googleError(400, 'Invalid JSON payload: every binding needs a "role" string.');
  }
  const hasConditions = bindings.some((b) => b.condition);
  if (hasConditions && (incoming.version ?? 1) < 3) {
    return googleError(400, 'Invalid argument: policies with conditional role bindings must set version 3.');
  }
  for (const b of bindings) {
    if (
      !/^(roles\/|projects\/[^/]+\/roles\/|organizations\/[^/]+\/roles\/)/.test(b.role) ||
      !world.rolePermissions(b.role)
    ) {
      return googleError(400, `Role ${b.role} is not supported for this resource.`);
    }
    for (const m of Array.isArray(b.members) ? b.members : []) {
      const problem = typeof m === 'string' ? memberProblem(world, m) : `Invalid member: ${JSON.stringify(m)}`;
      if (problem) return googleError(400, problem);
    }
  }
  const before = world.policies.read(w.key);
  let stored: Policy;
  try {
    const mask = str(body.updateMask);
    const next: Policy = { ...incoming, version: hasConditions ? 3 : (incoming.version ?? 1) };
    // Without auditConfigs in the update mask, a write keeps the existing ones (as IAM does).
    if (!mask.includes('auditConfigs') && before.auditConfigs) next.auditConfigs = before.auditConfigs;
    else if (!mask.includes('auditConfigs')) delete next.auditConfigs;
    stored = world.policies.write(w.key, next);
  } catch (e) {
    if (e instanceof StaleEtagError) {
      return googleError(
        409,
        'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
        'ABORTED',
      );
    }
    throw e;
  }
  const serviceData: Record<string, unknown> = {
    '@type': 'type.googleapis.com/google.iam.v1.logging.AuditData',
    policyDelta: { bindingDeltas: bindingDeltas(before, stored) },
  };
  const auditDeltas = auditConfigDeltas(before.auditConfigs, stored.auditConfigs);
  if (auditDeltas.length > 0) (serviceData.policyDelta as Record<string, unknown>).auditConfigDeltas = auditDeltas;
  world.audit.activity({
    projectId: w.projectId,
    ...(w.logParent !== undefined ? { logParent: w.logParent } : {}),
    serviceName: w.serviceName,
    methodName: w.methodName,
    resourceName: w.resourceName,
    resource: w.resource,
    caller: w.caller,
    req,
    permission: w.permission,
    serviceData,
    request: {
      '@type': 'type.googleapis.com/google.iam.v1.SetIamPolicyRequest',
      resource: w.resourceName,
      policy: incoming,
    },
    response: { '@type': 'type.googleapis.com/google.iam.v1.Policy', ...renderPolicy(stored, 3) },
  });
  return { status: 200, json: renderPolicy(stored, 3) };
}

/** Members IAM refuses at write time (the pool must exist; a named service account must exist). */
function memberProblem(world: World, member: string): string | undefined {
  const wi = /^serviceAccount:([^[\]]+)\[([^/\]]+)\/([^\]]+)\]$/.exec(member);
  if (wi) {
    const pool = wi[1] ?? '';
    if (!world.poolExists(pool)) {
      return `Identity Pool does not exist (${pool}). Please check that you specified a valid resource name as returned in the \`name\` attribute in the configuration API.`;
    }
    return undefined;
  }
  const sa = /^serviceAccount:(.+@([^.]+)\.iam\.gserviceaccount\.com)$/i.exec(member);
  if (sa && world.projects.has(sa[2] ?? '') && !world.gsa(sa[1] ?? ''))
    return `Service account ${sa[1] ?? ''} does not exist.`;
  if (
    !/^(user|group|domain|serviceAccount|deleted|principal|principalSet|projectOwner|projectEditor|projectViewer):|^allUsers$|^allAuthenticatedUsers$/.test(
      member,
    )
  ) {
    return `Invalid member: ${member}`;
  }
  return undefined;
}

export function testPermissions(
  world: World,
  caller: Principal,
  requested: unknown,
  chain: Parameters<World['check']>[2],
): SandboxResponse {
  const perms = Array.isArray(requested) ? requested.filter((p): p is string => typeof p === 'string') : [];
  const allowed = perms.filter((p) => world.check(caller, p, chain).allowed);
  return { status: 200, json: allowed.length > 0 ? { permissions: allowed } : {} };
}

/**
 * How a Google API answers what the sandbox could not handle: a body that is not JSON (400, UNVERIFIED past
 * its first sentence) or an unexpected failure (500 with Google's generic text), never the sandbox's own
 * parse error or stack.
 */
export function googleBadRequest(e: unknown): SandboxResponse {
  if (e instanceof SyntaxError) return googleError(400, 'Invalid JSON payload received. Unexpected token.');
  return googleError(500, 'Internal error encountered.', 'INTERNAL');
}
