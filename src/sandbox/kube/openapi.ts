// OpenAPI for the kinds the sandbox serves, generated from the same type table as everything else
// (proto/messages.ts): v3 per group version (/openapi/v3 → /openapi/v3/apis/apps/v1?hash=…), which
// `kubectl explain` reads and `kubectl apply` checks for the fieldValidation parameter before it lets the
// server validate, and v2 (/openapi/v2) as JSON. Schemas name every field with its type, list merge keys
// (x-kubernetes-patch-merge-key) and the group-version-kind of each kind; descriptions are the sandbox's own
// and short.

import { createHash } from 'node:crypto';
import type { Route, SandboxRequest, SandboxResponse } from '../http/router.js';
import { isObject, type JsonObject } from './json.js';
import { MERGE_KEYS } from './patch.js';
import { message, openApiName, SPECIAL, type FieldDef, type MessageDef } from './proto/schema.js';
import { GROUPS, prefixOf, RESOURCES, type ResourceDef } from './resources.js';

/** Descriptions of kinds and of the fields Workload Identity turns on (`kubectl explain`). */
const KIND_DOCS: Record<string, string> = {
  Pod: 'A pod: one or more containers scheduled together on a node, sharing network and volumes.',
  ServiceAccount:
    'A Kubernetes service account: the identity of the pods that name it. On GKE, the annotation iam.gke.io/gcp-service-account names the Google service account it may impersonate through Workload Identity.',
  Namespace: 'A namespace: a scope for names, and the first part of a Workload Identity principal.',
  Node: 'A node of the cluster: a VM that runs pods.',
  Deployment: 'A Deployment runs replicas of a pod template through ReplicaSets and rolls out template changes.',
  ReplicaSet: 'A ReplicaSet keeps a number of pods of one template running.',
  DaemonSet: 'A DaemonSet runs one pod on each selected node.',
  StatefulSet: 'A StatefulSet runs pods with stable names and storage.',
  Job: 'A Job runs pods to completion.',
  CronJob: 'A CronJob creates Jobs on a schedule.',
  NetworkPolicy: 'A NetworkPolicy limits the traffic to and from the pods it selects.',
  Service: 'A Service gives a set of pods a stable address.',
  ConfigMap: 'A ConfigMap holds configuration data for pods.',
  Secret: 'A Secret holds sensitive data for pods.',
  Event: 'An event: something that happened to an object.',
  TokenRequest: 'A request for a token of a service account, for the audiences it names.',
  SelfSubjectAccessReview: 'Asks whether the caller may perform an action.',
  SelfSubjectRulesReview: 'Lists what the caller may do in a namespace.',
  SelfSubjectReview: 'Tells the caller who the API server thinks it is.',
  TokenReview: 'Checks a token and returns whom it authenticates.',
  Scale: 'The replica count of a scalable resource.',
};

const FIELD_DOCS: Record<string, string> = {
  apiVersion: 'The versioned schema of this object.',
  kind: 'The type of this object.',
  metadata: "The object's metadata: name, namespace, labels, annotations, owner references.",
  spec: 'The desired state.',
  status: 'The observed state, written by the system.',
  'meta.v1.ObjectMeta.annotations':
    'Unstructured key-value data; on a ServiceAccount, iam.gke.io/gcp-service-account names the Google service account for Workload Identity.',
  'meta.v1.ObjectMeta.labels': 'Key-value pairs that selectors match.',
  'meta.v1.ObjectMeta.name': 'The name, unique within its namespace.',
  'meta.v1.ObjectMeta.namespace': 'The namespace of the object.',
  'core.v1.PodSpec.serviceAccountName':
    'The service account the pod runs as; its tokens and, on GKE, its Google identity come from it. Default: `default`.',
  'core.v1.PodSpec.serviceAccount': 'Deprecated alias of serviceAccountName.',
  'core.v1.PodSpec.automountServiceAccountToken': "Whether the service account's token is mounted into the pod.",
  'core.v1.PodSpec.hostNetwork':
    "Run in the node's network namespace; on GKE such pods reach the node's metadata server, not the Workload Identity one.",
  'core.v1.PodSpec.nodeSelector': 'Labels a node must have to run the pod.',
  'core.v1.PodSpec.containers': 'The containers of the pod.',
  'core.v1.PodSpec.volumes': 'Volumes the containers can mount.',
  'core.v1.Container.image': 'The container image.',
  'core.v1.Container.env': 'Environment variables of the container.',
  'core.v1.ServiceAccount.automountServiceAccountToken':
    'Whether pods that use this service account get its token mounted by default.',
  'core.v1.ServiceAccountTokenProjection.audience':
    'The audience of the projected token; for Workload Identity federation, the workload identity pool provider.',
  'core.v1.ServiceAccountTokenProjection.expirationSeconds': 'How long the projected token is valid.',
  'apps.v1.DeploymentSpec.replicas': 'How many pods to run.',
  'apps.v1.DeploymentSpec.selector': 'The pods this Deployment manages.',
  'apps.v1.DeploymentSpec.template': 'The pod template; changing it rolls out new pods.',
  'networking.v1.NetworkPolicySpec.podSelector': 'The pods the policy applies to.',
  'networking.v1.NetworkPolicySpec.egress':
    'Allowed outgoing traffic; on GKE, pods need egress to the metadata server for Workload Identity.',
  'authentication.v1.TokenRequestSpec.audiences': 'The audiences the token is for.',
  'authentication.v1.TokenRequestSpec.expirationSeconds': 'How long the token is valid (at least 600 seconds).',
  'authentication.v1.TokenRequestSpec.boundObjectRef': 'The object (a pod) the token is bound to.',
};

interface Style {
  ref: (name: string) => string;
}

function scalarSchema(t: string): JsonObject {
  switch (t) {
    case 'string':
      return { type: 'string' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    case 'bool':
      return { type: 'boolean' };
    case 'int32':
    case 'uint32':
      return { type: 'integer', format: 'int32' };
    case 'int64':
    case 'uint64':
      return { type: 'integer', format: 'int64' };
    default:
      return { type: 'number', format: 'double' };
  }
}

function specialSchema(kind: string): JsonObject {
  switch (kind) {
    case 'time':
      return { type: 'string', format: 'date-time', description: 'A time, RFC 3339 at seconds precision.' };
    case 'microtime':
      return { type: 'string', format: 'date-time', description: 'A time, RFC 3339 at microseconds precision.' };
    case 'quantity':
      return { type: 'string', description: 'A quantity: a number with an optional suffix (100m, 1Gi).' };
    case 'intorstring':
      return { type: 'string', format: 'int-or-string', description: 'An integer or a string.' };
    case 'stringlist':
      return { type: 'array', items: { type: 'string', default: '' } };
    default:
      return { type: 'object', description: 'Any JSON object.' };
  }
}

function valueSchema(f: FieldDef, style: Style): JsonObject {
  if ('scalar' in f.type) return scalarSchema(f.type.scalar);
  const special = SPECIAL[f.type.message];
  if (special !== undefined && special !== 'stringlist') return { $ref: style.ref(openApiName(f.type.message)) };
  return { $ref: style.ref(openApiName(f.type.message)) };
}

function messageSchema(def: MessageDef, style: Style, gvk?: ResourceDef): JsonObject {
  const properties: JsonObject = {};
  if (gvk) {
    properties.apiVersion = { type: 'string', description: FIELD_DOCS.apiVersion };
    properties.kind = { type: 'string', description: FIELD_DOCS.kind };
  }
  for (const f of def.byJson.values()) {
    let s: JsonObject;
    const inner = valueSchema(f, style);
    if (f.map) s = { type: 'object', additionalProperties: inner };
    else if (f.repeated) {
      s = { type: 'array', items: inner };
      const key = MERGE_KEYS[`${f.owner}.${f.json}`];
      if (key !== undefined) {
        s['x-kubernetes-patch-strategy'] = 'merge';
        if (key !== '') s['x-kubernetes-patch-merge-key'] = key;
        else s['x-kubernetes-list-type'] = 'set';
      } else s['x-kubernetes-list-type'] = 'atomic';
    } else if ('$ref' in inner) s = { allOf: [inner] };
    else s = inner;
    const doc = FIELD_DOCS[`${f.owner}.${f.json}`] ?? (gvk ? FIELD_DOCS[f.json] : undefined);
    if (doc !== undefined) s.description = doc;
    properties[f.json] = s;
  }
  const out: JsonObject = { type: 'object', properties };
  if (gvk) {
    out.description = KIND_DOCS[gvk.kind] ?? '';
    out['x-kubernetes-group-version-kind'] = [{ group: gvk.group, kind: gvk.kind, version: gvk.version }];
  }
  if (def.name === 'core.v1.Container') out.required = ['name'];
  if (def.name === 'core.v1.PodSpec') out.required = ['containers'];
  if (def.name === 'apps.v1.DeploymentSpec' || def.name === 'apps.v1.ReplicaSetSpec') out.required = ['selector'];
  return out;
}

/** Every schema a set of kinds needs, by OpenAPI name. */
function schemasFor(kinds: ResourceDef[], style: Style): JsonObject {
  const schemas: JsonObject = {};
  const seen = new Set<string>();
  const visit = (name: string, gvk?: ResourceDef): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const special = SPECIAL[name];
    if (special !== undefined) {
      schemas[openApiName(name)] = specialSchema(special);
      return;
    }
    const def = message(name);
    if (!def) return;
    schemas[openApiName(name)] = messageSchema(def, style, gvk);
    for (const f of def.byJson.values()) if ('message' in f.type) visit(f.type.message);
  };
  for (const k of kinds) visit(`${k.group === '' ? 'core' : (k.group.split('.')[0] ?? '')}.${k.version}.${k.kind}`, k);
  for (const k of kinds)
    for (const sub of Object.values(k.subresources ?? {}))
      if (sub.kind === 'Scale')
        visit('autoscaling.v1.Scale', {
          name: 'scale',
          singular: '',
          kind: 'Scale',
          group: 'autoscaling',
          version: 'v1',
          namespaced: true,
          verbs: [],
        });
  visit('meta.v1.DeleteOptions');
  return schemas;
}

const QUERY = (name: string, description: string, type = 'string'): JsonObject => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const WRITE_PARAMS = [
  QUERY('dryRun', 'When present (All), the request is checked but nothing is stored.'),
  QUERY('fieldManager', 'The name of the actor making the change, for managedFields.'),
  QUERY('fieldValidation', 'Ignore, Warn (default) or Strict: what to do with unknown or duplicate fields.'),
];

function operation(def: ResourceDef, action: string, id: string, extra: JsonObject[] = [], body = false): JsonObject {
  const ref = `#/components/schemas/${openApiName(`${def.group === '' ? 'core' : (def.group.split('.')[0] ?? '')}.${def.version}.${def.kind}`)}`;
  const op: JsonObject = {
    description: `${action} ${def.kind}`,
    operationId: id,
    tags: [def.group === '' ? 'core_v1' : `${def.group.split('.')[0] ?? ''}_${def.version}`],
    parameters: extra,
    responses: {
      '200': { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } },
      '401': { description: 'Unauthorized' },
    },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, kind: def.kind, version: def.version },
  };
  if (body)
    op.requestBody = {
      content: { '*/*': { schema: action === 'patch' ? { type: 'object' } : { $ref: ref } } },
      required: true,
    };
  return op;
}

function pathsFor(kinds: ResourceDef[]): JsonObject {
  const paths: JsonObject = {};
  for (const def of kinds) {
    const base = prefixOf(def.group, def.version);
    const collection = def.namespaced ? `${base}/namespaces/{namespace}/${def.name}` : `${base}/${def.name}`;
    const name = `${def.kind}${def.group === '' ? '' : def.group.split('.')[0]?.replace(/^./, (c) => c.toUpperCase())}`;
    if (def.virtual) {
      paths[collection] = { post: operation(def, 'post', `create${name}`, WRITE_PARAMS, true) };
      continue;
    }
    paths[collection] = {
      get: operation(def, 'list', `list${name}`, [
        QUERY('labelSelector', 'A label selector.'),
        QUERY('fieldSelector', 'A field selector.'),
        QUERY('watch', 'Watch for changes.', 'boolean'),
      ]),
      post: operation(def, 'post', `create${name}`, WRITE_PARAMS, true),
      delete: operation(def, 'deletecollection', `deleteCollection${name}`),
    };
    paths[`${collection}/{name}`] = {
      get: operation(def, 'get', `read${name}`),
      put: operation(def, 'put', `replace${name}`, WRITE_PARAMS, true),
      patch: operation(
        def,
        'patch',
        `patch${name}`,
        [...WRITE_PARAMS, QUERY('force', 'Force an apply over conflicts.', 'boolean')],
        true,
      ),
      delete: operation(def, 'delete', `delete${name}`, [QUERY('dryRun', 'When present (All), nothing is deleted.')]),
      parameters: [
        {
          name: 'name',
          in: 'path',
          required: true,
          description: 'name of the object',
          schema: { type: 'string', uniqueItems: true },
        },
        ...(def.namespaced
          ? [
              {
                name: 'namespace',
                in: 'path',
                required: true,
                description: 'object name and auth scope',
                schema: { type: 'string', uniqueItems: true },
              },
            ]
          : []),
      ],
    };
  }
  return paths;
}

function groupVersions(): { path: string; group: string; kinds: ResourceDef[] }[] {
  return ['', ...GROUPS].map((group) => ({
    path: group === '' ? 'api/v1' : `apis/${group}/v1`,
    group,
    kinds: RESOURCES.filter((r) => r.group === group),
  }));
}

const cacheV3 = new Map<string, { text: string; hash: string }>();

function v3Document(path: string, kinds: ResourceDef[]): { text: string; hash: string } {
  const cached = cacheV3.get(path);
  if (cached) return cached;
  const doc = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32' },
    paths: pathsFor(kinds),
    components: { schemas: schemasFor(kinds, { ref: (n) => `#/components/schemas/${n}` }) },
  };
  const text = JSON.stringify(doc);
  const entry = { text, hash: createHash('sha512').update(text).digest('hex').toUpperCase().slice(0, 128) };
  cacheV3.set(path, entry);
  return entry;
}

let cacheV2: string | undefined;

function v2Document(): string {
  if (cacheV2 !== undefined) return cacheV2;
  const all = RESOURCES;
  const definitions = schemasFor(all, { ref: (n) => `#/definitions/${n}` });
  // v2 has no allOf-wrapped references in kubectl's reader; a plain $ref keeps it simple.
  const unwrap = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(unwrap);
    if (!isObject(v)) return v;
    if (Array.isArray(v.allOf) && v.allOf.length === 1) {
      const { allOf, ...rest } = v;
      return { ...rest, ...(allOf[0] as JsonObject) };
    }
    const out: JsonObject = {};
    for (const [k, val] of Object.entries(v)) out[k] = unwrap(val);
    return out;
  };
  const paths: JsonObject = {};
  for (const [p, ops] of Object.entries(pathsFor(all))) {
    const converted: JsonObject = {};
    for (const [method, op] of Object.entries(ops as JsonObject)) {
      if (method === 'parameters') {
        converted.parameters = (op as JsonObject[]).map((x) => ({ ...x, type: 'string', schema: undefined }));
        continue;
      }
      const o = op as JsonObject;
      converted[method] = {
        ...o,
        parameters: ((o.parameters ?? []) as JsonObject[]).map((x) => ({
          name: x.name,
          in: x.in,
          description: x.description,
          type: 'string',
          uniqueItems: true,
        })),
        responses: { '200': { description: 'OK' }, '401': { description: 'Unauthorized' } },
        requestBody: undefined,
        consumes: ['*/*'],
        produces: ['application/json'],
        schemes: ['https'],
      };
    }
    paths[p] = converted;
  }
  cacheV2 = JSON.stringify({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32' },
    paths,
    definitions: unwrap(definitions),
  });
  return cacheV2;
}

function wantsJson(req: SandboxRequest): boolean {
  const accept = req.headers.accept ?? '';
  return accept === '' || /application\/json|\*\/\*/.test(accept);
}

export function openApiRoutes(
  authed: (h: (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>) => Route['handler'],
): Route[] {
  return [
    {
      method: 'GET',
      path: '/openapi/v3',
      handler: authed(() => {
        const paths: JsonObject = {};
        for (const gv of groupVersions())
          paths[gv.path] = { serverRelativeURL: `/openapi/v3/${gv.path}?hash=${v3Document(gv.path, gv.kinds).hash}` };
        return { status: 200, json: { paths } };
      }),
    },
    {
      method: 'GET',
      path: '/openapi/v3/{gv=**}',
      handler: authed((req): SandboxResponse => {
        const gv = groupVersions().find((g) => g.path === req.params.gv);
        if (!gv)
          return {
            status: 404,
            text: '404 page not found\n',
            headers: { 'Content-Type': 'text/plain; charset=utf-8' },
          };
        const doc = v3Document(gv.path, gv.kinds);
        return {
          status: 200,
          text: doc.text,
          headers: {
            'Content-Type': 'application/json',
            Etag: `"${doc.hash}"`,
            'Cache-Control': req.query.has('hash') ? 'public, immutable' : 'no-cache, private',
          },
        };
      }),
    },
    {
      method: 'GET',
      path: '/openapi/v2',
      handler: authed((req) => {
        if (!wantsJson(req))
          return {
            status: 406,
            text: 'the sandbox serves /openapi/v2 as JSON only; kubectl reads /openapi/v3\n',
            headers: { 'Content-Type': 'text/plain; charset=utf-8' },
          };
        return { status: 200, text: v2Document(), headers: { 'Content-Type': 'application/json' } };
      }),
    },
  ];
}
