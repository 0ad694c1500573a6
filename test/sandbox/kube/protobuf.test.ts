// Request bodies in the Kubernetes protobuf encoding, which kubectl's typed commands send: the bytes kubectl
// 1.32 really sent (captured once, test/fixtures/kube-protobuf/) decode to the objects it meant, a body that
// is not protobuf gets a Status, and the real kubectl's typed commands work end to end.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import { decodeEnvelope, decodeObject, ProtobufError } from '../../../src/sandbox/kube/proto/decode.js';
import { HAS_KUBECTL, scenario } from '../helpers.js';
import { kubectlFor, type Kubectl } from './kubectl.js';

const fixture = (name: string): Buffer =>
  readFileSync(new URL(`../../fixtures/kube-protobuf/${name}`, import.meta.url));

describe('decoding what kubectl sends', () => {
  it('TokenRequest (kubectl create token cart --audience acme-shop.svc.id.goog --duration 1h)', () => {
    expect(decodeObject(fixture('token-request.pb'))).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: { audiences: ['acme-shop.svc.id.goog'], expirationSeconds: 3600 },
      status: {},
    });
  });

  it('ServiceAccount, Namespace, ConfigMap and Secret (kubectl create …)', () => {
    expect(decodeObject(fixture('serviceaccount.pb'))).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'foo', namespace: 'shop' },
    });
    expect(decodeObject(fixture('namespace.pb'))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'prod2' },
      spec: {},
      status: {},
    });
    expect(decodeObject(fixture('configmap.pb'))).toMatchObject({ kind: 'ConfigMap', data: { a: 'b' } });
    // bytes are base64 in JSON
    expect(decodeObject(fixture('secret.pb'))).toMatchObject({
      kind: 'Secret',
      data: { a: Buffer.from('b').toString('base64') },
    });
  });

  it('Deployment and Job, with their pod templates (kubectl create deployment/job)', () => {
    expect(decodeObject(fixture('deployment.pb'))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    });
    expect(decodeObject(fixture('job.pb'))).toMatchObject({
      kind: 'Job',
      spec: { template: { spec: { containers: [{ name: 'j1', image: 'busybox' }], restartPolicy: 'Never' } } },
    });
  });

  it('SelfSubjectAccessReview (auth can-i get pods -n shop) and SelfSubjectReview (auth whoami)', () => {
    expect(decodeObject(fixture('selfsubjectaccessreview.pb'))).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'shop', verb: 'get', resource: 'pods' } },
      status: {},
    });
    expect(decodeObject(fixture('selfsubjectreview.pb'))).toMatchObject({
      kind: 'SelfSubjectReview',
      apiVersion: 'authentication.k8s.io/v1',
    });
  });

  it("keeps a pointer field's zero (replicas: 0) and drops a plain field's (minReadySeconds: 0), as Go's JSON does", () => {
    const field = (no: number, bytes: Buffer): Buffer =>
      Buffer.concat([Buffer.from([(no << 3) | 2, bytes.length]), bytes]);
    const spec = Buffer.from([0x08, 0x00, 0x28, 0x00]); // DeploymentSpec: replicas (1) = 0, minReadySeconds (5) = 0
    const typeMeta = Buffer.concat([field(1, Buffer.from('apps/v1')), field(2, Buffer.from('Deployment'))]);
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), field(1, typeMeta), field(2, field(2, spec))]);
    expect(decodeObject(body)).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 0 } });
  });

  it('refuses what is not the envelope, or names an unknown kind', () => {
    expect(() => decodeEnvelope(Buffer.from('{"kind":"Pod"}'))).toThrow(/expected prefix \[107 56 115 0\]/);
    const raw = fixture('serviceaccount.pb');
    expect(() => decodeObject(raw.subarray(0, raw.length - 3))).toThrow(ProtobufError);
  });
});

describe.skipIf(!HAS_KUBECTL)("kubectl's typed commands against the sandbox", () => {
  let sb: RunningSandbox;
  let kubectl: Kubectl;
  beforeAll(async () => {
    sb = await startSandbox({ scenario: scenario('healthy') });
    kubectl = kubectlFor(sb);
  });
  afterAll(async () => {
    kubectl.dispose();
    await sb.stop();
  });

  it("the guide's kubectl create token … --audience … --duration 1h", async () => {
    const r = await kubectl([
      'create',
      'token',
      'cart',
      '-n',
      'shop',
      '--audience',
      'acme-shop.svc.id.goog',
      '--duration',
      '1h',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [, payload = ''] = r.stdout.trim().split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ aud: ['acme-shop.svc.id.goog'], sub: 'system:serviceaccount:shop:cart' });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
  });

  it('create serviceaccount, namespace, deployment; auth can-i; auth whoami', async () => {
    expect((await kubectl(['create', 'serviceaccount', 'batch', '-n', 'shop'])).stdout).toBe(
      'serviceaccount/batch created\n',
    );
    expect((await kubectl(['create', 'namespace', 'staging'])).stdout).toBe('namespace/staging created\n');
    expect((await kubectl(['create', 'deployment', 'web', '-n', 'staging', '--image=nginx:1.27'])).stdout).toBe(
      'deployment.apps/web created\n',
    );
    expect((await kubectl(['get', 'sa', 'default', '-n', 'staging', '-o', 'name'])).stdout).toBe(
      'serviceaccount/default\n',
    );
    expect((await kubectl(['auth', 'can-i', 'create', 'serviceaccounts/token', '-n', 'shop'])).stdout).toBe('yes\n');
    const who = await kubectl(['auth', 'whoami']);
    expect(who.stdout).toMatch(
      /^ATTRIBUTE\s+VALUE\nUsername\s+admin@example\.com\nGroups\s+\[system:authenticated\]\n$/,
    );
  });

  it('a protobuf body that is not one gets the Status the server gives, not a parse error of its own', async () => {
    const res = await fetch(`${sb.endpoints.kubernetes ?? ''}/api/v1/namespaces/shop/serviceaccounts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/json' },
      body: 'not protobuf',
    });
    expect(res.status).toBe(400);
    const status = (await res.json()) as { kind: string; reason: string; message: string };
    expect(status).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect(status.message).toMatch(/^the object provided is unrecognized \(must be of type ServiceAccount\): /);
  });
});
