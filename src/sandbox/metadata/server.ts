// The metadata server one pod sees (FACTS §2). On a GKE_METADATA node it is gke-metadata-server: the
// annotated GSA's token when the chain holds, the federated identity when there is no annotation, its
// own 403 text when IAM refuses. hostNetwork pods and pools not on GKE_METADATA see the Compute Engine
// metadata server and the node's service account. A NetworkPolicy that blocks the path, or a server that
// is down, means no answer at all: the client's timeout decides.

import type { NetworkPolicy, Node, Pod, ServiceAccountObject } from '../../model/k8s/types.js';
import { METADATA_SERVER_NODE_LABEL, WI_ANNOTATION } from '../../model/k8s/types.js';
import { mintForServiceAccount, googleIdToken } from '../google/credentials.js';
import { RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import { ksaSubjectPrincipal } from '../iam/principal.js';
import { CLOUD_PLATFORM } from '../tokens.js';
import type { ClusterState, World } from '../world.js';
import { egressAllowed, metadataDestination } from './egress.js';

export const MDS_INTERNAL_ERROR = 'GKE Metadata Server: Internal Server Error';
export const CONCEALED_TEXT = 'The request is rejected. Please check if the metadata server is concealed.';
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

  const M = '/computeMetadata/v1';
  return new RouteTable(
    [
      { method: 'GET', path: `${M}/instance/service-accounts/{acct}/token`, handler: token },
      { method: 'GET', path: `${M}/instance/service-accounts/{acct}/identity`, handler: identity },
      {
        method: 'GET',
        path: `${M}/instance/service-accounts/{acct}/email`,
        handler: withView((req, v) => (accountMatches(req, v) ? text(200, emailOf(v)) : text(404, 'Not Found\n'))),
      },
      {
        method: 'GET',
        path: `${M}/instance/service-accounts/{acct}/scopes`,
        handler: withView(() => text(200, `${CLOUD_PLATFORM}\n`)),
      },
      {
        method: 'GET',
        path: `${M}/instance/service-accounts/{acct}/aliases`,
        handler: withView(() => text(200, 'default\n')),
      },
      {
        method: 'GET',
        path: `${M}/instance/service-accounts/{acct}/`,
        handler: withView((req, v) => {
          // Real GKE answers 404 to the recursive listing (google-auth-library-python#745).
          if (v.mode === 'gke') return text(404, 'Not Found\n');
          if (req.query.get('recursive') === 'true')
            return { status: 200, json: { aliases: ['default'], email: v.nodeSa, scopes: [CLOUD_PLATFORM] } };
          return text(200, 'aliases\nemail\nidentity\nscopes\ntoken\n');
        }),
      },
      {
        method: 'GET',
        path: `${M}/instance/service-accounts/`,
        handler: withView((_req, v) => text(200, `default/\n${emailOf(v)}/\n`)),
      },
      { method: 'GET', path: `${M}/project/project-id`, handler: withView(() => text(200, project().id)) },
      { method: 'GET', path: `${M}/project/numeric-project-id`, handler: withView(() => text(200, project().number)) },
      {
        method: 'GET',
        path: `${M}/instance/attributes/cluster-name`,
        handler: withView(() => text(200, cluster.name)),
      },
      {
        method: 'GET',
        path: `${M}/instance/attributes/cluster-location`,
        handler: withView(() => text(200, cluster.location)),
      },
      {
        method: 'GET',
        path: `${M}/instance/attributes/{attr}`,
        handler: withView((_req, v) =>
          v.mode === 'concealed' ? text(403, `${CONCEALED_TEXT}\n`) : text(404, 'Not Found\n'),
        ),
      },
      {
        method: 'GET',
        path: `${M}/instance/hostname`,
        handler: withView((_r, v) => text(200, `${v.pod.spec.nodeName ?? 'node'}.c.${project().id}.internal`)),
      },
      {
        method: 'GET',
        path: `${M}/instance/zone`,
        handler: withView(() =>
          text(
            200,
            `projects/${project().number}/zones/${/-[a-z]$/.test(cluster.location) ? cluster.location : `${cluster.location}-b`}`,
          ),
        ),
      },
      {
        method: 'GET',
        path: `${M}/instance`,
        handler: withView(() => text(200, 'attributes/\nhostname\nid\nservice-accounts/\nzone\n')),
      },
      {
        method: 'GET',
        path: `${M}/instance/`,
        handler: withView(() => text(200, 'attributes/\nhostname\nid\nservice-accounts/\nzone\n')),
      },
      { method: 'GET', path: `${M}/`, handler: withView(() => text(200, 'instance/\nproject/\n')) },
      { method: 'GET', path: '/', handler: withView(() => text(200, 'computeMetadata/\n')) },
    ],
    () => text(404, 'Not Found\n'),
  );
}

/** How gke-metadata-server words an IAM refusal (FACTS §2). */
function iamFailure(res: SandboxResponse, what: string): SandboxResponse {
  const error = (
    res.json as { error?: { code?: number; message?: string; details?: { reason?: string }[] } } | undefined
  )?.error;
  const code = error?.code ?? res.status;
  let body = `Unable to generate ${what}; IAM returned ${code} ${REASONS[code] ?? ''}: ${error?.message ?? ''}`;
  if (error?.details?.some((d) => d.reason === 'IAM_PERMISSION_DENIED')) body += `\n${MISSING_BINDING_SUFFIX}`;
  return text(code, `${body}\n`);
}
