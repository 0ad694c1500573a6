// startSandbox: one local world, each Google API on its own loopback port (so that gcloud's
// CLOUDSDK_API_ENDPOINT_OVERRIDES_<API> and client libraries' rootUrl can point at it), one Kubernetes API
// port per cluster, one metadata-server port per pod. Returns the endpoints and the environment to use.

import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startClusterEndpoint } from './google/cluster-endpoint.js';
import { googleBadRequest } from './google/common.js';
import { cloudAssetRoutes } from './google/cloudasset.js';
import { computeRoutes } from './google/compute.js';
import { containerRoutes } from './google/container.js';
import { crmRoutes } from './google/crm.js';
import { iamRoutes } from './google/iam.js';
import { iamCredentialsRoutes } from './google/iamcredentials.js';
import { loggingRoutes } from './google/logging.js';
import { oauth2Routes } from './google/oauth2.js';
import { policyAnalyzerRoutes } from './google/policyanalyzer.js';
import { serviceUsageRoutes } from './google/serviceusage.js';
import { storageRoutes } from './google/storage.js';
import { STS_THROTTLED, stsRoutes } from './google/sts.js';
import { str, json, readBody, RouteTable, type SandboxResponse } from './http/router.js';
import { googleError, kubeStatus, stsError } from './http/errors.js';
import { serve, type ApiServer } from './http/server.js';
import { keyFileFor, type KeyFileJson } from './key-files.js';
import { syncMetadataServerPods } from './kube/controllers.js';
import { runEntrypoint } from './kube/exec/container.js';
import { execUpgrade } from './kube/exec/websocket.js';
import { linkSandbox } from './kube/hooks.js';
import { metadataServerLine } from './kube/logs.js';
import { kubeRoutes } from './kube/routes.js';
import { metadataRoutes } from './metadata/server.js';
import { checkScenario, loadScenarioFile } from './scenario/load.js';
import type { ApiName, FaultsSpec, Scenario } from './scenario/types.js';
import type { Pod } from '../model/k8s/types.js';
import { World, type ClusterState } from './world.js';

export { loadScenarioFile, parseScenario, ScenarioError } from './scenario/load.js';
export type { Scenario } from './scenario/types.js';
export type { KeyFileJson } from './key-files.js';

/** The Google APIs served, by gcloud's override name. */
export const GOOGLE_APIS = [
  'IAM',
  'IAMCREDENTIALS',
  'STS',
  'CONTAINER',
  'CLOUDRESOURCEMANAGER',
  'SERVICEUSAGE',
  'LOGGING',
  'STORAGE',
  'OAUTH2',
  'COMPUTE',
  'CLOUDASSET',
  'POLICYANALYZER',
] as const;
export type GoogleApi = (typeof GOOGLE_APIS)[number];

export interface SandboxOptions {
  /** A parsed scenario or the path of a YAML file. */
  scenario: Scenario | string;
  /** 0 (default) = free ports; N = consecutive ports from N. */
  port?: number;
  /** Loopback only: 127.0.0.1 (default) or another 127.x address. */
  host?: string;
}

export interface PodEndpoint {
  cluster: string;
  namespace: string;
  name: string;
  /** Use as GCE_METADATA_HOST (host:port) or as a base URL. */
  metadataHost: string;
  metadataUrl: string;
}

export interface RunningSandbox {
  /** Base URLs without a trailing slash, by lower-case API name, plus `kubernetes` (first cluster) and `kubernetes:<context>`. */
  endpoints: Record<string, string>;
  env: Record<string, string>;
  /** The pods and their metadata servers, as of now (a rollout replaces pods and their servers). */
  readonly pods: PodEndpoint[];
  kubeconfig: string;
  adminToken: string;
  world: World;
  /**
   * A service-account key file (fake key, `token_uri` = the sandbox's token endpoint) for a user-managed key of
   * the account: the first one, or the one whose id is `keyId`. Rejects when there is none.
   */
  keyFile(email: string, keyId?: string): Promise<KeyFileJson>;
  stop(): Promise<void>;
}

const API_OF: Record<GoogleApi, ApiName> = {
  IAM: 'iam',
  IAMCREDENTIALS: 'iamcredentials',
  STS: 'sts',
  CONTAINER: 'container',
  CLOUDRESOURCEMANAGER: 'cloudresourcemanager',
  SERVICEUSAGE: 'serviceusage',
  LOGGING: 'logging',
  STORAGE: 'storage',
  OAUTH2: 'oauth2',
  COMPUTE: 'compute',
  CLOUDASSET: 'cloudasset',
  POLICYANALYZER: 'policyanalyzer',
};

export function contextName(c: { project: string; location: string; name: string }): string {
  return `gke_${c.project}_${c.location}_${c.name}`;
}

export async function startSandbox(opts: SandboxOptions): Promise<RunningSandbox> {
  const host = opts.host ?? '127.0.0.1';
  if (!/^127\.\d+\.\d+\.\d+$/.test(host))
    throw new Error(`the sandbox binds loopback only; ${host} is not a 127.x address`);
  const scenario =
    typeof opts.scenario === 'string' ? await loadScenarioFile(opts.scenario) : checkScenario(opts.scenario);
  const world = await World.create(scenario);
  let nextPort = opts.port ?? 0;
  const port = (): number => (nextPort === 0 ? 0 : nextPort++);
  const servers: ApiServer[] = [];
  const closers: { close(): Promise<void> }[] = [];
  const admin = adminRoutes(world, () => podList());

  const tables: Record<GoogleApi, RouteTable> = {
    IAM: iamRoutes(world),
    IAMCREDENTIALS: iamCredentialsRoutes(world),
    STS: stsRoutes(world),
    CONTAINER: containerRoutes(world),
    CLOUDRESOURCEMANAGER: crmRoutes(world),
    SERVICEUSAGE: serviceUsageRoutes(world),
    LOGGING: loggingRoutes(world),
    STORAGE: storageRoutes(world),
    OAUTH2: oauth2Routes(world),
    COMPUTE: computeRoutes(world),
    CLOUDASSET: cloudAssetRoutes(world),
    POLICYANALYZER: policyAnalyzerRoutes(world),
  };
  const endpoints: Record<string, string> = {};
  try {
    for (const api of GOOGLE_APIS) {
      const s = await serve({
        api: API_OF[api],
        table: tables[api],
        faults: world.faults,
        host,
        port: port(),
        admin,
        ...(api === 'STS'
          ? { onError: stsBadRequest, faultError: stsFault }
          : { onError: api === 'OAUTH2' ? oauthBadRequest : googleBadRequest }),
      });
      servers.push(s);
      endpoints[api.toLowerCase()] = s.url;
      if (api === 'OAUTH2') world.oauth2TokenUrl = `${s.url}/token`;
    }
    for (const c of world.clusters) {
      const s = await serve({
        api: 'kubernetes',
        table: kubeRoutes(world, c),
        faults: world.faults,
        host,
        port: port(),
        admin,
        onError: kubeError,
        upgrade: execUpgrade(world, c),
      });
      servers.push(s);
      c.apiUrl = s.url;
      endpoints[`kubernetes:${contextName(c)}`] = s.url;
      endpoints.kubernetes ??= s.url;
      const https = await startClusterEndpoint(host, port(), s.port);
      closers.push(https);
      c.httpsEndpoint = https.hostPort;
      c.caCertificate = https.caCertificate;
    }
  } catch (e) {
    await Promise.all([...servers, ...closers].map((s) => s.close()));
    throw e;
  }

  // Metadata servers follow the pods: started for new pods, stopped for deleted ones.
  const mds = new Map<string, { server: ApiServer; pod: PodEndpoint }>();
  let syncing: Promise<void> = Promise.resolve();
  const syncMetadata = async (): Promise<void> => {
    const wanted = new Map<string, { c: ClusterState; ns: string; name: string }>();
    for (const c of world.clusters) {
      for (const p of c.store.list('pods')) {
        if (p.metadata.namespace === 'kube-system') continue;
        wanted.set(`${contextName(c)}/${p.metadata.namespace ?? ''}/${p.metadata.name}`, {
          c,
          ns: p.metadata.namespace ?? '',
          name: p.metadata.name,
        });
      }
    }
    for (const [key, entry] of mds) {
      if (!wanted.has(key)) {
        mds.delete(key);
        await entry.server.close();
      }
    }
    for (const [key, w] of wanted) {
      if (mds.has(key)) continue;
      const server = await serve({
        api: 'metadata',
        table: metadataRoutes(world, w.c, w.ns, w.name),
        faults: world.faults,
        host,
        port: port(),
        headers: { 'Metadata-Flavor': 'Google', Server: 'Metadata Server for VM' },
        onAnswer: (req, res) => {
          const pod = w.c.store.get<Pod>('pods', w.ns, w.name);
          if (pod && !res.hang) metadataServerLine(w.c, pod, req.path, res.status, res.text);
        },
      });
      const metadataHost = `${host}:${server.port}`;
      mds.set(key, {
        server,
        pod: {
          cluster: contextName(w.c),
          namespace: w.ns,
          name: w.name,
          metadataHost,
          metadataUrl: `http://${metadataHost}`,
        },
      });
    }
  };
  world.onPodsChanged(() => {
    syncing = syncing.then(syncMetadata).catch(() => undefined);
  });
  await syncMetadata();
  for (const c of world.clusters) {
    // Pods the API or its controllers create or delete get (or lose) their metadata server.
    c.store.watch((e) => {
      if (e.resource === 'pods' && e.type !== 'MODIFIED') world.podsChanged();
    });
    c.store.startHistory();
  }
  const podList = (): PodEndpoint[] => [...mds.values()].map((m) => m.pod);

  const dir = await mkdtemp(join(tmpdir(), 'wi-doctor-sandbox-'));
  const adminCaller = [...world.callers.values()][0];
  const adminToken = adminCaller?.token ?? '';
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigYaml(world, endpoints, adminToken), { mode: 0o600 });
  const podsFile = join(dir, 'pods.json');
  const env = buildEnv(world, endpoints, adminToken, kubeconfig, podsFile);
  await writeFile(podsFile, JSON.stringify(podList(), null, 2), { mode: 0o600 });
  world.onPodsChanged(() => {
    void syncing
      .then(() => writeFile(podsFile, JSON.stringify(podList(), null, 2), { mode: 0o600 }))
      .catch(() => undefined);
  });

  for (const c of world.clusters)
    linkSandbox(c, {
      metadataHost: (ns, name) => mds.get(`${contextName(c)}/${ns}/${name}`)?.pod.metadataHost,
      env,
      runEntrypoint: (pod, container) => {
        void runEntrypoint(world, c, pod, container).catch(() => undefined);
      },
    });

  let stopped = false;
  return {
    endpoints,
    env,
    get pods() {
      return podList();
    },
    kubeconfig,
    adminToken,
    world,
    async keyFile(email, keyId) {
      const file = await keyFileFor(world, email, keyId);
      if (!file) throw new Error(`no user-managed key ${keyId ?? ''} for service account ${email} in the sandbox`);
      return file;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const c of world.clusters) c.timers.stop();
      await syncing;
      await Promise.all([...servers, ...closers, ...[...mds.values()].map((m) => m.server)].map((s) => s.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function buildEnv(
  world: World,
  endpoints: Record<string, string>,
  token: string,
  kubeconfig: string,
  podsFile: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const api of GOOGLE_APIS) {
    const url = endpoints[api.toLowerCase()] ?? '';
    // gcloud replaces the API's whole base URL; Compute's includes its version path.
    if (api !== 'OAUTH2')
      env[`CLOUDSDK_API_ENDPOINT_OVERRIDES_${api}`] = api === 'COMPUTE' ? `${url}/compute/v1/` : `${url}/`;
    env[`WI_DOCTOR_${api}_ENDPOINT`] = url;
  }
  env.CLOUDSDK_AUTH_ACCESS_TOKEN = token;
  env.CLOUDSDK_CORE_PROJECT = world.clusters[0]?.project ?? world.scenario.projects[0]?.id ?? '';
  env.CLOUDSDK_CORE_CHECK_GCE_METADATA = 'false';
  env.KUBECONFIG = kubeconfig;
  env.WI_DOCTOR_SANDBOX_PODS = podsFile;
  return env;
}

function kubeconfigYaml(world: World, endpoints: Record<string, string>, token: string): string {
  const names = world.clusters.map(contextName);
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'preferences: {}',
    `current-context: ${names[0] ?? ''}`,
    'clusters:',
  ];
  // Plain HTTP on loopback; client libraries only accept it with TLS verification explicitly off.
  for (const n of names)
    lines.push(
      `- name: ${n}`,
      '  cluster:',
      `    server: ${endpoints[`kubernetes:${n}`] ?? ''}`,
      '    insecure-skip-tls-verify: true',
    );
  lines.push('contexts:');
  for (const n of names) lines.push(`- name: ${n}`, '  context:', `    cluster: ${n}`, `    user: ${n}`);
  lines.push('users:');
  for (const n of names) lines.push(`- name: ${n}`, '  user:', `    token: ${token}`);
  return `${lines.join('\n')}\n`;
}

/** Writes `export NAME=value` lines atomically (temp file + rename), mode 0600. */
export async function writeEnvFile(path: string, env: Record<string, string>): Promise<void> {
  const body = Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join('\n');
  const tmp = join(dirname(path), `.${Date.now()}-${process.pid}.env.tmp`);
  await writeFile(tmp, `${body}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

function shellQuote(v: string): string {
  return /^[A-Za-z0-9_./:@,+=-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

function oauthBadRequest(e: unknown): SandboxResponse {
  return e instanceof SyntaxError
    ? stsError(400, 'invalid_request', 'The request body could not be parsed.')
    : stsError(500, 'server_error', 'Internal error encountered.');
}

function stsBadRequest(e: unknown): SandboxResponse {
  return stsError(400, 'invalid_request', e instanceof Error ? e.message : String(e));
}

/** STS throttling reads as STS words it. */
function stsFault(status: 429 | 503, retryAfterSeconds: number): SandboxResponse {
  const res =
    status === 429
      ? stsError(429, 'rate_limit_exceeded', STS_THROTTLED)
      : stsError(503, 'temporarily_unavailable', 'The service is currently unavailable.');
  return { ...res, headers: { 'Retry-After': String(retryAfterSeconds) } };
}

function kubeError(e: unknown): SandboxResponse {
  return e instanceof SyntaxError
    ? kubeStatus(400, 'BadRequest', e.message)
    : kubeStatus(500, 'InternalError', e instanceof Error ? e.message : String(e));
}

/** /_sandbox/*: faults (GET/POST), pods (GET), key files (GET, first user-managed key), node metadata-server health (POST). */
function adminRoutes(world: World, pods: () => PodEndpoint[]): RouteTable {
  return new RouteTable(
    [
      {
        method: 'GET',
        path: '/_sandbox/faults',
        handler: () =>
          json(200, {
            rules: world.faults.list(),
            iamPropagationDelaySeconds: world.policies.propagationDelayMs / 1000,
          }),
      },
      {
        method: 'POST',
        path: '/_sandbox/faults',
        handler: (req) => {
          const body = readBody(req) as FaultsSpec;
          const checked = checkScenario(
            { projects: [{ id: 'placeholder', number: '100000' }], faults: body },
            'faults',
          );
          world.faults.set(checked.faults ?? {});
          if (body.iamPropagationDelaySeconds !== undefined)
            world.policies.propagationDelayMs = body.iamPropagationDelaySeconds * 1000;
          if (body.activityLagSeconds !== undefined) world.activityLagMs = body.activityLagSeconds * 1000;
          return json(200, { rules: world.faults.list() });
        },
      },
      { method: 'GET', path: '/_sandbox/pods', handler: () => json(200, pods()) },
      {
        method: 'GET',
        path: '/_sandbox/key-files/{email}',
        handler: async (req) => {
          const email = req.params.email ?? '';
          const file = await keyFileFor(world, email);
          return file
            ? json(200, file)
            : googleError(404, `Service account ${email} has no user-managed key in the sandbox.`, 'NOT_FOUND');
        },
      },
      {
        method: 'POST',
        path: '/_sandbox/nodes/{node}/metadata-server',
        handler: (req) => {
          const health = str(readBody(req).health);
          if (!['healthy', 'unhealthy', 'down'].includes(health))
            return googleError(400, 'health must be healthy, unhealthy or down');
          const c = world.clusters.find((x) => x.health.has(req.params.node ?? ''));
          if (!c) return googleError(404, `no node ${req.params.node ?? ''}`);
          c.health.set(req.params.node ?? '', health as 'healthy');
          syncMetadataServerPods(c);
          return json(200, { node: req.params.node, health });
        },
      },
    ],
    (req) => googleError(404, `The sandbox admin API has no route for ${req.method} ${req.path}.`),
  );
}
