// IAM v1: service accounts, their keys and policies, roles. The caller's own permissions are
// enforced with the sandbox's IAM engine; every change writes an Admin Activity audit entry.

import { googleError, googleNotFoundRoute, permissionDenied } from '../http/errors.js';
import { str, readBody, RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import { predefinedRoles } from '../iam/catalog.js';
import type { Principal } from '../iam/principal.js';
import type { GsaState, World } from '../world.js';
import { authenticate, requestedVersion, renderPolicy, testPermissions, writePolicy } from './common.js';
import { keyRoutes } from './keys.js';

export function serviceAccountJson(g: GsaState): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: `projects/${g.projectId}/serviceAccounts/${g.email}`,
    projectId: g.projectId,
    uniqueId: g.uniqueId,
    email: g.email,
  };
  if (g.displayName !== undefined) out.displayName = g.displayName;
  if (g.description !== undefined) out.description = g.description;
  out.etag = 'MDEwMjE5MjA=';
  out.oauth2ClientId = g.uniqueId;
  if (g.disabled) out.disabled = true;
  return out;
}

/** The audit entry's monitored resource for a service account. */
export function serviceAccountResource(g: GsaState): { type: string; labels: Record<string, string> } {
  return { type: 'service_account', labels: { email_id: g.email, project_id: g.projectId, unique_id: g.uniqueId } };
}

/** Proto field names, as IAM's audit entries print a ServiceAccount (snake_case). */
function serviceAccountProto(g: GsaState): Record<string, unknown> {
  const out: Record<string, unknown> = {
    '@type': 'type.googleapis.com/google.iam.admin.v1.ServiceAccount',
    name: `projects/${g.projectId}/serviceAccounts/${g.email}`,
    project_id: g.projectId,
    unique_id: g.uniqueId,
    email: g.email,
    oauth2_client_id: g.uniqueId,
  };
  if (g.displayName !== undefined) out.display_name = g.displayName;
  if (g.description !== undefined) out.description = g.description;
  return out;
}

/** An Admin Activity entry for a change to a service account (or one of its keys). */
export function auditAccount(
  world: World,
  req: SandboxRequest,
  caller: Principal,
  g: GsaState,
  method: string,
  permission: string,
  extra: { resourceName?: string; request?: Record<string, unknown>; response?: Record<string, unknown> } = {},
): void {
  world.audit.activity({
    projectId: g.projectId,
    serviceName: 'iam.googleapis.com',
    methodName: `google.iam.admin.v1.${method}`,
    resourceName: extra.resourceName ?? `projects/${g.projectId}/serviceAccounts/${g.uniqueId}`,
    resource: serviceAccountResource(g),
    caller,
    req,
    permission,
    request: extra.request ?? {
      '@type': `type.googleapis.com/google.iam.admin.v1.${method}Request`,
      name: `projects/${req.params.project ?? '-'}/serviceAccounts/${req.params.sa ?? g.email}`,
    },
    ...(extra.response ? { response: extra.response } : {}),
  });
}

export type Found = { ok: true; gsa: GsaState; caller: Principal } | { ok: false; response: SandboxResponse };

/** The account a path names: by email or unique id, in whatever project the path says, as IAM resolves it. */
export function resolveAccount(world: World, id: string): GsaState | undefined {
  // IAM resolves an email or unique id across projects: `projects/OTHER/serviceAccounts/EMAIL` works.
  return world.gsa(id);
}

/**
 * Authenticates, finds the account, checks `permission` on it. A missing account answers 403 under
 * `projects/-` (existence is not revealed) and 404 "Gaia id not found" under a project id.
 */
export function accountFor(world: World, req: SandboxRequest, permission: string): Found {
  const auth = authenticate(world, req);
  if (!auth.ok) return auth;
  const project = req.params.project ?? '-';
  const id = req.params.sa ?? '';
  const gsa = resolveAccount(world, id);
  if (!gsa) {
    if (project === '-') return { ok: false, response: permissionDenied(permission) };
    return { ok: false, response: googleError(404, `Not found; Gaia id not found for email ${id}`, 'NOT_FOUND') };
  }
  if (!world.check(auth.principal, permission, world.gsaChain(gsa)).allowed)
    return { ok: false, response: permissionDenied(permission) };
  return { ok: true, gsa, caller: auth.principal };
}

const ACCOUNT_ID = /^[a-z]([-a-z0-9]*[a-z0-9])$/;

export function iamRoutes(world: World): RouteTable {
  const SA = '/v1/projects/{project}/serviceAccounts/{sa}';
  return new RouteTable(
    [
      {
        method: 'GET',
        path: '/v1/projects/{project}/serviceAccounts',
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const project = req.params.project ?? '';
          const p = world.project(project);
          if (!p || !world.check(auth.principal, 'iam.serviceAccounts.list', world.projectChain(p.id)).allowed) {
            return permissionDenied('iam.serviceAccounts.list');
          }
          const all = world.gsas
            .filter((g) => !g.deleted && g.projectId === p.id)
            .sort((a, b) => a.email.localeCompare(b.email));
          const size = Math.min(Number(req.query.get('pageSize') ?? 100) || 100, 100);
          const start = Number(req.query.get('pageToken') ?? 0) || 0;
          const page = all.slice(start, start + size);
          const out: Record<string, unknown> = { accounts: page.map(serviceAccountJson) };
          if (start + size < all.length) out.nextPageToken = String(start + size);
          return { status: 200, json: out };
        },
      },
      {
        method: 'POST',
        path: '/v1/projects/{project}/serviceAccounts',
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const p = world.project(req.params.project ?? '');
          if (!p || !world.check(auth.principal, 'iam.serviceAccounts.create', world.projectChain(p.id)).allowed) {
            return permissionDenied('iam.serviceAccounts.create');
          }
          const body = readBody(req);
          const accountId = str(body.accountId);
          if (!ACCOUNT_ID.test(accountId) || accountId.length < 6 || accountId.length > 30) {
            // UNVERIFIED: IAM's exact wording; the rule (6-30 characters, [a-z]([-a-z0-9]*[a-z0-9])) is IAM's.
            return googleError(
              400,
              `Invalid account id: ${accountId}. Account ids must match [a-z]([-a-z0-9]*[a-z0-9]) and be 6 to 30 characters long.`,
            );
          }
          if (world.gsa(`${accountId}@${p.id}.iam.gserviceaccount.com`)) {
            return googleError(
              409,
              `Service account ${accountId} already exists within project projects/${p.id}.`,
              'ALREADY_EXISTS',
            );
          }
          const sa = (body.serviceAccount ?? {}) as { displayName?: unknown; description?: unknown };
          const g = world.createGsa(
            p.id,
            accountId,
            typeof sa.displayName === 'string' ? sa.displayName : undefined,
            typeof sa.description === 'string' ? sa.description : undefined,
          );
          auditAccount(world, req, auth.principal, g, 'CreateServiceAccount', 'iam.serviceAccounts.create', {
            request: {
              '@type': 'type.googleapis.com/google.iam.admin.v1.CreateServiceAccountRequest',
              name: `projects/${p.id}`,
              account_id: accountId,
              service_account: g.displayName !== undefined ? { display_name: g.displayName } : {},
            },
            response: serviceAccountProto(g),
          });
          return { status: 200, json: serviceAccountJson(g) };
        },
      },
      {
        method: 'POST',
        path: `${SA}:getIamPolicy`,
        handler: (req) => {
          const f = accountFor(world, req, 'iam.serviceAccounts.getIamPolicy');
          if (!f.ok) return f.response;
          return {
            status: 200,
            json: renderPolicy(world.policies.read(`sa/${f.gsa.uniqueId}`), requestedVersion(req, readBody(req))),
          };
        },
      },
      {
        method: 'POST',
        path: `${SA}:setIamPolicy`,
        handler: (req) => {
          const f = accountFor(world, req, 'iam.serviceAccounts.setIamPolicy');
          if (!f.ok) return f.response;
          return writePolicy(world, req, {
            key: `sa/${f.gsa.uniqueId}`,
            projectId: f.gsa.projectId,
            serviceName: 'iam.googleapis.com',
            methodName: 'google.iam.admin.v1.SetIAMPolicy',
            resourceName: `projects/-/serviceAccounts/${f.gsa.uniqueId}`,
            resource: serviceAccountResource(f.gsa),
            permission: 'iam.serviceAccounts.setIamPolicy',
            caller: f.caller,
          });
        },
      },
      {
        method: 'POST',
        path: `${SA}:testIamPermissions`,
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const g = resolveAccount(world, req.params.sa ?? '');
          if (!g) return permissionDenied('iam.serviceAccounts.get');
          return testPermissions(world, auth.principal, readBody(req).permissions, world.gsaChain(g));
        },
      },
      ...(['disable', 'enable'] as const).map((verb) => ({
        method: 'POST',
        path: `${SA}:${verb}`,
        handler: (req: SandboxRequest): SandboxResponse => {
          const permission = `iam.serviceAccounts.${verb}`;
          const f = accountFor(world, req, permission);
          if (!f.ok) return f.response;
          f.gsa.disabled = verb === 'disable';
          const method = verb === 'disable' ? 'DisableServiceAccount' : 'EnableServiceAccount';
          auditAccount(world, req, f.caller, f.gsa, method, permission);
          return { status: 200, json: {} };
        },
      })),
      {
        method: 'POST',
        path: `${SA}:undelete`,
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const id = req.params.sa ?? '';
          const g = [...world.gsas]
            .reverse()
            .find((x) => x.deleted && (x.uniqueId === id || x.email === id.toLowerCase()));
          // UNVERIFIED wording for an account that is not (or no longer) undeletable.
          if (!g) return googleError(404, `Account deleted: ${id}`, 'NOT_FOUND');
          if (!world.check(auth.principal, 'iam.serviceAccounts.undelete', world.projectChain(g.projectId)).allowed) {
            return permissionDenied('iam.serviceAccounts.undelete');
          }
          if (!world.undeleteGsa(g))
            return googleError(
              400,
              `Service account ${g.email} already exists; it cannot be undeleted.`,
              'FAILED_PRECONDITION',
            );
          world.policies.seed(`sa/${g.uniqueId}`, world.policies.read(`sa/${g.uniqueId}`));
          auditAccount(world, req, auth.principal, g, 'UndeleteServiceAccount', 'iam.serviceAccounts.undelete', {
            resourceName: `projects/-/serviceAccounts/${g.uniqueId}`,
            response: {
              '@type': 'type.googleapis.com/google.iam.admin.v1.UndeleteServiceAccountResponse',
              restored_account: serviceAccountProto(g),
            },
          });
          return { status: 200, json: { restoredAccount: serviceAccountJson(g) } };
        },
      },
      ...keyRoutes(world, SA),
      {
        method: 'GET',
        path: SA,
        handler: (req) => {
          const f = accountFor(world, req, 'iam.serviceAccounts.get');
          return f.ok ? { status: 200, json: serviceAccountJson(f.gsa) } : f.response;
        },
      },
      {
        method: 'DELETE',
        path: SA,
        handler: (req) => {
          const f = accountFor(world, req, 'iam.serviceAccounts.delete');
          if (!f.ok) return f.response;
          world.deleteGsa(f.gsa);
          auditAccount(world, req, f.caller, f.gsa, 'DeleteServiceAccount', 'iam.serviceAccounts.delete');
          return { status: 200, json: {} };
        },
      },
      {
        method: 'GET',
        path: '/v1/roles/{role}',
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const name = `roles/${req.params.role ?? ''}`;
          const role = predefinedRoles().get(name);
          if (!role) return googleError(404, `The role named ${name} was not found.`, 'NOT_FOUND');
          // The shipped catalog holds titles, stages and permissions; descriptions are not in it, so none is served.
          return {
            status: 200,
            json: {
              name,
              title: role.title,
              includedPermissions: [...role.permissions].sort(),
              stage: role.stage,
              etag: 'AA==',
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/v1/projects/{project}/roles/{role}',
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const p = world.project(req.params.project ?? '');
          const role = p?.customRoles.get(req.params.role ?? '');
          if (!p || !world.check(auth.principal, 'iam.roles.get', world.projectChain(p.id)).allowed)
            return permissionDenied('iam.roles.get');
          if (!role)
            return googleError(
              404,
              `The role named projects/${p.id}/roles/${req.params.role ?? ''} was not found.`,
              'NOT_FOUND',
            );
          const { permissions: _p, ...json } = role;
          return { status: 200, json: { ...json, includedPermissions: [...role.permissions].sort() } };
        },
      },
    ],
    (req) => googleNotFoundRoute('iam', req.method, req.path),
  );
}
