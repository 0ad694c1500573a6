// Service Usage v1: whether an API (iamcredentials above all) is enabled in a project; enable/disable.

import { googleError, googleNotFoundRoute, permissionDenied } from '../http/errors.js';
import { readBody, RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import { DEFAULT_SERVICES, type ProjectState, type World } from '../world.js';
import type { Principal } from '../iam/principal.js';
import { authenticate } from './common.js';

/**
 * The services the sandbox knows exist, with their titles as the API Library names them (titles other than
 * the four Workload Identity needs most are UNVERIFIED). A name outside this list (and the scenario's own)
 * cannot be enabled, as on Google.
 */
export const SERVICE_TITLES: Record<string, string> = {
  'iamcredentials.googleapis.com': 'IAM Service Account Credentials API',
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'container.googleapis.com': 'Kubernetes Engine API',
  'sts.googleapis.com': 'Security Token Service API',
  'compute.googleapis.com': 'Compute Engine API',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager API',
  'serviceusage.googleapis.com': 'Service Usage API',
  'logging.googleapis.com': 'Cloud Logging API',
  'storage.googleapis.com': 'Cloud Storage API',
  'storage-api.googleapis.com': 'Google Cloud Storage JSON API',
  'cloudasset.googleapis.com': 'Cloud Asset API',
  'policyanalyzer.googleapis.com': 'Policy Analyzer API',
  'policytroubleshooter.googleapis.com': 'Policy Troubleshooter API',
  'monitoring.googleapis.com': 'Cloud Monitoring API',
  'cloudtrace.googleapis.com': 'Cloud Trace API',
  'pubsub.googleapis.com': 'Cloud Pub/Sub API',
  'bigquery.googleapis.com': 'BigQuery API',
  'secretmanager.googleapis.com': 'Secret Manager API',
  'cloudkms.googleapis.com': 'Cloud Key Management Service (KMS) API',
  'artifactregistry.googleapis.com': 'Artifact Registry API',
  'containerregistry.googleapis.com': 'Container Registry API',
  'run.googleapis.com': 'Cloud Run Admin API',
  'cloudbuild.googleapis.com': 'Cloud Build API',
  'cloudfunctions.googleapis.com': 'Cloud Functions API',
  'sqladmin.googleapis.com': 'Cloud SQL Admin API',
  'spanner.googleapis.com': 'Cloud Spanner API',
  'firestore.googleapis.com': 'Cloud Firestore API',
  'datastore.googleapis.com': 'Cloud Datastore API',
  'dns.googleapis.com': 'Cloud DNS API',
  'gkehub.googleapis.com': 'GKE Hub API',
  'oslogin.googleapis.com': 'Cloud OS Login API',
  'recommender.googleapis.com': 'Recommender API',
  'cloudtasks.googleapis.com': 'Cloud Tasks API',
  'aiplatform.googleapis.com': 'Vertex AI API',
};
const TITLES = SERVICE_TITLES;

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
): { ok: true; p: ProjectState; caller: Principal } | { ok: false; response: SandboxResponse } {
  const auth = authenticate(world, req);
  if (!auth.ok) return auth;
  const p = world.project(req.params.project ?? '');
  if (!p || !world.check(auth.principal, permission, world.projectChain(p.id)).allowed) {
    return { ok: false, response: permissionDenied(permission, 'serviceusage.googleapis.com') };
  }
  return { ok: true, p, caller: auth.principal };
}

export function serviceUsageRoutes(world: World): RouteTable {
  const toggle =
    (enable: boolean) =>
    (req: SandboxRequest): SandboxResponse => {
      const permission = enable ? 'serviceusage.services.enable' : 'serviceusage.services.disable';
      const f = projectFor(world, req, permission);
      if (!f.ok) return f.response;
      const name = req.params.service ?? '';
      if (!knownService(world, name)) return unknownService(name);
      if (enable) f.p.services.add(name);
      else f.p.services.delete(name);
      const method = `google.api.serviceusage.v1.ServiceUsage.${enable ? 'EnableService' : 'DisableService'}`;
      world.audit.activity({
        projectId: f.p.id,
        serviceName: 'serviceusage.googleapis.com',
        methodName: method,
        resourceName: `projects/${f.p.number}/services/${name}`,
        // UNVERIFIED: the monitored resource Service Usage writes its entries under.
        resource: {
          type: 'audited_resource',
          labels: { service: 'serviceusage.googleapis.com', method, project_id: f.p.id },
        },
        caller: f.caller,
        req,
        permission,
        request: {
          '@type': `type.googleapis.com/google.api.serviceusage.v1.${enable ? 'Enable' : 'Disable'}ServiceRequest`,
          name: `projects/${f.p.number}/services/${name}`,
        },
      });
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
      {
        // `gcloud services enable A B`: every name must be known, then each is enabled (and audited) in turn.
        method: 'POST',
        path: '/v1/projects/{project}/services:batchEnable',
        handler: (req) => {
          const ids = readBody(req).serviceIds;
          const names = Array.isArray(ids) ? ids.map(String) : [];
          if (names.length === 0) return googleError(400, 'serviceIds must name at least one service.');
          const unknown = names.filter((n) => !knownService(world, n));
          if (unknown.length > 0) return unknownService(unknown.join(', '));
          const services = [];
          for (const n of names) {
            const res = toggle(true)({ ...req, params: { ...req.params, service: n } });
            if (res.status !== 200) return res;
            services.push((res.json as { response: { service: unknown } }).response.service);
          }
          return {
            status: 200,
            json: {
              name: 'operations/noop.DONE_OPERATION',
              done: true,
              response: {
                '@type': 'type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse',
                services,
              },
            },
          };
        },
      },
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

/** A service Google knows: the sandbox's catalog, the defaults, or one a scenario project lists. */
export function knownService(world: World, name: string): boolean {
  if (name in SERVICE_TITLES || DEFAULT_SERVICES.includes(name)) return true;
  return world.scenario.projects.some(
    (p) => (p.services ?? []).includes(name) || (p.disabledServices ?? []).includes(name),
  );
}

/** How Service Usage refuses a service name it does not know (seen from gcloud and Terraform). */
export function unknownService(name: string): SandboxResponse {
  return googleError(403, `Not found or permission denied for service(s): ${name}.`, 'PERMISSION_DENIED', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED',
      domain: 'serviceusage.googleapis.com',
      metadata: { services: name },
    },
  ]);
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
