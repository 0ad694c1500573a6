// The Kubernetes API of one cluster, as one route table: discovery and health (discovery.ts), OpenAPI
// (openapi.ts), the resource verbs (api.ts), TokenRequest and the reviews (reviews.ts), pod logs (logs.ts).
// `kubectl exec` arrives as an HTTP upgrade (exec/websocket.ts). Unknown paths get the API server's 404 Status.

import { kubeStatus } from '../http/errors.js';
import { RouteTable, type Route, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { ClusterState, World } from '../world.js';
import { KubeApi } from './api.js';
import { discoveryRoutes } from './discovery.js';
import { podLogs } from './logs.js';
import { openApiRoutes } from './openapi.js';
import { prefixOf, RESOURCES } from './resources.js';
import {
  selfSubjectAccessReview,
  selfSubjectReview,
  selfSubjectRulesReview,
  tokenRequest,
  tokenReview,
} from './reviews.js';

export function kubeRoutes(world: World, cluster: ClusterState): RouteTable {
  const authed =
    (h: (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>) =>
    (req: SandboxRequest): SandboxResponse | Promise<SandboxResponse> => {
      // kubectl does not send bearer tokens over plain HTTP, so a request without credentials is the
      // loopback admin (like the API server's old insecure port); a wrong token is still refused.
      const header = req.headers.authorization;
      if (header === undefined) return h(req);
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m?.[1] || !world.callers.has(m[1])) return kubeStatus(401, 'Unauthorized', 'Unauthorized');
      return h(req);
    };
  const api = new KubeApi(cluster);
  const routes: Route[] = [
    ...discoveryRoutes(cluster, authed),
    ...openApiRoutes(authed),
    {
      method: 'POST',
      path: '/api/v1/namespaces/{ns}/serviceaccounts/{name}/token',
      handler: authed(tokenRequest(world, cluster)),
    },
    {
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      handler: authed(selfSubjectAccessReview),
    },
    {
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      handler: authed(selfSubjectRulesReview),
    },
    {
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      handler: authed(selfSubjectReview(world)),
    },
    { method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', handler: authed(tokenReview(cluster)) },
    { method: 'GET', path: '/api/v1/namespaces/{ns}/pods/{name}/log', handler: authed(podLogs(cluster)) },
    ...['GET', 'POST'].map((method) => ({
      method,
      path: '/api/v1/namespaces/{ns}/pods/{name}/exec',
      handler: authed(() => kubeStatus(400, 'BadRequest', 'Upgrade request required')),
    })),
  ];
  for (const def of RESOURCES) {
    if (def.virtual) continue;
    const base = prefixOf(def.group, def.version);
    const collection = def.namespaced ? `${base}/namespaces/{ns}/${def.name}` : `${base}/${def.name}`;
    const item = `${collection}/{name}`;
    if (def.namespaced) routes.push({ method: 'GET', path: `${base}/${def.name}`, handler: authed(api.list(def)) });
    routes.push(
      { method: 'GET', path: collection, handler: authed(api.list(def)) },
      { method: 'POST', path: collection, handler: authed(api.create(def)) },
      { method: 'DELETE', path: collection, handler: authed(api.deleteCollection(def)) },
    );
    for (const sub of Object.keys(def.subresources ?? {})) {
      if (sub === 'scale') {
        routes.push(
          { method: 'GET', path: `${item}/scale`, handler: authed(api.getScale(def)) },
          { method: 'PUT', path: `${item}/scale`, handler: authed(api.setScale(def)) },
          { method: 'PATCH', path: `${item}/scale`, handler: authed(api.setScale(def)) },
        );
      } else if (sub === 'status') {
        routes.push(
          { method: 'GET', path: `${item}/status`, handler: authed(api.getStatus(def)) },
          { method: 'PATCH', path: `${item}/status`, handler: authed(api.patchStatus(def)) },
          { method: 'PUT', path: `${item}/status`, handler: authed(api.patchStatus(def)) },
        );
      }
    }
    routes.push(
      { method: 'GET', path: item, handler: authed(api.get(def)) },
      { method: 'PUT', path: item, handler: authed(api.update(def)) },
      { method: 'PATCH', path: item, handler: authed(api.patch(def)) },
      { method: 'DELETE', path: item, handler: authed(api.delete(def)) },
    );
  }
  return new RouteTable(routes, () =>
    kubeStatus(404, 'NotFound', 'the server could not find the requested resource', {
      causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }],
    }),
  );
}
