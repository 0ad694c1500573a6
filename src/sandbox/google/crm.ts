// Cloud Resource Manager v1 and v3: project metadata and project IAM policies.

import { googleError, googleNotFoundRoute } from '../http/errors.js';
import { readBody, RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
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
          return {
            status: 200,
            json: {
              projectNumber: f.p.number,
              projectId: f.p.id,
              lifecycleState: 'ACTIVE',
              name: f.p.id,
              createTime: '2024-03-01T09:00:00.000Z',
            },
          };
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
    ],
    (req) => googleNotFoundRoute('cloudresourcemanager', req.method, req.path),
  );
}
