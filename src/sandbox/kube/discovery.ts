// What kubectl reads before anything else: /version, the health endpoints, API discovery (/api, /apis and
// one APIResourceList per group version, so `kubectl api-resources` and `kubectl cluster-info` see every
// resource the sandbox serves), and the service-account issuer's OIDC discovery document and keys.

import type { Route, SandboxResponse } from '../http/router.js';
import type { ClusterState } from '../world.js';
import { GROUPS, prefixOf, RESOURCES } from './resources.js';

const HEALTH_CHECKS = [
  'ping',
  'log',
  'etcd',
  'etcd-readiness',
  'informer-sync',
  'poststarthook/start-apiserver-admission-initializer',
  'poststarthook/generic-apiserver-start-informers',
  'poststarthook/start-service-ip-repair-controllers',
  'poststarthook/rbac/bootstrap-roles',
  'poststarthook/apiservice-registration-controller',
  'shutdown',
];

function health(name: 'healthz' | 'livez' | 'readyz') {
  return (req: { query: URLSearchParams }): SandboxResponse => {
    const checks =
      name === 'readyz'
        ? HEALTH_CHECKS
        : HEALTH_CHECKS.filter((c) => !['etcd-readiness', 'informer-sync', 'shutdown'].includes(c));
    if (!req.query.has('verbose'))
      return {
        status: 200,
        text: 'ok',
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
      };
    const lines = checks.map((c) => `[+]${c} ok`);
    return {
      status: 200,
      text: `${lines.join('\n')}\n${name} check passed\n`,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    };
  };
}

function resourceList(group: string): unknown[] {
  const out: unknown[] = [];
  for (const r of RESOURCES.filter((x) => x.group === group)) {
    out.push({
      name: r.name,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    });
    for (const [sub, d] of Object.entries(r.subresources ?? {})) {
      out.push({
        name: `${r.name}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(d.group !== undefined ? { group: d.group, version: d.version } : {}),
        kind: d.kind,
        verbs: d.verbs,
      });
    }
  }
  return out;
}

export function discoveryRoutes(
  cluster: ClusterState,
  authed: (h: (req: Parameters<Route['handler']>[0]) => SandboxResponse | Promise<SandboxResponse>) => Route['handler'],
): Route[] {
  const hostPort = (): string => cluster.apiUrl.replace(/^https?:\/\//, '');
  const routes: Route[] = [
    {
      method: 'GET',
      path: '/version',
      handler: () => {
        const [major = '1', minor = '32'] = cluster.kubeVersion.split('.');
        return {
          status: 200,
          json: {
            major,
            minor,
            gitVersion: `v${cluster.kubeVersion}`,
            gitCommit: 'sandbox',
            gitTreeState: 'clean',
            buildDate: '2025-04-01T00:00:00Z',
            goVersion: 'go1.23.6',
            compiler: 'gc',
            platform: 'linux/amd64',
          },
        };
      },
    },
    { method: 'GET', path: '/healthz', handler: health('healthz') },
    { method: 'GET', path: '/livez', handler: health('livez') },
    { method: 'GET', path: '/readyz', handler: health('readyz') },
    ...['healthz', 'livez', 'readyz'].map((h) => ({
      method: 'GET',
      path: `/${h}/{check=**}`,
      handler: (req: { params: Record<string, string> }): SandboxResponse =>
        HEALTH_CHECKS.includes(req.params.check ?? '')
          ? { status: 200, text: 'ok', headers: { 'Content-Type': 'text/plain; charset=utf-8' } }
          : { status: 404, text: '404 page not found\n', headers: { 'Content-Type': 'text/plain; charset=utf-8' } },
    })),
    {
      method: 'GET',
      path: '/.well-known/openid-configuration',
      handler: () => ({
        status: 200,
        json: {
          issuer: cluster.tokenIssuer,
          // As on a real API server, the keys are at the API server's own address.
          jwks_uri: `${cluster.apiUrl}/openid/v1/jwks`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        },
      }),
    },
    {
      method: 'GET',
      path: '/openid/v1/jwks',
      handler: async () => ({ status: 200, json: { keys: [(await cluster.key).publicJwk] } }),
    },
    {
      method: 'GET',
      path: '/api',
      handler: authed(() => ({
        status: 200,
        json: {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostPort() }],
        },
      })),
    },
    {
      method: 'GET',
      path: '/apis',
      handler: authed(() => ({
        status: 200,
        json: {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: GROUPS.map((g) => ({
            name: g,
            versions: [{ groupVersion: `${g}/v1`, version: 'v1' }],
            preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' },
          })),
        },
      })),
    },
    ...['', ...GROUPS].map((group) => ({
      method: 'GET',
      path: prefixOf(group, 'v1'),
      handler: authed(() => ({
        status: 200,
        json: {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: group === '' ? 'v1' : `${group}/v1`,
          resources: resourceList(group),
        },
      })),
    })),
  ];
  return routes;
}
