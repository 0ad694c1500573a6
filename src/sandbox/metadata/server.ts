// The metadata server one pod sees. On a GKE_METADATA node it is gke-metadata-server: the
// annotated GSA's token when the chain holds, the federated identity when there is no annotation, its
// own 403 text when IAM refuses. hostNetwork pods and pools not on GKE_METADATA see the Compute Engine
// metadata server and the node's service account. A NetworkPolicy that blocks the path, or a server that
// is down, means no answer at all: the client's timeout decides.

import type { NetworkPolicy, Node, Pod, ServiceAccountObject } from '../../model/k8s/types.js';
import { METADATA_SERVER_NODE_LABEL, WI_ANNOTATION } from '../../model/k8s/types.js';
import { mintForServiceAccount, googleIdToken } from '../google/credentials.js';
import { auditExchange } from '../google/sts.js';
import { RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import { ksaSubjectPrincipal } from '../iam/principal.js';
import { CLOUD_PLATFORM } from '../tokens.js';
import type { ClusterState, World } from '../world.js';
import { egressAllowed, metadataDestination } from './egress.js';

export const MDS_INTERNAL_ERROR = 'GKE Metadata Server: Internal Server Error';
const MISSING_BINDING_SUFFIX =
  'This error could be caused by a missing IAM policy binding on the target IAM service account.\nFor more information, refer to the Workload Identity documentation:\n\thttps://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#authenticating_to';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

type Mode = 'gke' | 'node' | 'concealed';

interface PodView {
  pod: Pod;
  mode: Mode;
  nodeSa: string;
}

function text(status: number, body: string): SandboxResponse {
  return { status, text: body, headers: { 'Content-Type': 'application/text' } };
}

export function metadataRoutes(world: World, cluster: ClusterState, namespace: string, podName: string): RouteTable {
  const view = (): PodView | undefined => {
    const pod = cluster.store.get<Pod>('pods', namespace, podName);
    if (!pod) return undefined;
    const node = pod.spec.nodeName ? cluster.store.get<Node>('nodes', undefined, pod.spec.nodeName) : undefined;
    const poolName = node?.metadata.labels?.['cloud.google.com/gke-nodepool'];
    const pool = cluster.nodePools.find((p) => p.name === poolName);
    const nodeSa = pool?.serviceAccount ?? 'default';
    let mode: Mode = 'gke';
    if (pod.spec.hostNetwork || cluster.workloadPool === undefined) mode = 'node';
    else if (!cluster.autopilot && pool?.mode === 'CONCEALED') mode = 'concealed';
    else if (!cluster.autopilot && pool?.mode !== 'GKE_METADATA') mode = 'node';
    // A node of a GKE_METADATA pool that lacks the label was not recreated since the mode changed: it still
    // serves the Compute Engine metadata (and no gke-metadata-server pod is scheduled on it).
    else if (!cluster.autopilot && node?.metadata.labels?.[METADATA_SERVER_NODE_LABEL] !== 'true') mode = 'node';
    return { pod, mode, nodeSa };
  };

  /** Reachability and health come before anything the server would say. */
  const gate = (req: SandboxRequest, v: PodView | undefined): SandboxResponse | undefined => {
    if (!v) return { status: 0, hang: true };
    if (!v.pod.spec.hostNetwork) {
      const dest = v.mode === 'gke' ? metadataDestination(cluster.datapath) : { ip: '169.254.169.254', port: 80 };
      const enforced = cluster.datapath === 'ADVANCED_DATAPATH' || cluster.networkPolicyEnabled;
      const verdict = egressAllowed(v.pod, cluster.store.list<NetworkPolicy>('networkpolicies'), dest, enforced);
      if (!verdict.allowed) return { status: 0, hang: true };
    }
    if (v.mode === 'gke') {
      const health = cluster.health.get(v.pod.spec.nodeName ?? '') ?? 'healthy';
      if (health === 'down') return { status: 0, hang: true };
      if (health === 'unhealthy') return text(500, MDS_INTERNAL_ERROR);
    }
    const flavor = req.headers['metadata-flavor'];
    if (flavor !== 'Google') {
      return v.mode === 'gke'
        ? text(403, 'Missing required header "Metadata-Flavor": "Google"\n')
        : text(403, 'Missing Metadata-Flavor:Google header.\n');
    }
    return undefined;
  };

  const ksaOf = (v: PodView): { ksa: ServiceAccountObject | undefined; name: string; gsa: string | undefined } => {
    const name = v.pod.spec.serviceAccountName ?? 'default';
    const ksa = cluster.store.get<ServiceAccountObject>('serviceaccounts', namespace, name);
    const gsa = ksa?.metadata.annotations?.[WI_ANNOTATION]?.trim();
    return { ksa, name, gsa: gsa === '' ? undefined : gsa };
  };

  const emailOf = (v: PodView): string => {
    if (v.mode !== 'gke') return v.nodeSa;
    const { ksa, name, gsa } = ksaOf(v);
    if (gsa !== undefined) return gsa;
    const principal = world.ksaPrincipal(cluster, namespace, name);
    if (
      ksa?.metadata.annotations?.['iam.gke.io/return-principal-id-as-email'] === 'true' &&
      principal?.kind === 'ksa'
    ) {
      return ksaSubjectPrincipal(principal).replace(/^principal:\/\//, 'principal://');
    }
    return cluster.workloadPool ?? '';
  };

  const withView =
    (h: (req: SandboxRequest, v: PodView) => SandboxResponse | Promise<SandboxResponse>) =>
    async (req: SandboxRequest): Promise<SandboxResponse> => {
      const v = view();
      const blocked = gate(req, v);
      if (blocked || !v) return blocked ?? { status: 0, hang: true };
      return h(req, v);
    };

  const accountMatches = (req: SandboxRequest, v: PodView): boolean => {
    const acct = req.params.acct ?? '';
    return acct === 'default' || acct.toLowerCase() === emailOf(v).toLowerCase();
  };

  const token = withView(async (req, v) => {
    if (!accountMatches(req, v)) return text(404, 'Not Found\n');
    const scopes = (req.query.get('scopes') ?? CLOUD_PLATFORM).split(',').filter((s) => s !== '');
    if (v.mode !== 'gke') {
      const g = world.gsa(v.nodeSa);
      if (!g || g.disabled) return text(500, 'Internal Server Error\n');
      world.authenticated(g);
      const { token: t } = world.tokens.mint(
        {
          principal: { kind: 'serviceAccount', email: g.email, uniqueId: g.uniqueId, projectId: g.projectId },
          scopes,
          kind: 'node',
        },
        3600,
      );
      return { status: 200, json: { access_token: t, expires_in: 3599, token_type: 'Bearer' } };
    }
    const { name, gsa } = ksaOf(v);
    const principal = world.ksaPrincipal(cluster, namespace, name);
    if (!principal) return text(500, MDS_INTERNAL_ERROR);
    // gke-metadata-server exchanges the KSA's token with STS first, whatever comes next.
    auditExchange(world, principal, undefined, 'gke-metadata-server');
    if (gsa === undefined) {
      const { token: t } = world.tokens.mint(
        { principal, scopes, kind: 'federated' },
        3600,
        'ya29.d.sandbox-federated',
      );
      return { status: 200, json: { access_token: t, expires_in: 3599, token_type: 'Bearer' } };
    }
    const minted = await mintForServiceAccount(world, principal, gsa, {
      kind: 'access',
      scopes,
      userAgent: 'gke-metadata-server',
      consumerProject: cluster.project,
    });
    if (minted.ok) return { status: 200, json: { access_token: minted.token, expires_in: 3599, token_type: 'Bearer' } };
    return iamFailure(minted.response, 'access token');
  });

  const identity = withView(async (req, v) => {
    if (!accountMatches(req, v)) return text(404, 'Not Found\n');
    const audience = req.query.get('audience') ?? '';
    if (audience === '') return text(400, 'non-empty audience parameter required\n');
    const full = req.query.get('format') === 'full';
    if (v.mode !== 'gke') {
      const g = world.gsa(v.nodeSa);
      if (!g) return text(500, 'Internal Server Error\n');
      return text(
        200,
        await googleIdToken(
          world,
          { azp: g.uniqueId, sub: g.uniqueId, ...(full ? { email: g.email, email_verified: true } : {}) },
          audience,
        ),
      );
    }
    const { name, gsa } = ksaOf(v);
    const principal = world.ksaPrincipal(cluster, namespace, name);
    if (principal?.kind !== 'ksa') return text(500, MDS_INTERNAL_ERROR);
    if (gsa === undefined) {
      // UNVERIFIED: what GKE returns for an ID token in direct-binding mode; the sandbox signs one naming the principal.
      return text(200, await googleIdToken(world, { sub: ksaSubjectPrincipal(principal) }, audience));
    }
    const minted = await mintForServiceAccount(world, principal, gsa, {
      kind: 'id',
      audience,
      includeEmail: full,
      userAgent: 'gke-metadata-server',
      consumerProject: cluster.project,
    });
    return minted.ok ? text(200, minted.token) : iamFailure(minted.response, 'ID token');
  });

  const project = (): { id: string; number: string } => {
    const p = world.project(cluster.project);
    return { id: p?.id ?? cluster.project, number: p?.number ?? '0' };
  };

  /** The metadata tree this pod sees: what each mode lists, every listed entry answering. */
  const tree = (v: PodView): Dir => {
    const p = project();
    const sa = (email: string): Dir => ({
      aliases: 'default',
      email,
      identity: DYNAMIC,
      scopes: `${CLOUD_PLATFORM}\n`,
      token: DYNAMIC,
    });
    const email = emailOf(v);
    const attributes: Dir = {
      'cluster-location': cluster.location,
      'cluster-name': cluster.name,
      'cluster-uid': cluster.id,
    };
    // The node's own metadata (GCE_METADATA pools, hostNetwork pods) includes kube-env, which concealment hides.
    if (v.mode !== 'gke') attributes['kube-env'] = KUBE_ENV;
    const node = v.pod.spec.nodeName ?? 'node';
    const instance: Dir = {
      attributes,
      hostname: `${node}.c.${p.id}.internal`,
      id: numericId(`${cluster.id}/${node}`),
      'service-accounts': { default: sa(email), [email]: sa(email) },
      zone: `projects/${p.number}/zones/${/-[a-z]$/.test(cluster.location) ? cluster.location : `${cluster.location}-b`}`,
    };
    if (v.mode !== 'gke') instance.name = node;
    return { instance, project: { 'numeric-project-id': p.number, 'project-id': p.id } };
  };

  /** Listings, leaves and `?recursive=true` JSON for every path the token/identity routes do not take. */
  const browse = withView((req, v) => {
    const rest = req.path.replace(/^\/computeMetadata\/v1\/?/, '');
    const recursive = req.query.get('recursive') === 'true';
    if (v.mode === 'concealed') {
      // GKE's metadata concealment (k8s-metadata-proxy): ?recursive only on a service account; kube-env and
      // the instance identity token concealed.
      if (recursive && !/^instance\/service-accounts\/[^/]+\/$/.test(rest))
        return text(403, `${CONCEALED_RECURSIVE}\n`);
      if (rest === 'instance/attributes/kube-env') return text(403, `${CONCEALED_ENDPOINT}\n`);
    }
    const parts = rest.split('/').filter((x) => x !== '');
    let node: Dir | string = tree(v);
    for (const part of parts) {
      if (typeof node === 'string') return text(404, 'Not Found\n');
      const next: Dir | string | undefined = node[part];
      if (next === undefined) return text(404, 'Not Found\n');
      node = next;
    }
    if (typeof node === 'string') return text(200, node);
    if (recursive) return { status: 200, json: recursiveJson(node) };
    return text(
      200,
      Object.entries(node)
        .map(([k, x]) => (typeof x === 'string' ? k : `${k}/`))
        .join('\n') + '\n',
    );
  });

  const M = '/computeMetadata/v1';
  return new RouteTable(
    [
      { method: 'GET', path: `${M}/instance/service-accounts/{acct}/token`, handler: token },
      {
        method: 'GET',
        path: `${M}/instance/service-accounts/{acct}/identity`,
        handler: withView((req, v) => (v.mode === 'concealed' ? text(403, `${CONCEALED_ENDPOINT}\n`) : identity(req))),
      },
      {
        method: 'GET',
        path: `${M}/instance/service-accounts/{acct}/email`,
        handler: withView((req, v) => (accountMatches(req, v) ? text(200, emailOf(v)) : text(404, 'Not Found\n'))),
      },
      { method: 'GET', path: `${M}/{rest=**}`, handler: browse },
      { method: 'GET', path: `${M}/`, handler: browse },
      { method: 'GET', path: M, handler: browse },
      { method: 'GET', path: '/computeMetadata/', handler: withView(() => text(200, 'v1/\n')) },
      { method: 'GET', path: '/', handler: withView(() => text(200, 'computeMetadata/\n')) },
    ],
    () => text(404, 'Not Found\n'),
  );
}

/** A metadata directory: leaves are text; DYNAMIC leaves (token, identity) are answered by their own routes. */
interface Dir {
  [key: string]: Dir | string;
}
const DYNAMIC = '';
const KUBE_ENV =
  "# The sandbox keeps no node credentials; on GKE this attribute holds the kubelet's bootstrap configuration.\n";
/** k8s-metadata-proxy's answers under metadata concealment (GoogleCloudPlatform/k8s-metadata-proxy). */
export const CONCEALED_ENDPOINT = 'This metadata endpoint is concealed.';
export const CONCEALED_RECURSIVE = 'This metadata endpoint is concealed for ?recursive calls.';

/** `?recursive=true`: directories as JSON objects with camelCase directory keys, as the metadata server does. */
function recursiveJson(d: Dir): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    if (v === DYNAMIC) continue;
    if (k === 'aliases') {
      out.aliases = [v];
      continue;
    }
    const key = ['service-accounts', 'numeric-project-id', 'project-id'].includes(k)
      ? k.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())
      : k;
    if (typeof v !== 'string') out[key] = recursiveJson(v);
    else if (k === 'scopes') out[key] = v.trim().split('\n');
    else if (k === 'numeric-project-id' || k === 'id') out[key] = Number(v);
    else out[key] = v;
  }
  return out;
}

function numericId(seed: string): string {
  let h = 1469598103934665603n;
  for (const ch of seed) h = ((h ^ BigInt(ch.charCodeAt(0))) * 1099511628211n) % 2n ** 53n;
  return h.toString();
}

/** How gke-metadata-server words an IAM refusal (as apps log it, e.g. camunda/camunda#31106). */
function iamFailure(res: SandboxResponse, what: string): SandboxResponse {
  const error = (
    res.json as { error?: { code?: number; message?: string; details?: { reason?: string }[] } } | undefined
  )?.error;
  const code = error?.code ?? res.status;
  let body = `Unable to generate ${what}; IAM returned ${code} ${REASONS[code] ?? ''}: ${error?.message ?? ''}`;
  if (error?.details?.some((d) => d.reason === 'IAM_PERMISSION_DENIED')) body += `\n${MISSING_BINDING_SUFFIX}`;
  return text(code, `${body}\n`);
}
