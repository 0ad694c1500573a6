// The Kubernetes API of one cluster: discovery, core/apps/batch/networking resources (get, list with
// selectors and paging, create, patch), TokenRequest and OIDC discovery. Status-shaped errors throughout.

import { SignJWT } from 'jose';
import type { KObject, Pod, ServiceAccountObject, Workload } from '../../model/k8s/types.js';
import { kubeNotFound, kubeStatus } from '../http/errors.js';
import { RouteTable, type Route, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { ClusterState, World } from '../world.js';
import { reconcile, templateHash } from './objects.js';
import { fieldManagerOf, kubeTime, recordWrite, type FieldWrite } from './managed-fields.js';
import { jsonPatch, mergePatch, PatchError } from './patch.js';
import { matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';

interface ResourceDef {
  name: string;
  singular: string;
  kind: string;
  group: string;
  version: string;
  namespaced: boolean;
  shortNames?: string[];
  verbs: string[];
}

const READ = ['get', 'list'];
const RESOURCES: ResourceDef[] = [
  {
    name: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    group: '',
    version: 'v1',
    namespaced: false,
    shortNames: ['ns'],
    verbs: READ,
  },
  {
    name: 'nodes',
    singular: 'node',
    kind: 'Node',
    group: '',
    version: 'v1',
    namespaced: false,
    shortNames: ['no'],
    verbs: READ,
  },
  {
    name: 'pods',
    singular: 'pod',
    kind: 'Pod',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['po'],
    verbs: [...READ, 'delete'],
  },
  {
    name: 'serviceaccounts',
    singular: 'serviceaccount',
    kind: 'ServiceAccount',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['sa'],
    verbs: [...READ, 'create', 'patch', 'update'],
  },
  {
    name: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['deploy'],
    verbs: [...READ, 'patch'],
  },
  {
    name: 'statefulsets',
    singular: 'statefulset',
    kind: 'StatefulSet',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['sts'],
    verbs: [...READ, 'patch'],
  },
  {
    name: 'daemonsets',
    singular: 'daemonset',
    kind: 'DaemonSet',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['ds'],
    verbs: [...READ, 'patch'],
  },
  {
    name: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['rs'],
    verbs: READ,
  },
  { name: 'jobs', singular: 'job', kind: 'Job', group: 'batch', version: 'v1', namespaced: true, verbs: READ },
  {
    name: 'cronjobs',
    singular: 'cronjob',
    kind: 'CronJob',
    group: 'batch',
    version: 'v1',
    namespaced: true,
    shortNames: ['cj'],
    verbs: [...READ, 'patch'],
  },
  {
    name: 'networkpolicies',
    singular: 'networkpolicy',
    kind: 'NetworkPolicy',
    group: 'networking.k8s.io',
    version: 'v1',
    namespaced: true,
    shortNames: ['netpol'],
    verbs: [...READ, 'create', 'patch'],
  },
];
const GROUPS = ['apps', 'batch', 'networking.k8s.io', 'authentication.k8s.io'];

function prefixOf(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

function apiVersionOf(def: ResourceDef): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

interface Continue {
  offset: number;
}

export function kubeRoutes(world: World, cluster: ClusterState): RouteTable {
  const store = cluster.store;
  const authed = (h: (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>) => (req: SandboxRequest) => {
    // kubectl does not send bearer tokens over plain HTTP, so a request without credentials is the
    // loopback admin (like the API server's old insecure port); a wrong token is still refused.
    const header = req.headers.authorization;
    if (header === undefined) return h(req);
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m?.[1] || !world.callers.has(m[1])) return kubeStatus(401, 'Unauthorized', 'Unauthorized');
    return h(req);
  };

  /** Who writes, as managedFields will record it. */
  const writeOf = (req: SandboxRequest, def: ResourceDef): FieldWrite => ({
    manager: fieldManagerOf(req.query, req.headers['user-agent']),
    operation: 'Update',
    time: kubeTime(world.now()),
    apiVersion: apiVersionOf(def),
  });

  const list =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      let items = store.list<KObject>(def.name, def.namespaced ? req.params.ns : undefined);
      try {
        const ls = req.query.get('labelSelector');
        if (ls) {
          const reqs = parseLabelSelector(ls);
          items = items.filter((o) => matchesLabels(o.metadata.labels, reqs));
        }
        const fs = req.query.get('fieldSelector');
        if (fs) {
          const preds = parseFieldSelector(fs);
          items = items.filter((o) => preds.every((p) => p(o)));
        }
      } catch (e) {
        if (e instanceof SelectorError) return kubeStatus(400, 'BadRequest', e.message);
        throw e;
      }
      const limit = Number(req.query.get('limit') ?? 0) || 0;
      let offset = 0;
      const cont = req.query.get('continue');
      if (cont) {
        try {
          offset = (JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as Continue).offset;
        } catch {
          return kubeStatus(400, 'BadRequest', 'continue key is not valid: illegal base64 data');
        }
      }
      const page = limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
      const metadata: Record<string, unknown> = { resourceVersion: store.resourceVersion };
      if (limit > 0 && offset + limit < items.length) {
        metadata.continue = Buffer.from(JSON.stringify({ offset: offset + limit })).toString('base64url');
        metadata.remainingItemCount = items.length - offset - limit;
      }
      return { status: 200, json: { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata, items: page } };
    };

  const get =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      const name = req.params.name ?? '';
      const obj = store.get(def.name, def.namespaced ? req.params.ns : undefined, name);
      return obj ? { status: 200, json: obj } : kubeNotFound(def.name, name, def.group);
    };

  const namespaceMissing = (ns: string | undefined): SandboxResponse | undefined =>
    ns !== undefined && !store.get('namespaces', undefined, ns) ? kubeNotFound('namespaces', ns) : undefined;

  const create =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      const ns = req.params.ns;
      const missing = namespaceMissing(ns);
      if (missing) return missing;
      const obj = JSON.parse(req.body.toString('utf8') || '{}') as KObject;
      const name = obj.metadata?.name;
      if (!name)
        return kubeStatus(
          422,
          'Invalid',
          `${def.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        );
      if (store.get(def.name, ns, name))
        return kubeStatus(409, 'AlreadyExists', `${def.name} "${name}" already exists`, { name, kind: def.name });
      obj.apiVersion = apiVersionOf(def);
      obj.kind = def.kind;
      obj.metadata.namespace = ns;
      recordWrite(undefined, obj, writeOf(req, def));
      if (req.query.get('dryRun') === 'All') return { status: 201, json: obj };
      return { status: 201, json: store.put(def.name, obj) };
    };

  const patch =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      const ns = def.namespaced ? req.params.ns : undefined;
      const name = req.params.name ?? '';
      const current = store.get<Workload>(def.name, ns, name);
      if (!current) return kubeNotFound(def.name, name, def.group);
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString('utf8'));
      } catch {
        return kubeStatus(400, 'BadRequest', 'the body of the request was in an unknown format');
      }
      let next: Workload;
      try {
        if (type === 'application/merge-patch+json') next = mergePatch(current, body) as Workload;
        else if (type === 'application/strategic-merge-patch+json') next = mergePatch(current, body, true) as Workload;
        else if (type === 'application/json-patch+json') next = jsonPatch(current, body) as Workload;
        else
          return kubeStatus(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
          );
      } catch (e) {
        if (e instanceof PatchError) return kubeStatus(422, 'Invalid', e.message);
        throw e;
      }
      // Identity fields are the server's, whatever the patch says.
      next.metadata = { ...next.metadata, name, namespace: ns, uid: current.metadata.uid };
      if (ns === undefined) delete next.metadata.namespace;
      next.apiVersion = apiVersionOf(def);
      next.kind = def.kind;
      recordWrite(current, next, writeOf(req, def));
      const before = current.spec?.template ? templateHash(current.spec.template) : '';
      if (req.query.get('dryRun') === 'All') return { status: 200, json: next };
      const saved = store.put(def.name, next);
      if (saved.spec?.template && templateHash(saved.spec.template) !== before) {
        reconcile(cluster, saved);
        world.podsChanged();
      }
      return { status: 200, json: saved };
    };

  const replace =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      const ns = req.params.ns;
      const name = req.params.name ?? '';
      const current = store.get(def.name, ns, name);
      if (!current) return kubeNotFound(def.name, name, def.group);
      const obj = JSON.parse(req.body.toString('utf8') || '{}') as KObject;
      const rv = obj.metadata?.resourceVersion;
      if (rv !== undefined && rv !== current.metadata.resourceVersion) {
        return kubeStatus(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${def.name} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      obj.metadata = { ...obj.metadata, name, namespace: ns, uid: current.metadata.uid };
      obj.apiVersion = apiVersionOf(def);
      obj.kind = def.kind;
      recordWrite(current, obj, writeOf(req, def));
      return { status: 200, json: store.put(def.name, obj) };
    };

  const deletePod = (req: SandboxRequest): SandboxResponse => {
    const ns = req.params.ns ?? '';
    const name = req.params.name ?? '';
    const pod = store.get<Pod>('pods', ns, name);
    if (!pod) return kubeNotFound('pods', name);
    store.delete('pods', ns, name);
    // Its controller replaces it, as a ReplicaSet would.
    const owner = pod.metadata.ownerReferences?.[0];
    const res = owner ? RESOURCES.find((r) => r.kind === owner.kind) : undefined;
    const ownerObj = res && owner ? store.get<Workload>(res.name, ns, owner.name) : undefined;
    if (ownerObj && owner?.kind !== 'ReplicaSet') reconcile(cluster, ownerObj);
    else if (ownerObj) reconcileReplicaSet(ownerObj);
    world.podsChanged();
    return { status: 200, json: pod };
  };

  const reconcileReplicaSet = (rs: Workload): void => {
    const deployName = rs.metadata.ownerReferences?.find((o) => o.kind === 'Deployment')?.name;
    const ns = rs.metadata.namespace ?? '';
    const existing = store
      .list<Pod>('pods', ns)
      .filter((p) => p.metadata.ownerReferences?.some((o) => o.name === rs.metadata.name));
    const want = rs.spec?.replicas ?? 0;
    if (existing.length >= want || !deployName || !rs.spec?.template) return;
    const w: Workload = { ...rs, kind: 'ReplicaSet', spec: { ...rs.spec, replicas: want - existing.length } };
    reconcile(cluster, w);
  };

  const tokenRequest = async (req: SandboxRequest): Promise<SandboxResponse> => {
    const ns = req.params.ns ?? '';
    const name = req.params.name ?? '';
    const sa = store.get<ServiceAccountObject>('serviceaccounts', ns, name);
    if (!sa) return kubeNotFound('serviceaccounts', name);
    const body = JSON.parse(req.body.toString('utf8') || '{}') as {
      spec?: {
        audiences?: string[];
        expirationSeconds?: number;
        boundObjectRef?: { kind?: string; name?: string; uid?: string };
      };
    };
    const audiences = body.spec?.audiences && body.spec.audiences.length > 0 ? body.spec.audiences : [cluster.issuer];
    const expirationSeconds = body.spec?.expirationSeconds ?? 3600;
    if (expirationSeconds < 600) {
      return kubeStatus(
        422,
        'Invalid',
        `TokenRequest.authentication.k8s.io "${name}" is invalid: spec.expirationSeconds: Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`,
      );
    }
    const iat = Math.floor(world.now() / 1000);
    const k8s: Record<string, unknown> = { namespace: ns, serviceaccount: { name, uid: sa.metadata.uid } };
    const ref = body.spec?.boundObjectRef;
    if (ref?.kind === 'Pod' && ref.name) {
      const pod = store.get<Pod>('pods', ns, ref.name);
      if (!pod) return kubeNotFound('pods', ref.name);
      k8s.pod = { name: pod.metadata.name, uid: pod.metadata.uid };
      const node = pod.spec.nodeName ? store.get('nodes', undefined, pod.spec.nodeName) : undefined;
      if (node) k8s.node = { name: node.metadata.name, uid: node.metadata.uid };
    }
    const key = await cluster.key;
    const token = await new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(cluster.issuer)
      .setSubject(`system:serviceaccount:${ns}:${name}`)
      .setAudience(audiences)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + expirationSeconds)
      .setJti(world.prng.uuid())
      .sign(key.privateKey);
    return {
      status: 201,
      json: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name, namespace: ns, creationTimestamp: null },
        spec: { audiences, expirationSeconds, boundObjectRef: ref ?? null },
        status: {
          token,
          expirationTimestamp: new Date((iat + expirationSeconds) * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      },
    };
  };

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
    {
      method: 'GET',
      path: '/.well-known/openid-configuration',
      handler: () => ({
        status: 200,
        json: {
          issuer: cluster.issuer,
          jwks_uri: `${cluster.issuer}/openid/v1/jwks`,
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
          serverAddressByClientCIDRs: [
            { clientCIDR: '0.0.0.0/0', serverAddress: cluster.issuer.replace(/^https?:\/\//, '') },
          ],
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
      handler: authed(() => {
        const resources = RESOURCES.filter((r) => r.group === group).map((r) => ({
          name: r.name,
          singularName: r.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: r.verbs,
          ...(r.shortNames ? { shortNames: r.shortNames } : {}),
        }));
        if (group === '') {
          resources.push({
            name: 'serviceaccounts/token',
            singularName: '',
            namespaced: true,
            kind: 'TokenRequest',
            verbs: ['create'],
            ...{ group: 'authentication.k8s.io', version: 'v1' },
          });
        }
        return {
          status: 200,
          json: {
            kind: 'APIResourceList',
            apiVersion: 'v1',
            groupVersion: group === '' ? 'v1' : `${group}/v1`,
            resources,
          },
        };
      }),
    })),
    { method: 'POST', path: '/api/v1/namespaces/{ns}/serviceaccounts/{name}/token', handler: authed(tokenRequest) },
    { method: 'DELETE', path: '/api/v1/namespaces/{ns}/pods/{name}', handler: authed(deletePod) },
  ];
  for (const def of RESOURCES) {
    const base = prefixOf(def.group, def.version);
    if (def.namespaced) {
      routes.push(
        { method: 'GET', path: `${base}/${def.name}`, handler: authed(list(def)) },
        { method: 'GET', path: `${base}/namespaces/{ns}/${def.name}`, handler: authed(list(def)) },
        { method: 'GET', path: `${base}/namespaces/{ns}/${def.name}/{name}`, handler: authed(get(def)) },
      );
      if (def.verbs.includes('create'))
        routes.push({ method: 'POST', path: `${base}/namespaces/{ns}/${def.name}`, handler: authed(create(def)) });
      if (def.verbs.includes('patch'))
        routes.push({
          method: 'PATCH',
          path: `${base}/namespaces/{ns}/${def.name}/{name}`,
          handler: authed(patch(def)),
        });
      if (def.verbs.includes('update'))
        routes.push({
          method: 'PUT',
          path: `${base}/namespaces/{ns}/${def.name}/{name}`,
          handler: authed(replace(def)),
        });
    } else {
      routes.push(
        { method: 'GET', path: `${base}/${def.name}`, handler: authed(list(def)) },
        { method: 'GET', path: `${base}/${def.name}/{name}`, handler: authed(get(def)) },
      );
    }
  }
  return new RouteTable(routes, (req) =>
    kubeStatus(404, 'NotFound', `the server could not find the requested resource (${req.method} ${req.path})`, {
      causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }],
    }),
  );
}
