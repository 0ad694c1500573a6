// Service Usage v1: whether an API (iamcredentials above all) is enabled in a project; enable/disable.

import { googleError, googleNotFoundRoute, permissionDenied } from '../http/errors.js';
import { RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import { DEFAULT_SERVICES, type ProjectState, type World } from '../world.js';
import { authenticate } from './common.js';

const TITLES: Record<string, string> = {
  'iamcredentials.googleapis.com': 'IAM Service Account Credentials API',
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'container.googleapis.com': 'Kubernetes Engine API',
  'sts.googleapis.com': 'Security Token Service API',
};

function serviceJson(p: ProjectState, name: string): Record<string, unknown> {
  return {
    name: `projects/${p.number}/services/${name}`,
    config: { name, title: TITLES[name] ?? name },
    state: p.services.has(name) ? 'ENABLED' : 'DISABLED',
    parent: `projects/${p.number}`,
  };
}

function projectFor(
  world: World,
  req: SandboxRequest,
  permission: string,
): { ok: true; p: ProjectState } | { ok: false; response: SandboxResponse } {
  const auth = authenticate(world, req);
  if (!auth.ok) return auth;
  const p = world.project(req.params.project ?? '');
  if (!p || !world.check(auth.principal, permission, world.projectChain(p.id)).allowed) {
    return { ok: false, response: permissionDenied(permission, 'serviceusage.googleapis.com') };
  }
  return { ok: true, p };
}

export function serviceUsageRoutes(world: World): RouteTable {
  const toggle =
    (enable: boolean) =>
    (req: SandboxRequest): SandboxResponse => {
      const f = projectFor(world, req, enable ? 'serviceusage.services.enable' : 'serviceusage.services.disable');
      if (!f.ok) return f.response;
      const name = req.params.service ?? '';
      if (enable) f.p.services.add(name);
      else f.p.services.delete(name);
      return {
        status: 200,
        json: {
          name: `operations/noop.DONE_OPERATION`,
          done: true,
          response: {
            '@type': 'type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse',
            service: serviceJson(f.p, name),
          },
        },
      };
    };
  return new RouteTable(
    [
      { method: 'POST', path: '/v1/projects/{project}/services/{service}:enable', handler: toggle(true) },
      { method: 'POST', path: '/v1/projects/{project}/services/{service}:disable', handler: toggle(false) },
      {
        method: 'GET',
        path: '/v1/projects/{project}/services/{service}',
        handler: (req) => {
          const f = projectFor(world, req, 'serviceusage.services.get');
          if (!f.ok) return f.response;
          return { status: 200, json: serviceJson(f.p, req.params.service ?? '') };
        },
      },
      {
        method: 'GET',
        path: '/v1/projects/{project}/services',
        handler: (req) => {
          const f = projectFor(world, req, 'serviceusage.services.list');
          if (!f.ok) return f.response;
          const filter = req.query.get('filter') ?? '';
          const names = [...new Set([...DEFAULT_SERVICES, ...f.p.services])].sort();
          const services = names
            .map((n) => serviceJson(f.p, n))
            .filter((s) =>
              filter.includes('state:ENABLED')
                ? s.state === 'ENABLED'
                : filter.includes('state:DISABLED')
                  ? s.state === 'DISABLED'
                  : true,
            );
          return { status: 200, json: { services } };
        },
      },
      {
        method: 'GET',
        path: '/v1/operations/{op}',
        handler: () => ({ status: 200, json: { name: 'operations/noop.DONE_OPERATION', done: true, response: {} } }),
      },
    ],
    (req) => googleNotFoundRoute('serviceusage', req.method, req.path),
  );
}

export function serviceDisabled(p: ProjectState, service: string, title: string): SandboxResponse {
  return googleError(
    403,
    `${title} has not been used in project ${p.number} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/${service}/overview?project=${p.number} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`,
    'PERMISSION_DENIED',
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'SERVICE_DISABLED',
        domain: 'googleapis.com',
        metadata: { service, consumer: `projects/${p.number}` },
      },
    ],
  );
}
