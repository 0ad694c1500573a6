// The schemas of the validation boundary and the TypeScript types the checks read must name the same fields:
// a field typed for the checks but missing from its schema would reach them unvalidated (and be dropped by
// collect's allowlist); one in the schema but not typed is read by nothing. Each list below is
// `Record<keyof Type, true>`, so adding a field to a type fails to compile here until it is listed, and then
// this test fails until the schema has it. Also: the precompiled validators (npm run build) agree with the ones
// compiled at run time.

import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Schema } from '../../src/collect/bundle/schemas.js';
import {
  clusterSchema,
  k8sSchemas,
  namedSchemas,
  policySchema,
  projectSchema,
  serviceAccountKeySchema,
  serviceAccountSchema,
  serviceStateSchema,
  customRoleSchema,
  logEntrySchema,
  logQuerySchema,
  serviceAccountActivitySchema,
} from '../../src/collect/bundle/schemas.js';
import { AJV_OPTIONS, createAjv } from '../../src/collect/bundle/validate.js';
import { precompiledValidatorsCode } from '../../src/collect/bundle/validators-build.js';
import type {
  Binding,
  CustomRole,
  GkeCluster,
  NodePool,
  Policy,
  Project,
  LogEntry,
  ServiceAccount,
  ServiceAccountActivity,
  ServiceAccountKey,
  ServiceState,
} from '../../src/model/gcp.js';
import type { LogQuery } from '../../src/model/facts.js';
import type {
  Container,
  EnvVar,
  NetworkPolicy,
  ObjectMeta,
  OwnerReference,
  Pod,
  PodSpec,
  Volume,
  Workload,
} from '../../src/model/k8s/types.js';
import { loadExampleFiles } from '../fixtures/load-example.js';

const byId = new Map(namedSchemas.map((s) => [String(s.$id), s]));
const resolve = (s: Schema): Schema => (typeof s.$ref === 'string' ? (byId.get(s.$ref) ?? s) : s);

/** The property names of the object schema at `path` (through arrays and references). */
function propertiesAt(schema: Schema, path: readonly string[] = []): string[] {
  let s = resolve(schema);
  for (const step of path) {
    if (s.type === 'array') s = resolve(s.items as Schema);
    s = resolve((s.properties as Record<string, Schema>)[step] ?? {});
    if (s.type === 'array') s = resolve(s.items as Schema);
  }
  return Object.keys((s.properties as Record<string, Schema> | undefined) ?? {}).sort();
}

const keys = (record: Record<string, true>) => Object.keys(record).sort();

const SERVICE_ACCOUNT: Record<keyof ServiceAccount, true> = {
  name: true,
  projectId: true,
  uniqueId: true,
  email: true,
  displayName: true,
  description: true,
  oauth2ClientId: true,
  etag: true,
  disabled: true,
};
const KEY: Record<keyof ServiceAccountKey, true> = {
  name: true,
  keyType: true,
  keyOrigin: true,
  keyAlgorithm: true,
  validAfterTime: true,
  validBeforeTime: true,
  disabled: true,
};
const ROLE: Record<keyof CustomRole, true> = {
  name: true,
  title: true,
  description: true,
  includedPermissions: true,
  stage: true,
  etag: true,
  deleted: true,
};
const PROJECT: Record<keyof Project, true> = {
  projectId: true,
  projectNumber: true,
  name: true,
  lifecycleState: true,
  parent: true,
};
const SERVICE: Record<keyof ServiceState, true> = { name: true, config: true, state: true };
const POLICY: Record<keyof Policy, true> = { version: true, etag: true, bindings: true, auditConfigs: true };
const BINDING: Record<keyof Binding, true> = { role: true, members: true, condition: true };
const CLUSTER: Record<keyof GkeCluster, true> = {
  name: true,
  location: true,
  zone: true,
  selfLink: true,
  locations: true,
  status: true,
  currentMasterVersion: true,
  workloadIdentityConfig: true,
  autopilot: true,
  networkConfig: true,
  networkPolicy: true,
  fleet: true,
  nodePools: true,
  nodeConfig: true,
};
const NODE_POOL: Record<keyof NodePool, true> = {
  name: true,
  config: true,
  status: true,
  version: true,
  locations: true,
};
const META: Record<keyof ObjectMeta, true> = {
  name: true,
  namespace: true,
  uid: true,
  resourceVersion: true,
  creationTimestamp: true,
  labels: true,
  annotations: true,
  ownerReferences: true,
  managedFields: true,
};
const OWNER: Record<keyof OwnerReference, true> = {
  apiVersion: true,
  kind: true,
  name: true,
  uid: true,
  controller: true,
};
const POD: Record<keyof Pod, true> = { apiVersion: true, kind: true, metadata: true, spec: true, status: true };
const POD_STATUS: Record<keyof NonNullable<Pod['status']>, true> = {
  phase: true,
  startTime: true,
  podIP: true,
  hostIP: true,
  conditions: true,
  containerStatuses: true,
};
// `affinity` is typed `unknown` and read by nothing: the schema leaves it out (and collect drops it).
const POD_SPEC: Record<Exclude<keyof PodSpec, 'affinity'>, true> = {
  serviceAccountName: true,
  serviceAccount: true,
  automountServiceAccountToken: true,
  nodeName: true,
  nodeSelector: true,
  hostNetwork: true,
  containers: true,
  initContainers: true,
  volumes: true,
  tolerations: true,
};
const CONTAINER: Record<keyof Container, true> = {
  name: true,
  image: true,
  env: true,
  envFrom: true,
  volumeMounts: true,
  ports: true,
};
const ENV: Record<keyof EnvVar, true> = { name: true, value: true, valueFrom: true };
const VOLUME: Record<keyof Volume, true> = { name: true, secret: true, projected: true, configMap: true };
const WORKLOAD_SPEC: Record<keyof NonNullable<Workload['spec']>, true> = {
  selector: true,
  replicas: true,
  template: true,
  jobTemplate: true,
};
const NETPOL_SPEC: Record<keyof NetworkPolicy['spec'], true> = {
  podSelector: true,
  policyTypes: true,
  egress: true,
  ingress: true,
};

const ACTIVITY: Record<keyof ServiceAccountActivity, true> = {
  fullResourceName: true,
  activityType: true,
  observationPeriod: true,
  activity: true,
};
const LOG_QUERY: Record<keyof LogQuery, true> = {
  file: true,
  filter: true,
  resourceNames: true,
  since: true,
  until: true,
  complete: true,
  serviceAccounts: true,
};
const LOG_ENTRY: Record<keyof LogEntry, true> = {
  logName: true,
  timestamp: true,
  receiveTimestamp: true,
  severity: true,
  insertId: true,
  resource: true,
  protoPayload: true,
};
// `response` is typed `unknown` and read by nothing: the schema leaves it out (and collect drops it). Of
// `request`, `metadata` and `serviceData` (typed `unknown`, read field by field in src/model/audit-log.ts), the
// schema names the fields read.
const PROTO_PAYLOAD: Record<Exclude<keyof NonNullable<LogEntry['protoPayload']>, 'response'>, true> = {
  '@type': true,
  serviceName: true,
  methodName: true,
  resourceName: true,
  authenticationInfo: true,
  requestMetadata: true,
  status: true,
  request: true,
  metadata: true,
  serviceData: true,
};

describe('schemas name exactly the fields the types give the checks', () => {
  it.each([
    ['ServiceAccount', serviceAccountSchema, [], SERVICE_ACCOUNT],
    ['ServiceAccountKey', serviceAccountKeySchema, [], KEY],
    ['CustomRole', customRoleSchema, [], ROLE],
    ['Project', projectSchema, [], PROJECT],
    ['ServiceState', serviceStateSchema, [], SERVICE],
    ['Policy', policySchema, [], POLICY],
    ['Binding', policySchema, ['bindings'], BINDING],
    ['GkeCluster', clusterSchema, [], CLUSTER],
    ['NodePool', clusterSchema, ['nodePools'], NODE_POOL],
    ['ObjectMeta', k8sSchemas.pods ?? {}, ['metadata'], META],
    ['OwnerReference', k8sSchemas.pods ?? {}, ['metadata', 'ownerReferences'], OWNER],
    ['Pod', k8sSchemas.pods ?? {}, [], POD],
    ['Pod status', k8sSchemas.pods ?? {}, ['status'], POD_STATUS],
    ['PodSpec', k8sSchemas.pods ?? {}, ['spec'], POD_SPEC],
    ['Container', k8sSchemas.pods ?? {}, ['spec', 'containers'], CONTAINER],
    ['EnvVar', k8sSchemas.pods ?? {}, ['spec', 'containers', 'env'], ENV],
    ['Volume', k8sSchemas.pods ?? {}, ['spec', 'volumes'], VOLUME],
    ['Workload spec', k8sSchemas.deployments ?? {}, ['spec'], WORKLOAD_SPEC],
    ['NetworkPolicy spec', k8sSchemas.networkpolicies ?? {}, ['spec'], NETPOL_SPEC],
    ['ServiceAccountActivity', serviceAccountActivitySchema, [], ACTIVITY],
    ['LogQuery', logQuerySchema, [], LOG_QUERY],
    ['LogEntry', logEntrySchema, [], LOG_ENTRY],
    ['LogEntry protoPayload', logEntrySchema, ['protoPayload'], PROTO_PAYLOAD],
  ] as const)('%s', (_name, schema, path, fields) => {
    expect(propertiesAt(schema, path)).toEqual(keys(fields));
  });
});

/** Booleans and numbers as strings, strings as their length: every typed field of the wrong type. */
function swapped(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(swapped);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swapped(v)]));
  }
  if (typeof value === 'string') return value.length;
  return typeof value === 'boolean' || typeof value === 'number' ? String(value) : value;
}

describe('precompiled validators', () => {
  it('agree with the run-time ones on every example file and on broken copies of them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-validators-'));
    try {
      const file = join(dir, 'validators.cjs');
      writeFileSync(file, precompiledValidatorsCode());
      const precompiled = createRequire(import.meta.url)(file) as Record<string, (v: unknown) => boolean>;
      const runtime = createAjv(AJV_OPTIONS.runtime);
      const input = loadExampleFiles('multi-team');
      const samples: unknown[] = [];
      for (const entry of input.files.values()) {
        if (!('json' in entry) || typeof entry.json !== 'object' || entry.json === null) continue;
        const items: unknown = 'items' in entry.json ? entry.json.items : undefined;
        samples.push(entry.json, ...(Array.isArray(items) ? items : []));
        samples.push(swapped(entry.json), ...(Array.isArray(items) ? items.map(swapped) : []));
      }
      let disagreements = 0;
      let invalid = 0;
      for (const schema of namedSchemas) {
        const name = String(schema.$id).slice('wi-doctor:'.length);
        const built = precompiled[name];
        const compiled = runtime.getSchema(String(schema.$id));
        expect(built, name).toBeTypeOf('function');
        for (const sample of samples) {
          const a = built?.(sample);
          if (a !== compiled?.(sample)) disagreements++;
          if (a === false) invalid++;
        }
      }
      expect(disagreements).toBe(0);
      expect(invalid).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
