// OpenAPI v2 and v3 for the kinds the sandbox serves: `kubectl explain` reads v3; `kubectl apply` finds the
// fieldValidation parameter there and lets the server validate strictly (unknown fields refused, or warned
// about with --validate=warn); the documents carry the group-version-kinds and merge keys.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import { HAS_KUBECTL, scenario } from '../helpers.js';
import { kubectlFor, type Kubectl } from './kubectl.js';

let sb: RunningSandbox;
beforeAll(async () => {
  sb = await startSandbox({ scenario: scenario('healthy') });
});
afterAll(async () => {
  await sb.stop();
});

type Json = Record<string, unknown>;

const BAD = `apiVersion: apps/v1
kind: Deployment
metadata: {name: bad, namespace: shop}
spec:
  replicas: 1
  foo: bar
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec: {containers: [{name: bad, image: nginx, imagePullPolicyy: Always}]}
`;

describe('the documents', () => {
  it('v3: one document per group version, with kinds, fieldValidation on writes, merge keys', async () => {
    const index = (await (await fetch(`${sb.endpoints.kubernetes ?? ''}/openapi/v3`)).json()) as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    expect(Object.keys(index.paths)).toEqual(
      expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/networking.k8s.io/v1', 'apis/authentication.k8s.io/v1']),
    );
    const url = index.paths['apis/apps/v1']?.serverRelativeURL ?? '';
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const doc = (await (await fetch(`${sb.endpoints.kubernetes ?? ''}${url}`)).json()) as {
      paths: Record<
        string,
        Record<string, { parameters?: { name: string }[]; 'x-kubernetes-group-version-kind'?: Json }>
      >;
      components: { schemas: Record<string, Json> };
    };
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch;
    expect(patch?.['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', kind: 'Deployment', version: 'v1' });
    expect(patch?.parameters?.map((p) => p.name)).toContain('fieldValidation');
    const deployment = doc.components.schemas['io.k8s.api.apps.v1.Deployment'];
    expect(deployment?.['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', kind: 'Deployment', version: 'v1' },
    ]);
    const podSpec = doc.components.schemas['io.k8s.api.core.v1.PodSpec'] as { properties: Record<string, Json> };
    expect(podSpec.properties.containers).toMatchObject({
      type: 'array',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(podSpec.properties.serviceAccountName).toMatchObject({ type: 'string' });
  });

  it('v2 as JSON, with definitions', async () => {
    const res = await fetch(`${sb.endpoints.kubernetes ?? ''}/openapi/v2`, { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { swagger: string; definitions: Record<string, Json> };
    expect(doc.swagger).toBe('2.0');
    expect(doc.definitions['io.k8s.api.core.v1.ServiceAccount']).toMatchObject({
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'ServiceAccount', version: 'v1' }],
    });
  });
});

describe.skipIf(!HAS_KUBECTL)('kubectl explain and apply validation', () => {
  let kubectl: Kubectl;
  beforeAll(() => {
    kubectl = kubectlFor(sb);
  });
  afterAll(() => {
    kubectl.dispose();
  });

  it('explain a kind and a field', async () => {
    const kind = await kubectl(['explain', 'serviceaccount']);
    expect(kind.code).toBe(0);
    expect(kind.stdout).toMatch(/^KIND:\s+ServiceAccount\nVERSION:\s+v1\n/);
    expect(kind.stdout).toMatch(/^\s+automountServiceAccountToken\t<boolean>$/m);
    const field = await kubectl(['explain', 'pod.spec.serviceAccountName']);
    expect(field.stdout).toMatch(/^FIELD: serviceAccountName <string>$/m);
    const deep = await kubectl(['explain', 'deployment.spec.template.spec.containers.env']);
    expect(deep.stdout).toMatch(/^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
    expect(deep.stdout).toMatch(/^FIELD: env <\[\]EnvVar>$/m);
    const missing = await kubectl(['explain', 'pod.spec.nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('field "nope" does not exist');
  });

  it('apply validates without --validate=false: unknown fields refused with their paths', async () => {
    const r = await kubectl(['apply', '-f', '-'], { input: BAD });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].imagePullPolicyy"\n',
    );
    const ssa = await kubectl(['apply', '--server-side', '-f', '-'], { input: BAD });
    expect(ssa.code).toBe(1);
    expect(ssa.stderr).toContain(
      'failed to create typed patch object (shop/bad; apps/v1, Kind=Deployment): .spec.foo: field not declared in schema',
    );
    const warn = await kubectl(['apply', '--validate=warn', '-f', '-'], { input: BAD });
    expect(warn.code).toBe(0);
    expect(warn.stderr).toContain('Warning: unknown field "spec.foo"');
    expect(warn.stdout).toBe('deployment.apps/bad created\n');
  });
});
