// Bad input is answered as the API server answers it: a Status body with the code and reason it would give
// (400, 404, 409, 410, 415, 422) and its words, never a parse error of the sandbox's own or a stack trace.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import { goJsonSyntaxError } from '../../../src/sandbox/kube/gojson.js';
import { scenario } from '../helpers.js';

let sb: RunningSandbox;
beforeAll(async () => {
  sb = await startSandbox({ scenario: scenario('healthy') });
});
afterAll(async () => {
  await sb.stop();
});

interface Status {
  kind: string;
  apiVersion: string;
  status: string;
  reason: string;
  code: number;
  message: string;
  details?: Record<string, unknown>;
}

async function call(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Status> {
  const res = await fetch(`${sb.endpoints.kubernetes ?? ''}${path}`, {
    method,
    headers: { 'Content-Type': contentType, Accept: 'application/json' },
    ...(body !== undefined ? { body } : {}),
  });
  const status = (await res.json()) as Status;
  expect(status.code).toBe(res.status);
  expect(status).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure' });
  return status;
}

const SAS = '/api/v1/namespaces/shop/serviceaccounts';
const DEPLOY = '/apis/apps/v1/namespaces/shop/deployments';

describe('Go words for JSON syntax errors', () => {
  it('as encoding/json words them', () => {
    expect(goJsonSyntaxError('{"a":1}')).toBeUndefined();
    expect(goJsonSyntaxError('xx')).toBe("invalid character 'x' looking for beginning of value");
    expect(goJsonSyntaxError('{"a" 1}')).toBe("invalid character '1' after object key");
    expect(goJsonSyntaxError('{"a":1 "b":2}')).toBe(`invalid character '"' after object key:value pair`);
    expect(goJsonSyntaxError('{a:1}')).toBe("invalid character 'a' looking for beginning of object key string");
    expect(goJsonSyntaxError('[1 2]')).toBe("invalid character '2' after array element");
    expect(goJsonSyntaxError('{"a":')).toBe('unexpected end of JSON input');
    expect(goJsonSyntaxError('{} x')).toBe("invalid character 'x' after top-level value");
    expect(goJsonSyntaxError('tru')).toBe('unexpected end of JSON input');
    expect(goJsonSyntaxError('trux')).toBe("invalid character 'x' in literal true (expecting 'e')");
  });
});

describe('Status bodies', () => {
  it('400: a body that is not JSON, a field of the wrong type, unknown fields under strict validation', async () => {
    const notJson = await call('POST', SAS, 'name: x');
    expect(notJson).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(notJson.message).toBe(
      "the object provided is unrecognized (must be of type ServiceAccount): couldn't get version/kind; json parse error: invalid character 'a' in literal null (expecting 'u') (6e616d653a2078)",
    );
    const wrongType = await call(
      'POST',
      DEPLOY,
      JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two' } }),
    );
    expect(wrongType.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    const strict = await call(
      'POST',
      `${SAS}?fieldValidation=Strict`,
      JSON.stringify({ metadata: { name: 'x', colour: 'red' }, automount: true }),
    );
    expect(strict.message).toBe(
      'ServiceAccount in version "v1" cannot be handled as a ServiceAccount: strict decoding error: unknown field "metadata.colour", unknown field "automount"',
    );
    const wrongVersion = await call(
      'POST',
      SAS,
      JSON.stringify({ apiVersion: 'v2', kind: 'ServiceAccount', metadata: { name: 'x' } }),
    );
    expect(wrongVersion.message).toBe('the API version in the data (v2) does not match the expected API version (v1)');
  });

  it('unknown fields without strict validation: created, with a Warning header', async () => {
    const res = await fetch(`${sb.endpoints.kubernetes ?? ''}${SAS}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'warned' }, colour: 'red' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('warning')).toBe('299 - "unknown field \\"colour\\""');
  });

  it('404, 409, 422 with details', async () => {
    expect(await call('GET', `${SAS}/nope`)).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'serviceaccounts "nope" not found',
      details: { name: 'nope', kind: 'serviceaccounts' },
    });
    expect(await call('GET', `${DEPLOY}/nope`)).toMatchObject({
      message: 'deployments.apps "nope" not found',
      details: { group: 'apps' },
    });
    expect(
      await call('POST', '/api/v1/namespaces/nosuchns/serviceaccounts', JSON.stringify({ metadata: { name: 'x' } })),
    ).toMatchObject({
      code: 404,
      message: 'namespaces "nosuchns" not found',
    });
    expect(await call('POST', SAS, JSON.stringify({ metadata: { name: 'cart' } }))).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'serviceaccounts "cart" already exists',
    });
    expect(
      await call('PUT', `${SAS}/cart`, JSON.stringify({ metadata: { name: 'cart', resourceVersion: '1' } })),
    ).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on serviceaccounts "cart": the object has been modified; please apply your changes to the latest version and try again',
    });
    const name = await call('POST', SAS, JSON.stringify({ metadata: { name: 'Not_Valid' } }));
    expect(name).toMatchObject({
      code: 422,
      reason: 'Invalid',
      details: {
        name: 'Not_Valid',
        kind: 'ServiceAccount',
        causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }],
      },
    });
    expect(name.message).toMatch(
      /^ServiceAccount "Not_Valid" is invalid: metadata\.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain must consist of/,
    );
    const noName = await call('POST', SAS, JSON.stringify({ metadata: {} }));
    expect(noName.message).toBe(
      'ServiceAccount "" is invalid: metadata.name: Required value: name or generateName is required',
    );
    const noSelector = await call(
      'POST',
      DEPLOY,
      JSON.stringify({
        metadata: { name: 'x' },
        spec: { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x' }] } } },
      }),
    );
    expect(noSelector.message).toBe(
      'Deployment.apps "x" is invalid: [spec.selector: Required value, spec.template.spec.containers[0].image: Required value]',
    );
  });

  it('patches: a bad patch document, a JSON patch that is not a list, an unknown patch type', async () => {
    const syntax = await call('PATCH', `${SAS}/cart`, '{"metadata":', 'application/merge-patch+json');
    expect(syntax).toMatchObject({ code: 400, message: 'error decoding patch: unexpected end of JSON input' });
    const notList = await call('PATCH', `${SAS}/cart`, '{"op":"add"}', 'application/json-patch+json');
    expect(notList).toMatchObject({
      code: 400,
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    });
    const missingPath = await call(
      'PATCH',
      `${SAS}/cart`,
      '[{"op":"replace","path":"/metadata/labels/x","value":"y"}]',
      'application/json-patch+json',
    );
    expect(missingPath.code).toBe(422);
    const type = await call('PATCH', `${SAS}/cart`, '{}', 'text/plain');
    expect(type).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
  });

  it('410 for a watch from a resourceVersion long gone; 404 for a path the server does not have', async () => {
    expect(await call('GET', '/api/v1/namespaces/shop/pods?watch=true&resourceVersion=5')).toMatchObject({
      code: 410,
      reason: 'Expired',
    });
    expect(await call('GET', '/apis/nope.example.com/v1/things')).toMatchObject({
      code: 404,
      message: 'the server could not find the requested resource',
    });
  });
});
