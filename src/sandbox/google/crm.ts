// Cloud Resource Manager v1 and v3: project metadata and project IAM policies.

import { googleError, googleNotFoundRoute } from '../http/errors.js';
import { readBody, RouteTable, type Route, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { Principal } from '../iam/principal.js';
import type { ProjectState, World } from '../world.js';
import { authenticate, requestedVersion, renderPolicy, testPermissions, writePolicy } from './common.js';

const DENIED = 'The caller does not have permission';

function projectFor(
  world: World,
  req: SandboxRequest,
  permission: string,
):
  | { ok: true; p: ProjectState; caller: import('../iam/principal.js').Principal }
  | { ok: false; response: SandboxResponse } {
  const auth = authenticate(world, req);
  if (!auth.ok) return auth;
  const p = world.project(req.params.project ?? '');
  // CRM answers 403 for a project that does not exist, so as not to reveal it.
  if (!p || !world.check(auth.principal, permission, world.projectChain(p.id)).allowed) {
    return { ok: false, response: googleError(403, DENIED, 'PERMISSION_DENIED') };
  }
  return { ok: true, p, caller: auth.principal };
}

/** Folders and the organization: get, and their IAM policies (grants there apply to every project below). */
function containerRoutesFor(world: World, kind: 'folders' | 'organizations'): Route[] {
  const singular = kind === 'folders' ? 'folders' : 'organizations';
  const find = (
    req: SandboxRequest,
    permission: string,
  ): { ok: true; name: string; caller: Principal } | { ok: false; response: SandboxResponse } => {
    const auth = authenticate(world, req);
    if (!auth.ok) return auth;
    const name = `${kind}/${req.params.id ?? ''}`;
    const exists = kind === 'folders' ? world.folders.has(name) : world.organization?.id === req.params.id;
    if (!exists || !world.check(auth.principal, permission, world.ancestorChain(name)).allowed)
      return { ok: false, response: googleError(403, DENIED, 'PERMISSION_DENIED') };
    return { ok: true, name, caller: auth.principal };
  };
  const get = (req: SandboxRequest): SandboxResponse => {
    const f = find(req, `resourcemanager.${singular}.get`);
    if (!f.ok) return f.response;
    if (kind === 'organizations') {
      return {
        status: 200,
        json: {
          name: f.name,
          displayName: world.organization?.displayName ?? f.name,
          state: 'ACTIVE',
          directoryCustomerId: 'C0sandbox',
          etag: 'W/"sandbox"',
        },
      };
    }
    const folder = world.folders.get(f.name);
    return {
      status: 200,
      json: {
        name: f.name,
        parent: folder?.parent,
        displayName: folder?.displayName ?? f.name,
        state: 'ACTIVE',
        etag: 'W/"sandbox"',
      },
    };
  };
  const routes: Route[] = [];
  for (const version of kind === 'organizations' ? ['v1', 'v3'] : ['v2', 'v3']) {
    routes.push(
      { method: 'GET', path: `/${version}/${kind}/{id}`, handler: get },
      {
        method: 'POST',
        path: `/${version}/${kind}/{id}:getIamPolicy`,
        handler: (req) => {
          const f = find(req, `resourcemanager.${singular}.getIamPolicy`);
          if (!f.ok) return f.response;
          return { status: 200, json: renderPolicy(world.policies.read(f.name), requestedVersion(req, readBody(req))) };
        },
      },
      {
        method: 'POST',
        path: `/${version}/${kind}/{id}:setIamPolicy`,
        handler: (req) => {
          const f = find(req, `resourcemanager.${singular}.setIamPolicy`);
          if (!f.ok) return f.response;
          const [type = '', id = ''] = f.name.split('/');
          return writePolicy(world, req, {
            key: f.name,
            projectId: '',
            logParent: f.name,
            serviceName: 'cloudresourcemanager.googleapis.com',
            methodName: 'SetIamPolicy',
            resourceName: f.name,
            resource: {
              type: type === 'folders' ? 'folder' : 'organization',
              labels: { [type === 'folders' ? 'folder_id' : 'organization_id']: id },
            },
            permission: `resourcemanager.${singular}.setIamPolicy`,
            caller: f.caller,
          });
        },
      },
    );
  }
  return routes;
}

export function crmRoutes(world: World): RouteTable {
  const policyRoutes = (version: 'v1' | 'v3') => [
    {
      method: 'POST',
      path: `/${version}/projects/{project}:getIamPolicy`,
      handler: (req: SandboxRequest): SandboxResponse => {
        const f = projectFor(world, req, 'resourcemanager.projects.getIamPolicy');
        if (!f.ok) return f.response;
        return {
          status: 200,
          json: renderPolicy(world.policies.read(`projects/${f.p.id}`), requestedVersion(req, readBody(req))),
        };
      },
    },
    {
      method: 'POST',
      path: `/${version}/projects/{project}:setIamPolicy`,
      handler: (req: SandboxRequest): SandboxResponse => {
        const f = projectFor(world, req, 'resourcemanager.projects.setIamPolicy');
        if (!f.ok) return f.response;
        return writePolicy(world, req, {
          key: `projects/${f.p.id}`,
          projectId: f.p.id,
          serviceName: 'cloudresourcemanager.googleapis.com',
          methodName: 'SetIamPolicy',
          resourceName: `projects/${f.p.id}`,
          resource: { type: 'project', labels: { project_id: f.p.id } },
          permission: 'resourcemanager.projects.setIamPolicy',
          caller: f.caller,
        });
      },
    },
    {
      method: 'POST',
      path: `/${version}/projects/{project}:testIamPermissions`,
      handler: (req: SandboxRequest): SandboxResponse => {
        const auth = authenticate(world, req);
        if (!auth.ok) return auth.response;
        const p = world.project(req.params.project ?? '');
        if (!p) return googleError(403, DENIED, 'PERMISSION_DENIED');
        return testPermissions(world, auth.principal, readBody(req).permissions, world.projectChain(p.id));
      },
    },
  ];
  return new RouteTable(
    [
      {
        method: 'GET',
        path: '/v1/projects/{project}',
        handler: (req) => {
          const f = projectFor(world, req, 'resourcemanager.projects.get');
          if (!f.ok) return f.response;
          const json: Record<string, unknown> = {
            projectNumber: f.p.number,
            projectId: f.p.id,
            lifecycleState: 'ACTIVE',
            name: f.p.id,
            createTime: '2024-03-01T09:00:00.000Z',
          };
          if (f.p.parent !== undefined) {
            const [type = '', id = ''] = f.p.parent.split('/');
            json.parent = { type: type === 'folders' ? 'folder' : 'organization', id };
          }
          return { status: 200, json };
        },
      },
      {
        method: 'GET',
        path: '/v3/projects/{project}',
        handler: (req) => {
          const f = projectFor(world, req, 'resourcemanager.projects.get');
          if (!f.ok) return f.response;
          return {
            status: 200,
            json: {
              name: `projects/${f.p.number}`,
              ...(f.p.parent !== undefined ? { parent: f.p.parent } : {}),
              projectId: f.p.id,
              state: 'ACTIVE',
              displayName: f.p.id,
              etag: 'W/"sandbox"',
            },
          };
        },
      },
      ...policyRoutes('v1'),
      ...policyRoutes('v3'),
      {
        method: 'POST',
        path: '/v1/projects/{project}:getAncestry',
        handler: (req: SandboxRequest): SandboxResponse => {
          const f = projectFor(world, req, 'resourcemanager.projects.get');
          if (!f.ok) return f.response;
          const ancestor = [
            { resourceId: { type: 'project', id: f.p.id } },
            ...world.ancestorChain(f.p.parent).map((l) => {
              const [type = '', id = ''] = l.name.split('/');
              return { resourceId: { type: type === 'folders' ? 'folder' : 'organization', id } };
            }),
          ];
          return { status: 200, json: { ancestor } };
        },
      },
      ...containerRoutesFor(world, 'folders'),
      ...containerRoutesFor(world, 'organizations'),
    ],
    (req) => googleNotFoundRoute('cloudresourcemanager', req.method, req.path),
  );
}
