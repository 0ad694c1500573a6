// IAM v1: service accounts, their keys and policies, roles. The caller's own permissions are
// enforced with the sandbox's IAM engine.

import { googleError, googleNotFoundRoute, permissionDenied } from '../http/errors.js';
import { str, readBody, RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { GsaState, World } from '../world.js';
import { authenticate, requestedVersion, renderPolicy, testPermissions, writePolicy } from './common.js';

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

type Found =
  | { ok: true; gsa: GsaState; caller: import('../iam/principal.js').Principal }
  | { ok: false; response: SandboxResponse };

/** Authenticates, finds the account, checks `permission` on it. `projects/-` hides existence (403). */
function accountFor(world: World, req: SandboxRequest, permission: string): Found {
  const auth = authenticate(world, req);
  if (!auth.ok) return auth;
  const project = req.params.project ?? '-';
  const gsa = world.gsa(req.params.sa ?? '');
  if (!gsa || (project !== '-' && world.project(project)?.id !== gsa.projectId)) {
    if (project === '-') return { ok: false, response: permissionDenied(permission) };
    return {
      ok: false,
      response: googleError(404, `Not found; Gaia id not found for email ${req.params.sa ?? ''}`, 'NOT_FOUND'),
    };
  }
  if (!world.check(auth.principal, permission, world.gsaChain(gsa)).allowed)
    return { ok: false, response: permissionDenied(permission) };
  return { ok: true, gsa, caller: auth.principal };
}

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
          if (!/^[a-z]([-a-z0-9]*[a-z0-9])$/.test(accountId) || accountId.length < 6 || accountId.length > 30) {
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
          const sa = (body.serviceAccount ?? {}) as { displayName?: string; description?: string };
          const g = world.createGsa(p.id, accountId, sa.displayName, sa.description);
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
          const g = world.gsa(req.params.sa ?? '');
          if (!g) return permissionDenied('iam.serviceAccounts.get');
          return testPermissions(world, auth.principal, readBody(req).permissions, world.gsaChain(g));
        },
      },
      ...(['disable', 'enable'] as const).map((verb) => ({
        method: 'POST',
        path: `${SA}:${verb}`,
        handler: (req: SandboxRequest): SandboxResponse => {
          const f = accountFor(world, req, `iam.serviceAccounts.${verb}`);
          if (!f.ok) return f.response;
          f.gsa.disabled = verb === 'disable';
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
          return { status: 200, json: { restoredAccount: serviceAccountJson(g) } };
        },
      },
      {
        method: 'GET',
        path: `${SA}/keys`,
        handler: (req) => {
          const f = accountFor(world, req, 'iam.serviceAccountKeys.list');
          if (!f.ok) return f.response;
          const types = req.query.getAll('keyTypes');
          const keys = f.gsa.keys.filter((k) => types.length === 0 || types.includes(k.keyType ?? ''));
          return { status: 200, json: keys.length > 0 ? { keys } : {} };
        },
      },
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
          const perms = world.rolePermissions(name);
          if (!perms) return googleError(404, `The role named ${name} was not found.`, 'NOT_FOUND');
          return {
            status: 200,
            json: { name, title: name, includedPermissions: [...perms].sort(), stage: 'GA', etag: 'AA==' },
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
