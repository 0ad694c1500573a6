// JSON Schema of a scenario file. Closed objects everywhere: a misspelt key is an error, not a silent default.

const str = { type: 'string', minLength: 1 } as const;
const strMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const strList = { type: 'array', items: str } as const;
const time = {
  type: 'string',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$',
} as const;

function closed(properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, properties, required };
}

const binding = closed(
  {
    role: str,
    members: strList,
    condition: closed({ expression: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' } }, [
      'expression',
    ]),
  },
  ['role'],
);

const auditConfig = closed(
  {
    service: str,
    auditLogConfigs: {
      type: 'array',
      items: closed(
        {
          logType: { enum: ['ADMIN_READ', 'DATA_READ', 'DATA_WRITE', 'LOG_TYPE_UNSPECIFIED'] },
          exemptedMembers: strList,
        },
        ['logType'],
      ),
    },
  },
  ['service'],
);

const policy = closed({
  version: { enum: [1, 3] },
  bindings: { type: 'array', items: binding },
  auditConfigs: { type: 'array', items: auditConfig },
});

const pod = {
  name: str,
  serviceAccountName: str,
  node: str,
  hostNetwork: { type: 'boolean' },
  labels: strMap,
  annotations: strMap,
  env: strMap,
  command: { type: 'array', items: { type: 'string' } },
  args: { type: 'array', items: { type: 'string' } },
  startedAt: time,
};

const { startedAt: _startedAt, ...podOfWorkload } = pod;

export const scenarioSchema = closed(
  {
    name: { type: 'string' },
    description: { type: 'string' },
    seed: { type: 'integer' },
    organization: closed(
      { id: { type: 'string', pattern: '^[0-9]{1,20}$' }, displayName: { type: 'string' }, policy },
      ['id'],
    ),
    folders: {
      type: 'array',
      items: closed(
        {
          id: { type: 'string', pattern: '^[0-9]{1,20}$' },
          displayName: { type: 'string' },
          parent: { type: 'string', pattern: '^(folders|organizations)/[0-9]+$' },
          policy,
        },
        ['id', 'parent'],
      ),
    },
    projects: {
      type: 'array',
      minItems: 1,
      items: closed(
        {
          id: { type: 'string', pattern: '^[a-z][-a-z0-9]{4,28}[a-z0-9]$' },
          number: { type: 'string', pattern: '^[0-9]{6,20}$' },
          services: strList,
          disabledServices: strList,
          policy,
          serviceAccounts: {
            type: 'array',
            items: closed(
              {
                name: str,
                displayName: { type: 'string' },
                description: { type: 'string' },
                disabled: { type: 'boolean' },
                deleted: { type: 'boolean' },
                uniqueId: { type: 'string', pattern: '^[0-9]{1,21}$' },
                keys: {
                  type: 'array',
                  items: closed({
                    id: str,
                    type: { enum: ['USER_MANAGED', 'SYSTEM_MANAGED'] },
                    validAfterTime: str,
                    disabled: { type: 'boolean' },
                  }),
                },
                policy,
                lastAuthenticatedTime: time,
              },
              ['name'],
            ),
          },
          customRoles: {
            type: 'array',
            items: closed({ id: str, title: { type: 'string' }, permissions: strList, deleted: { type: 'boolean' } }, [
              'id',
              'permissions',
            ]),
          },
          buckets: { type: 'array', items: closed({ name: str, policy }, ['name']) },
          parent: { type: 'string', pattern: '^(folders|organizations)/[0-9]+$' },
          firewallRules: {
            type: 'array',
            items: closed(
              {
                name: { type: 'string', pattern: '^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$' },
                direction: { enum: ['INGRESS', 'EGRESS'] },
                priority: { type: 'integer', minimum: 0, maximum: 65535 },
                network: str,
                sourceRanges: strList,
                destinationRanges: strList,
                allowed: { type: 'array', items: closed({ IPProtocol: str, ports: strList }, ['IPProtocol']) },
                denied: { type: 'array', items: closed({ IPProtocol: str, ports: strList }, ['IPProtocol']) },
                targetTags: strList,
                disabled: { type: 'boolean' },
                description: { type: 'string' },
              },
              ['name'],
            ),
          },
        },
        ['id', 'number'],
      ),
    },
    clusters: {
      type: 'array',
      items: closed(
        {
          project: str,
          location: str,
          name: str,
          workloadPool: { type: ['string', 'null'] },
          autopilot: { type: 'boolean' },
          datapath: { enum: ['ADVANCED_DATAPATH', 'LEGACY_DATAPATH'] },
          networkPolicy: { type: 'boolean' },
          version: str,
          nodePools: {
            type: 'array',
            items: closed(
              {
                name: str,
                mode: { enum: ['GKE_METADATA', 'GCE_METADATA', 'MODE_UNSPECIFIED', 'CONCEALED', 'ABSENT'] },
                serviceAccount: str,
                nodeCount: { type: 'integer', minimum: 0, maximum: 100 },
              },
              ['name'],
            ),
          },
          nodes: {
            type: 'array',
            items: closed({ name: str, pool: str, metadataServer: { enum: ['healthy', 'unhealthy', 'down'] } }, [
              'pool',
            ]),
          },
          namespaces: {
            type: 'array',
            items: closed(
              {
                name: str,
                labels: strMap,
                serviceAccounts: {
                  type: 'array',
                  items: closed(
                    {
                      name: str,
                      annotations: strMap,
                      labels: strMap,
                      uid: str,
                      createdAt: time,
                      annotatedAt: time,
                    },
                    ['name'],
                  ),
                },
                workloads: {
                  type: 'array',
                  items: closed(
                    {
                      ...pod,
                      kind: { enum: ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicaSet'] },
                      replicas: { type: 'integer', minimum: 0, maximum: 1000 },
                      // A workload's pods share its startedAt.
                      pods: { type: 'array', items: closed(podOfWorkload) },
                    },
                    ['kind', 'name'],
                  ),
                },
                pods: { type: 'array', items: closed(pod, ['name']) },
                networkPolicies: {
                  type: 'array',
                  items: closed({ name: str, spec: { type: 'object' } }, ['name', 'spec']),
                },
              },
              ['name'],
            ),
          },
        },
        ['project', 'location', 'name'],
      ),
    },
    callers: {
      type: 'array',
      items: closed({ token: str, identity: str, owner: { type: 'boolean' }, scopes: strList, refreshToken: str }, [
        'token',
        'identity',
      ]),
    },
    faults: closed({
      seed: { type: 'integer' },
      iamPropagationDelaySeconds: { type: 'number', minimum: 0 },
      activityLagSeconds: { type: 'number', minimum: 0 },
      rules: {
        type: 'array',
        items: closed(
          {
            api: {
              enum: [
                '*',
                'iam',
                'iamcredentials',
                'sts',
                'container',
                'cloudresourcemanager',
                'serviceusage',
                'logging',
                'storage',
                'oauth2',
                'compute',
                'cloudasset',
                'policyanalyzer',
                'kubernetes',
                'metadata',
              ],
            },
            path: str,
            latencyMs: { type: 'integer', minimum: 0 },
            errorRate: { type: 'number', minimum: 0, maximum: 1 },
            status: { enum: [429, 503] },
            retryAfterSeconds: { type: 'integer', minimum: 0 },
            timeoutRate: { type: 'number', minimum: 0, maximum: 1 },
          },
          ['api'],
        ),
      },
    }),
  },
  ['projects'],
);
