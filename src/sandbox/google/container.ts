// GKE (container v1): clusters and node pools get/list/update, operations that complete, cluster JWKS.

import type { GkeCluster, NodePool } from '../../model/gcp.js';
import { googleError, googleNotFoundRoute } from '../http/errors.js';
import { readBody, RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { Principal } from '../iam/principal.js';
import type { PoolMode } from '../scenario/types.js';
import type { ClusterState, NodePoolState, Operation, World } from '../world.js';
import { authenticate } from './common.js';

const BASE = 'https://container.googleapis.com/v1';

function poolConfigMode(mode: PoolMode, autopilot: boolean): NodePool['config'] {
  const config: NonNullable<NodePool['config']> = {};
  if (autopilot) config.workloadMetadataConfig = { mode: 'GKE_METADATA' };
  else if (mode === 'CONCEALED') config.workloadMetadataConfig = {};
  else if (mode !== 'ABSENT') config.workloadMetadataConfig = { mode };
  return config;
}

export function nodePoolJson(world: World, c: ClusterState, np: NodePoolState): Record<string, unknown> {
  const nodes = c.store
    .list('nodes')
    .filter((n) => n.metadata.labels?.['cloud.google.com/gke-nodepool'] === np.name).length;
  return {
    name: np.name,
    config: {
      machineType: 'e2-standard-4',
      diskSizeGb: 100,
      oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
      serviceAccount: np.serviceAccount,
      ...poolConfigMode(np.mode, c.autopilot),
    },
    initialNodeCount: nodes,
    locations: [/-[a-z]$/.test(c.location) ? c.location : `${c.location}-b`],
    selfLink: `${world.clusterUrl(c)}/nodePools/${np.name}`,
    version: c.kubeVersion,
    status: 'RUNNING',
  };
}

export function clusterJson(world: World, c: ClusterState): GkeCluster & Record<string, unknown> {
  const pools = c.nodePools.map((np) => nodePoolJson(world, c, np));
  const nodeCount = c.store.list('nodes').length;
  const out: GkeCluster & Record<string, unknown> = {
    name: c.name,
    location: c.location,
    zone: c.location,
    locations: [/-[a-z]$/.test(c.location) ? c.location : `${c.location}-b`],
    selfLink: world.clusterUrl(c),
    id: c.id,
    status: 'RUNNING',
    // host:port of the cluster's HTTPS endpoint, so that `gcloud container clusters get-credentials` writes a
    // kubeconfig (https://ENDPOINT with masterAuth's CA) that reaches the sandbox.
    endpoint: c.httpsEndpoint ?? '',
    currentMasterVersion: c.kubeVersion,
    currentNodeVersion: c.kubeVersion,
    createTime: c.createTime,
    nodePools: pools as unknown as NodePool[],
    nodeConfig: pools[0]?.config ?? {},
    autopilot: c.autopilot ? { enabled: true } : {},
    networkConfig: { datapathProvider: c.datapath },
    masterAuth: { clusterCaCertificate: c.caCertificate ?? '' },
    currentNodeCount: nodeCount,
  };
  if (c.workloadPool !== undefined) out.workloadIdentityConfig = { workloadPool: c.workloadPool };
  if (c.networkPolicyEnabled) out.networkPolicy = { provider: 'CALICO', enabled: true };
  return out;
}

function denied(permission: string, resource: string): SandboxResponse {
  return googleError(403, `Required "${permission}" permission(s) for "${resource}".`, 'PERMISSION_DENIED');
}

function clusterFor(
  world: World,
  req: SandboxRequest,
  permission: string,
): { ok: true; c: ClusterState; caller: Principal } | { ok: false; response: SandboxResponse } {
  const auth = authenticate(world, req);
  if (!auth.ok) return auth;
  const { project = '', location = '', cluster = '' } = req.params;
  const resource = `projects/${project}/locations/${location}/clusters/${cluster}`;
  const p = world.project(project);
  if (!p || !world.check(auth.principal, permission, world.projectChain(p.id)).allowed)
    return { ok: false, response: denied(permission, resource) };
  const c = world.cluster(p.id, location, cluster);
  if (!c) return { ok: false, response: googleError(404, `Not found: ${resource}.`, 'NOT_FOUND') };
  return { ok: true, c, caller: auth.principal };
}

function operation(world: World, c: ClusterState, type: string, target: string): Operation {
  const name = `operation-${world.now()}-${world.prng.hex(8)}`;
  const now = new Date(world.now()).toISOString();
  const op: Operation = {
    name,
    operationType: type,
    status: 'DONE',
    selfLink: `${BASE}/projects/${world.project(c.project)?.number ?? c.project}/locations/${c.location}/operations/${name}`,
    targetLink: target,
    startTime: now,
    endTime: now,
    zone: c.location,
  };
  world.operations.set(name, op);
  return op;
}

/**
 * GKE's Admin Activity entries for a cluster or node-pool change: one when the operation starts and one when
 * it ends (operation.first / operation.last); the sandbox's operations end at once.
 */
function auditCluster(
  world: World,
  req: SandboxRequest,
  caller: Principal,
  c: ClusterState,
  op: Operation,
  method: 'UpdateCluster' | 'UpdateNodePool',
  pool?: string,
): void {
  const resourceName = `projects/${c.project}/locations/${c.location}/clusters/${c.name}${pool !== undefined ? `/nodePools/${pool}` : ''}`;
  const labels: Record<string, string> = { cluster_name: c.name, location: c.location, project_id: c.project };
  if (pool !== undefined) labels.nodepool_name = pool;
  for (const phase of ['first', 'last'] as const) {
    world.audit.activity({
      projectId: c.project,
      serviceName: 'container.googleapis.com',
      methodName: `google.container.v1.ClusterManager.${method}`,
      resourceName,
      resource: { type: pool !== undefined ? 'gke_nodepool' : 'gke_cluster', labels },
      caller,
      req,
      permission: 'container.clusters.update',
      request: { '@type': `type.googleapis.com/google.container.v1.${method}Request`, name: resourceName },
      ...(phase === 'first'
        ? { response: { '@type': 'type.googleapis.com/google.container.v1.Operation', name: op.name } }
        : {}),
      operation: { id: op.name, producer: 'container.googleapis.com', [phase]: true },
    });
  }
}

export function containerRoutes(world: World): RouteTable {
  const C = '/v1/projects/{project}/locations/{location}/clusters/{cluster}';
  return new RouteTable(
    [
      {
        method: 'GET',
        path: '/v1/projects/{project}/locations/{location}/clusters',
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const { project = '', location = '' } = req.params;
          const p = world.project(project);
          if (!p || !world.check(auth.principal, 'container.clusters.list', world.projectChain(p.id)).allowed) {
            return denied('container.clusters.list', `projects/${project}/locations/${location}`);
          }
          const clusters = world.clusters.filter(
            (c) => c.project === p.id && (location === '-' || c.location === location),
          );
          return {
            status: 200,
            json: clusters.length > 0 ? { clusters: clusters.map((c) => clusterJson(world, c)) } : {},
          };
        },
      },
      {
        method: 'GET',
        path: `${C}/jwks`,
        handler: async (req) => {
          const { project = '', location = '', cluster = '' } = req.params;
          const c = world.cluster(project, location, cluster);
          if (!c)
            return googleError(
              404,
              `Not found: projects/${project}/locations/${location}/clusters/${cluster}.`,
              'NOT_FOUND',
            );
          return { status: 200, json: { keys: [(await c.key).publicJwk] } };
        },
      },
      {
        // GKE's public OIDC discovery of a cluster's service-account issuer (GetOpenIDConfigResponse); the
        // sandbox points jwks_uri at itself (Google's names https://container.googleapis.com/v1/…/jwks).
        // UNVERIFIED: the values GKE lists in claims_supported and grant_types.
        method: 'GET',
        path: `${C}/.well-known/openid-configuration`,
        handler: (req) => {
          const { project = '', location = '', cluster = '' } = req.params;
          const c = world.cluster(project, location, cluster);
          if (!c)
            return googleError(
              404,
              `Not found: projects/${project}/locations/${location}/clusters/${cluster}.`,
              'NOT_FOUND',
            );
          const base = `http://${req.headers.host ?? '127.0.0.1'}`;
          return {
            status: 200,
            json: {
              issuer: c.tokenIssuer,
              jwks_uri: `${base}/v1/projects/${c.project}/locations/${c.location}/clusters/${c.name}/jwks`,
              response_types_supported: ['id_token'],
              subject_types_supported: ['public'],
              id_token_signing_alg_values_supported: ['RS256'],
              claims_supported: ['iss', 'sub', 'kubernetes.io'],
              grant_types: ['urn:kubernetes:grant_type:programmatic_authorization'],
            },
          };
        },
      },
      {
        method: 'GET',
        path: `${C}/nodePools`,
        handler: (req) => {
          const f = clusterFor(world, req, 'container.clusters.get');
          return f.ok
            ? { status: 200, json: { nodePools: f.c.nodePools.map((np) => nodePoolJson(world, f.c, np)) } }
            : f.response;
        },
      },
      {
        method: 'GET',
        path: `${C}/nodePools/{pool}`,
        handler: (req) => {
          const f = clusterFor(world, req, 'container.clusters.get');
          if (!f.ok) return f.response;
          const np = f.c.nodePools.find((p) => p.name === req.params.pool);
          if (!np) return googleError(404, `Not found: ${req.path.slice(4)}.`, 'NOT_FOUND');
          return { status: 200, json: nodePoolJson(world, f.c, np) };
        },
      },
      {
        method: 'PUT',
        path: `${C}/nodePools/{pool}`,
        handler: (req) => {
          const f = clusterFor(world, req, 'container.clusters.update');
          if (!f.ok) return f.response;
          const np = f.c.nodePools.find((p) => p.name === req.params.pool);
          if (!np) return googleError(404, `Not found: ${req.path.slice(4)}.`, 'NOT_FOUND');
          const body = readBody(req) as { workloadMetadataConfig?: { mode?: string } };
          const mode = body.workloadMetadataConfig?.mode;
          if (mode !== undefined) {
            if (!['GKE_METADATA', 'GCE_METADATA', 'MODE_UNSPECIFIED'].includes(mode))
              return googleError(400, `Invalid workload metadata mode ${mode}.`);
            if (mode === 'GKE_METADATA' && f.c.workloadPool === undefined) {
              return googleError(
                400,
                'Workload Identity must be enabled on the cluster to use GKE_METADATA mode on a node pool.',
                'FAILED_PRECONDITION',
              );
            }
            world.setPoolMode(f.c, np, mode as PoolMode);
          }
          const op = operation(world, f.c, 'UPGRADE_NODES', `${world.clusterUrl(f.c)}/nodePools/${np.name}`);
          auditCluster(world, req, f.caller, f.c, op, 'UpdateNodePool', np.name);
          return { status: 200, json: op };
        },
      },
      {
        method: 'GET',
        path: C,
        handler: (req) => {
          const f = clusterFor(world, req, 'container.clusters.get');
          return f.ok ? { status: 200, json: clusterJson(world, f.c) } : f.response;
        },
      },
      {
        method: 'PUT',
        path: C,
        handler: (req) => {
          const f = clusterFor(world, req, 'container.clusters.update');
          if (!f.ok) return f.response;
          const body = readBody(req) as { update?: { desiredWorkloadIdentityConfig?: { workloadPool?: string } } };
          const wic = body.update?.desiredWorkloadIdentityConfig;
          if (wic) {
            const pool = wic.workloadPool ?? '';
            if (pool !== '' && pool !== `${f.c.project}.svc.id.goog`) {
              return googleError(400, `Workload Identity Pool must be "${f.c.project}.svc.id.goog", got "${pool}".`);
            }
            world.setWorkloadPool(f.c, pool === '' ? undefined : pool);
          }
          const op = operation(world, f.c, 'UPDATE_CLUSTER', world.clusterUrl(f.c));
          auditCluster(world, req, f.caller, f.c, op, 'UpdateCluster');
          return { status: 200, json: op };
        },
      },
      {
        method: 'GET',
        path: '/v1/projects/{project}/locations/{location}/operations/{op}',
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const op = world.operations.get(req.params.op ?? '');
          if (!op) return googleError(404, `Not found: operation ${req.params.op ?? ''}.`, 'NOT_FOUND');
          return { status: 200, json: op };
        },
      },
    ],
    (req) => googleNotFoundRoute('container', req.method, req.path),
  );
}
