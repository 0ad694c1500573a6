// What `collect` keeps of the audit's answers: service-account keys by their metadata only (never
// `privateKeyData`, which a create answer carries and a hostile or mistaken list could), log entries with who
// called what and the fields the readers of logs use (request.name, STS's mapped principal, policy deltas),
// never a request's or response's payload; Policy Analyzer activities by the fields read. Every kept string is
// redacted.

import { describe, expect, it } from 'vitest';
import { allowlistedFile, allowlistedK8sFile } from '../../src/collect/bundle/allowlist.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { parseLogEntries } from '../../src/model/audit-log.js';
import { loadExampleFiles } from '../fixtures/load-example.js';

const KEY_BODY = 'MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDallowlistKeyBody0123456789'.repeat(3);
const PEM = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;
const KEY_FILE = Buffer.from(JSON.stringify({ type: 'service_account', private_key: PEM })).toString('base64');
const GSA = 'cart@acme-shop.iam.gserviceaccount.com';

describe('the allowlist of the audit’s answers', () => {
  it('keys: metadata only, never privateKeyData or the public key', () => {
    const answer = {
      keys: [
        {
          name: `projects/acme-shop/serviceAccounts/${GSA}/keys/0123abcd`,
          keyType: 'USER_MANAGED',
          keyOrigin: 'GOOGLE_PROVIDED',
          keyAlgorithm: 'KEY_ALG_RSA_2048',
          validAfterTime: '2026-11-01T00:00:00Z',
          validBeforeTime: '9999-12-31T23:59:59Z',
          privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
          privateKeyData: KEY_FILE,
          publicKeyData: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t',
        },
      ],
    };
    const kept = allowlistedFile(`gcp/service-accounts/${GSA}.keys.json`, answer);
    expect(kept).toEqual({
      keys: [
        {
          name: `projects/acme-shop/serviceAccounts/${GSA}/keys/0123abcd`,
          keyType: 'USER_MANAGED',
          keyOrigin: 'GOOGLE_PROVIDED',
          keyAlgorithm: 'KEY_ALG_RSA_2048',
          validAfterTime: '2026-11-01T00:00:00Z',
          validBeforeTime: '9999-12-31T23:59:59Z',
        },
      ],
    });
    // gcloud's bare array too.
    expect(JSON.stringify(allowlistedFile(`gcp/service-accounts/${GSA}.keys.json`, answer.keys))).not.toMatch(
      /privateKey|publicKey/,
    );
  });

  it('log entries: who called what and what the readers of logs use; no payloads; strings redacted', () => {
    const entry = {
      logName: 'projects/acme-shop/logs/cloudaudit.googleapis.com%2Factivity',
      timestamp: '2026-11-28T16:41:02.918311Z',
      insertId: 'abc',
      resource: { type: 'service_account', labels: { email_id: GSA, project_id: 'acme-shop', unique_id: '1' } },
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        methodName: 'google.iam.admin.v1.SetIAMPolicy',
        resourceName: `projects/-/serviceAccounts/1`,
        authenticationInfo: { principalEmail: 'alice@acme.example' },
        requestMetadata: { callerIp: '10.0.0.1', callerSuppliedUserAgent: 'google-cloud-sdk gcloud/528.0.0' },
        status: { message: `denied: ${PEM}` },
        request: { name: `projects/-/serviceAccounts/${GSA}`, policy: { bindings: [] }, key: KEY_FILE },
        response: { privateKeyData: KEY_FILE, bindings: [] },
        metadata: { mapped_principal: 'principal://x/subject/ns/shop/sa/cart', other: KEY_FILE },
        serviceData: {
          policyDelta: {
            bindingDeltas: [{ action: 'REMOVE', role: 'roles/iam.workloadIdentityUser', member: 'serviceAccount:x' }],
          },
          auditConfigDeltas: [{ action: 'ADD' }],
        },
      },
    };
    const [kept] = allowlistedFile('gcp/logs/admin-activity.acme-shop.json', [entry]) as [typeof entry];
    const text = JSON.stringify(kept);
    expect(text).not.toContain(KEY_FILE);
    expect(text).not.toContain(KEY_BODY.slice(10, 60));
    expect(text).not.toMatch(/privateKeyData|"policy"|"response"|"other"/);
    expect(kept.protoPayload.request).toEqual({ name: `projects/-/serviceAccounts/${GSA}` });
    expect(kept.protoPayload.metadata).toEqual({ mapped_principal: 'principal://x/subject/ns/shop/sa/cart' });
    // What the readers of logs need survives: the change is still read from the kept entry.
    const parsed = parseLogEntries([kept]);
    expect(parsed.changes).toMatchObject([
      { kind: 'binding-removed', role: 'roles/iam.workloadIdentityUser', email: GSA, tool: 'gcloud' },
    ]);
  });

  it('Policy Analyzer activities: the fields read', () => {
    const activity = {
      fullResourceName: `//iam.googleapis.com/projects/acme-shop/serviceAccounts/${GSA}`,
      activityType: 'serviceAccountLastAuthentication',
      observationPeriod: { startTime: '2026-01-01T00:00:00Z', endTime: '2026-11-27T00:00:00Z' },
      activity: {
        lastAuthenticatedTime: '2026-11-26T07:00:00Z',
        serviceAccount: { serviceAccountId: '1', projectNumber: '123', fullResourceName: 'x' },
        extra: KEY_FILE,
      },
      note: 'not read',
    };
    const kept = allowlistedFile('gcp/projects/acme-shop.sa-activity.json', { activities: [activity] }) as {
      activities: Record<string, unknown>[];
    };
    expect(JSON.stringify(kept)).not.toMatch(/extra|not read/);
    expect(kept.activities[0]?.activity).toEqual({
      lastAuthenticatedTime: '2026-11-26T07:00:00Z',
      serviceAccount: { serviceAccountId: '1', projectNumber: '123', fullResourceName: 'x' },
    });
  });

  it('a Policy Analyzer time that is no RFC 3339 time is an error naming the field, not "never authenticated"', () => {
    const input = loadExampleFiles('healthy');
    input.files.set('gcp/projects/acme-shop.sa-activity.json', {
      json: [{ activity: { lastAuthenticatedTime: 'yesterday' } }],
    });
    const fact = factsFromFiles(input).serviceAccountActivity('acme-shop');
    expect(fact).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/^\[0\]\.activity\.lastAuthenticatedTime: must match pattern /),
    });
  });

  it('parts kept whole (labels, managedFields): secrets redacted in values and in fieldsV1 keys, the rest as it came', () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.${'eyJzdWIiOiJ4In0'.repeat(2)}.c2lnbmF0dXJl`;
    const answer = {
      kind: 'ServiceAccountList',
      items: [
        {
          metadata: {
            name: 'cart',
            namespace: 'shop',
            labels: { app: 'cart', leaked: `Bearer ${token}` },
            managedFields: [
              {
                manager: 'kubectl',
                operation: 'Update',
                time: '2026-11-30T10:00:00Z',
                fieldsV1: {
                  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
                  [`k:{"name":"TOKEN","value":"${token}"}`]: { '.': {} },
                },
              },
            ],
          },
        },
      ],
    };
    const kept = JSON.stringify(allowlistedK8sFile(answer));
    expect(kept).not.toContain(token.slice(0, 40));
    expect(kept).toContain('"leaked":"Bearer …[redacted]"');
    expect(kept).toContain('k:{\\"name\\":\\"TOKEN\\",\\"value\\":\\"eyJhbG…[redacted]\\"}');
    expect(kept).toContain('"f:metadata":{"f:labels":{".":{},"f:app":{}}}');
    expect(kept).toContain('"app":"cart"');
    // Lists inside a part kept whole: a workload's status conditions.
    const deployments = {
      kind: 'DeploymentList',
      items: [
        {
          metadata: { name: 'cart', namespace: 'shop' },
          status: {
            replicas: 2,
            conditions: [
              { type: 'Available', status: 'True' },
              { type: 'Progressing', status: 'False', message: `pull failed with ${token}` },
            ],
          },
        },
      ],
    };
    const status = JSON.stringify(allowlistedK8sFile(deployments));
    expect(status).not.toContain(token.slice(0, 40));
    expect(status).toContain('"message":"pull failed with eyJhbG…[redacted]"');
    expect(status).toContain('{"type":"Available","status":"True"}');
  });
});
