// JSON Schemas of the API answers a bundle holds (and the live collector receives), limited to the fields the
// facts and checks read: exactly the fields typed in src/model/gcp.ts and src/model/k8s/types.ts, with the
// same types and the same required fields. Unknown fields are allowed and never looked at. What each shape
// is and where the API documents it: docs/api-shapes.md.
//
// Kept in step with the TypeScript types by test/collect/schemas.test.ts; a field a check starts to read
// belongs in both.

/** A JSON Schema (the subset written here). */
export type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const int: Schema = { type: 'integer' };
const num: Schema = { type: 'number' };
/**
 * RFC 3339, as both APIs write times, on the fields checks compare as times. Every string this pattern takes
 * is a date JavaScript parses (a leap second `:60` is not): `new Date(value)` is never NaN.
 */
export const RFC3339_PATTERN =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])[Tt ]([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,9})?([Zz]|[+-]([01]\\d|2[0-3]):[0-5]\\d)$';
const time: Schema = { type: 'string', pattern: RFC3339_PATTERN };
const strArr: Schema = { type: 'array', items: str };
const strMap: Schema = { type: 'object', additionalProperties: str };
const anyObject: Schema = { type: 'object' };

/**
 * Every schema that is validated on its own, and every piece used in several places (a pod spec in pods and
 * in every workload template), is named: compiled once (at build time: scripts/build-validators.mjs) and
 * referenced as `{"$ref": "wi-doctor:NAME"}`. Compiling is most of the boundary's cost.
 */
export const namedSchemas: Schema[] = [];
export const SCHEMA_ID_PREFIX = 'wi-doctor:';
function named(name: string, schema: Schema): Schema {
  const $id = `${SCHEMA_ID_PREFIX}${name}`;
  namedSchemas.push({ $id, ...schema });
  return { $ref: $id };
}

/** An object with these properties (more are allowed), `required` naming those that must be there. */
function obj(properties: Record<string, Schema>, required: readonly string[] = []): Schema {
  return required.length > 0 ? { type: 'object', properties, required } : { type: 'object', properties };
}
const arr = (items: Schema): Schema => ({ type: 'array', items });

// ---- Google Cloud (src/model/gcp.ts)

const expr = obj({ expression: str, title: str, description: str }, ['expression']);
const binding = obj({ role: str, members: strArr, condition: expr }, ['role']);
const auditConfig = obj({ service: str, auditLogConfigs: arr(obj({ logType: str, exemptedMembers: strArr })) }, [
  'service',
]);

export const policySchema = named(
  'policy',
  obj({ version: int, etag: str, bindings: arr(binding), auditConfigs: arr(auditConfig) }),
);

export const serviceAccountSchema = named(
  'serviceAccount',
  obj(
    {
      name: str,
      projectId: str,
      uniqueId: str,
      email: str,
      displayName: str,
      description: str,
      oauth2ClientId: str,
      etag: str,
      disabled: bool,
    },
    ['email'],
  ),
);

export const serviceAccountKeySchema = named(
  'serviceAccountKey',
  obj(
    {
      name: str,
      keyType: str,
      keyOrigin: str,
      keyAlgorithm: str,
      validAfterTime: str,
      validBeforeTime: str,
      disabled: bool,
    },
    ['name'],
  ),
);

export const customRoleSchema = named(
  'customRole',
  obj({ name: str, title: str, description: str, includedPermissions: strArr, stage: str, etag: str, deleted: bool }, [
    'name',
  ]),
);

export const projectSchema = named(
  'project',
  obj({ projectId: str, projectNumber: str, name: str, lifecycleState: str, parent: obj({ type: str, id: str }) }, [
    'projectId',
    'projectNumber',
  ]),
);

export const serviceStateSchema = named(
  'serviceState',
  obj({ name: str, config: obj({ name: str, title: str }), state: str }, ['name']),
);

const nodeConfig = obj({
  serviceAccount: str,
  workloadMetadataConfig: obj({ mode: str }),
  labels: strMap,
});

const nodePool = obj({ name: str, config: nodeConfig, status: str, version: str, locations: strArr }, ['name']);

export const clusterSchema = named(
  'cluster',
  obj(
    {
      name: str,
      location: str,
      zone: str,
      selfLink: str,
      locations: strArr,
      status: str,
      currentMasterVersion: str,
      workloadIdentityConfig: obj({ workloadPool: str }),
      autopilot: obj({ enabled: bool }),
      networkConfig: obj({ datapathProvider: str }),
      networkPolicy: obj({ provider: str, enabled: bool }),
      fleet: obj({ project: str, membership: str }),
      nodePools: arr(nodePool),
      nodeConfig,
    },
    ['name'],
  ),
);

export const logEntrySchema = named(
  'logEntry',
  obj({
    logName: str,
    // Compared as a time (who changed what when, tokens minted within a window).
    timestamp: time,
    receiveTimestamp: str,
    severity: str,
    insertId: str,
    resource: obj({ type: str, labels: strMap }),
    protoPayload: obj({
      '@type': str,
      serviceName: str,
      methodName: str,
      resourceName: str,
      authenticationInfo: obj({ principalEmail: str, principalSubject: str }),
      requestMetadata: obj({ callerIp: str, callerSuppliedUserAgent: str }),
      status: obj({ code: num, message: str }),
      // Only the account a call names: a request's other fields (a whole policy, a key) are never read or kept.
      request: obj({ name: str }),
      // Security Token Service: the federated principal a Kubernetes token was exchanged for.
      metadata: obj({ mapped_principal: str, mappedPrincipal: str }),
      serviceData: obj({
        policyDelta: obj({
          bindingDeltas: arr(
            obj({ action: str, role: str, member: str, condition: obj({ expression: str, title: str }) }),
          ),
        }),
      }),
    }),
  }),
);

/**
 * One Policy Analyzer `serviceAccountLastAuthentication` activity (`activities:query`, `gcloud
 * policy-intelligence query-activity`). Times are compared, so they must be RFC 3339.
 */
export const serviceAccountActivitySchema = named(
  'serviceAccountActivity',
  obj({
    fullResourceName: str,
    activityType: str,
    observationPeriod: obj({ startTime: time, endTime: time }),
    activity: obj({
      lastAuthenticatedTime: time,
      serviceAccount: obj({ serviceAccountId: str, projectNumber: str, fullResourceName: str }),
    }),
  }),
);

/** One entry of bundle.json's `logQueries`: the query behind a `gcp/logs/` file and the window it covers. */
export const logQuerySchema = named(
  'logQuery',
  obj(
    {
      file: str,
      filter: str,
      resourceNames: strArr,
      since: time,
      until: time,
      complete: bool,
      serviceAccounts: strArr,
    },
    ['file', 'filter', 'since', 'until', 'complete'],
  ),
);

/** `gcp/resources/ANY.json`: a resource's full name and its policy. */
export const resourcePolicySchema = named(
  'resourcePolicy',
  obj({ resource: str, policy: policySchema }, ['resource', 'policy']),
);

// ---- Kubernetes (src/model/k8s/types.ts)

const ownerReference = obj({ apiVersion: str, kind: str, name: str, uid: str, controller: bool }, ['kind', 'name']);

const managedFieldsEntry = obj({
  manager: str,
  operation: str,
  apiVersion: str,
  time,
  fieldsType: str,
  fieldsV1: anyObject,
  subresource: str,
});

const metadataProperties = {
  name: str,
  namespace: str,
  uid: str,
  resourceVersion: str,
  creationTimestamp: str,
  labels: strMap,
  annotations: strMap,
  ownerReferences: arr(ownerReference),
  managedFields: arr(managedFieldsEntry),
};
const objectMeta = named('objectMeta', obj(metadataProperties, ['name']));
/** A pod template's metadata: no name. */
const templateMeta = obj(metadataProperties);

const labelSelector = obj({
  matchLabels: strMap,
  matchExpressions: arr(obj({ key: str, operator: str, values: strArr }, ['key', 'operator'])),
});

const refName = obj({ name: str });
const keyRef = obj({ name: str, key: str });
const envVar = obj(
  {
    name: str,
    value: str,
    valueFrom: obj({ secretKeyRef: keyRef, configMapKeyRef: keyRef, fieldRef: obj({ fieldPath: str }) }),
  },
  ['name'],
);
const keyToPath = obj({ key: str, path: str }, ['key', 'path']);

const container = named(
  'container',
  obj(
    {
      name: str,
      image: str,
      env: arr(envVar),
      envFrom: arr(obj({ secretRef: refName, configMapRef: refName })),
      volumeMounts: arr(obj({ name: str, mountPath: str, subPath: str, readOnly: bool }, ['name', 'mountPath'])),
      ports: arr(obj({ name: str, containerPort: num, protocol: str }, ['containerPort'])),
    },
    ['name'],
  ),
);

const volume = obj(
  {
    name: str,
    secret: obj({ secretName: str, items: arr(keyToPath) }),
    projected: obj({
      sources: arr(
        obj({
          serviceAccountToken: obj({ audience: str, expirationSeconds: num, path: str }, ['path']),
          secret: obj({ name: str, items: arr(keyToPath) }),
          configMap: refName,
        }),
      ),
    }),
    configMap: refName,
  },
  ['name'],
);

const podSpec = named(
  'podSpec',
  obj(
    {
      serviceAccountName: str,
      serviceAccount: str,
      automountServiceAccountToken: bool,
      nodeName: str,
      nodeSelector: strMap,
      hostNetwork: bool,
      containers: arr(container),
      initContainers: arr(container),
      volumes: arr(volume),
      tolerations: { type: 'array' },
    },
    ['containers'],
  ),
);

const podTemplate = obj({ metadata: templateMeta, spec: podSpec }, ['spec']);

const containerState = obj({
  running: obj({ startedAt: str }),
  waiting: obj({ reason: str, message: str }),
  terminated: obj({ reason: str, exitCode: num, finishedAt: str }),
});
const condition = obj({ type: str, status: str, lastTransitionTime: str }, ['type', 'status']);

const kobject = (extra: Record<string, Schema>, required: readonly string[] = []): Schema =>
  obj({ apiVersion: str, kind: str, metadata: objectMeta, ...extra }, ['metadata', ...required]);

const workload = named(
  'workload',
  kobject({
    spec: obj({
      selector: labelSelector,
      replicas: num,
      template: podTemplate,
      jobTemplate: obj({ spec: obj({ template: podTemplate }) }),
    }),
    status: anyObject,
  }),
);

const networkPolicyPeer = obj({
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: obj({ cidr: str, except: strArr }, ['cidr']),
});
const networkPolicyPort = obj({ protocol: str, port: { type: ['number', 'string'] }, endPort: num });

/** One schema per Kubernetes kind, by the plural resource name (`K8S_KINDS`). */
const k8sKindSchemas: Record<string, Schema> = {
  namespaces: kobject({ status: obj({ phase: str }) }),
  serviceaccounts: kobject({ secrets: arr(obj({ name: str }, ['name'])), automountServiceAccountToken: bool }),
  pods: kobject(
    {
      spec: podSpec,
      status: obj({
        phase: str,
        startTime: time,
        podIP: str,
        hostIP: str,
        conditions: arr(condition),
        containerStatuses: arr(
          obj(
            {
              name: str,
              ready: bool,
              restartCount: num,
              started: bool,
              state: containerState,
              lastState: containerState,
            },
            ['name'],
          ),
        ),
      }),
    },
    ['spec'],
  ),
  deployments: workload,
  statefulsets: workload,
  daemonsets: workload,
  replicasets: workload,
  jobs: workload,
  cronjobs: workload,
  nodes: kobject({
    spec: obj({ unschedulable: bool, providerID: str }),
    status: obj({ conditions: arr(obj({ type: str, status: str }, ['type', 'status'])) }),
  }),
  networkpolicies: kobject(
    {
      spec: obj(
        {
          podSelector: labelSelector,
          policyTypes: strArr,
          egress: arr(obj({ to: arr(networkPolicyPeer), ports: arr(networkPolicyPort) })),
          ingress: arr(obj({ from: arr(networkPolicyPeer), ports: arr(networkPolicyPort) })),
        },
        ['podSelector'],
      ),
    },
    ['spec'],
  ),
};

export const k8sSchemas: Record<string, Schema> = Object.fromEntries(
  Object.entries(k8sKindSchemas).map(([kind, schema]) => [kind, schema.$ref ? schema : named(`k8s-${kind}`, schema)]),
);

// ---- wi-doctor's own files

export const e2eResultSchema = named(
  'e2eResult',
  obj(
    {
      subject: str,
      gsa: str,
      at: str,
      steps: arr(
        obj(
          {
            step: { enum: ['token-request', 'sts-exchange', 'generate-access-token'] },
            ok: bool,
            status: num,
            error: str,
            code: str,
            ms: num,
          },
          ['step', 'ok'],
        ),
      ),
    },
    ['subject', 'steps'],
  ),
);

const fixAction = obj(
  {
    action: str,
    target: str,
    params: strMap,
    description: str,
    gcloud: { type: ['string', 'null'] },
    kubectl: { type: ['string', 'null'] },
    terraform: { type: ['string', 'null'] },
  },
  ['action', 'target', 'description'],
);

/** One result of a probe report (`wi-doctor probe --format json`), as the report shows it. */
export const probeResultSchema = named(
  'probeResult',
  obj(
    {
      check: str,
      status: { enum: ['pass', 'fail', 'warn', 'unknown', 'skip'] },
      subject: str,
      title: str,
      cause: str,
      evidence: obj({ notes: strArr }),
      fix: arr(fixAction),
      docs: str,
      missing: strArr,
      location: str,
    },
    ['check', 'status', 'subject', 'title'],
  ),
);
