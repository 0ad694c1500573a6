import { describe, expect, it } from 'vitest';
import { ksaOfTokenEvent, parseLogEntries, toolOf } from '../../src/model/audit-log.js';
import { adminReadState } from '../../src/model/audit-config.js';
import { logsExplorerUrl, parseDuration } from '../../src/model/log-query.js';

const generate = (over: Record<string, unknown> = {}) => ({
  logName: 'projects/acme-shop/logs/cloudaudit.googleapis.com%2Fdata_access',
  timestamp: '2026-11-28T16:41:02.918311Z',
  resource: {
    type: 'service_account',
    labels: { email_id: 'cart@acme-shop.iam.gserviceaccount.com', project_id: 'acme-shop', unique_id: '2699' },
  },
  protoPayload: {
    serviceName: 'iamcredentials.googleapis.com',
    methodName: 'GenerateAccessToken',
    resourceName: 'projects/-/serviceAccounts/2699',
    authenticationInfo: {
      principalSubject:
        'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/subject/ns/shop/sa/cart',
    },
    requestMetadata: { callerIp: '10.4.1.17', callerSuppliedUserAgent: 'gke-metadata-server grpc-go/1.66.2,gzip(gfe)' },
    status: {},
  },
  ...over,
});

describe('audit log entries', () => {
  it('reads a GenerateAccessToken entry: account, caller, success', () => {
    const { tokens, skipped } = parseLogEntries([generate()]);
    expect(skipped).toBe(0);
    expect(tokens[0]).toMatchObject({
      kind: 'generate-access-token',
      ok: true,
      gsa: { email: 'cart@acme-shop.iam.gserviceaccount.com', uniqueId: '2699' },
      project: 'acme-shop',
    });
    expect(ksaOfTokenEvent(tokens[0]!, 'acme-shop.svc.id.goog')).toBe('shop/cart');
    expect(ksaOfTokenEvent(tokens[0]!, 'other.svc.id.goog')).toBeUndefined();
  });

  it('a failure keeps its status; the caller of a failure is unrecorded', () => {
    const entry = generate();
    entry.protoPayload = {
      ...entry.protoPayload,
      authenticationInfo: {} as never,
      status: { code: 7, message: 'PERMISSION_DENIED' },
    };
    const [t] = parseLogEntries([entry]).tokens;
    expect(t).toMatchObject({ ok: false, status: { code: 7, message: 'PERMISSION_DENIED' } });
    expect(t && ksaOfTokenEvent(t)).toBeUndefined();
  });

  it('legacy and STS subjects name the KSA too', () => {
    const legacy = generate();
    legacy.protoPayload.authenticationInfo = {
      principalSubject: 'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
    };
    const sts = {
      logName: 'projects/acme-shop/logs/cloudaudit.googleapis.com%2Fdata_access',
      timestamp: '2026-11-28T16:41:01Z',
      protoPayload: {
        serviceName: 'sts.googleapis.com',
        methodName: 'google.identity.sts.v1.SecurityTokenService.ExchangeToken',
        authenticationInfo: { principalSubject: 'system:serviceaccount:shop:cart' },
        resourceName: 'projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/providers/x',
      },
    };
    const { tokens } = parseLogEntries([legacy, sts]);
    expect(tokens.map((t) => [t.kind, ksaOfTokenEvent(t, 'acme-shop.svc.id.goog')])).toEqual([
      ['generate-access-token', 'shop/cart'],
      ['sts-exchange', 'shop/cart'],
    ]);
  });

  it('a policy change gives one change per binding delta; a failed call and other methods give none', () => {
    const change = {
      logName: 'projects/acme-shop/logs/cloudaudit.googleapis.com%2Factivity',
      timestamp: '2026-11-27T14:02:11Z',
      resource: { labels: { email_id: 'cart@acme-shop.iam.gserviceaccount.com', unique_id: '2699' } },
      protoPayload: {
        methodName: 'google.iam.admin.v1.SetIAMPolicy',
        resourceName: 'projects/-/serviceAccounts/2699',
        authenticationInfo: { principalEmail: 'alice@acme.example' },
        requestMetadata: {
          callerIp: '203.0.113.24',
          callerSuppliedUserAgent: 'Terraform/1.9.8 terraform-provider-google/6.12.0',
        },
        status: {},
        serviceData: {
          policyDelta: {
            bindingDeltas: [
              { action: 'REMOVE', role: 'roles/iam.workloadIdentityUser', member: 'serviceAccount:a.svc.id.goog[s/c]' },
              { action: 'ADD', role: 'roles/iam.workloadIdentityUser', member: 'serviceAccount:a.svc.id.goog[s/d]' },
            ],
          },
        },
      },
    };
    const { changes } = parseLogEntries([
      change,
      { ...change, protoPayload: { ...change.protoPayload, methodName: 'google.iam.admin.v1.GetIAMPolicy' } },
    ]);
    expect(changes.map((c) => [c.kind, c.member, c.tool, c.caller.principalEmail])).toEqual([
      ['binding-removed', 'serviceAccount:a.svc.id.goog[s/c]', 'Terraform', 'alice@acme.example'],
      ['binding-added', 'serviceAccount:a.svc.id.goog[s/d]', 'Terraform', 'alice@acme.example'],
    ]);
  });

  it('entries of an unexpected shape are skipped and counted, never thrown', () => {
    const parsed = parseLogEntries([
      null,
      'text',
      { protoPayload: {} },
      { protoPayload: { methodName: 'GenerateAccessToken' } },
      {
        timestamp: 'x',
        protoPayload: {
          methodName: 'google.iam.admin.v1.SetIAMPolicy',
          resourceName: 'r',
          serviceData: { policyDelta: { bindingDeltas: 'no' } },
        },
      },
    ]);
    expect(parsed.skipped).toBe(5);
    expect(parsed.skippedReasons.length).toBe(5);
  });

  it('tells the tool from the user agent', () => {
    expect(
      toolOf('google-cloud-sdk gcloud/528.0.0 command/gcloud.iam.service-accounts.remove-iam-policy-binding'),
    ).toBe('gcloud');
    expect(toolOf('Terraform/1.9.8 terraform-provider-google/6.12.0,gzip(gfe)')).toBe('Terraform');
    expect(toolOf('Mozilla/5.0 (X11; Linux x86_64)')).toBe('console (a browser)');
    expect(toolOf(undefined)).toBe('unknown');
  });
});

describe('audit configs', () => {
  it('ADMIN_READ for iam or allServices, not DATA_READ, not another service', () => {
    const on = (service: string, logType: 'ADMIN_READ' | 'DATA_READ') =>
      adminReadState({ auditConfigs: [{ service, auditLogConfigs: [{ logType }] }] });
    expect(on('iam.googleapis.com', 'ADMIN_READ').on).toBe(true);
    expect(on('allServices', 'ADMIN_READ').via).toBe('allServices');
    expect(on('iam.googleapis.com', 'DATA_READ')).toMatchObject({ on: false, otherTypesOnly: ['DATA_READ'] });
    expect(on('iamcredentials.googleapis.com', 'ADMIN_READ').on).toBe(false);
  });
});

describe('queries', () => {
  it('durations', () => {
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    for (const bad of ['7', 'd', '-1d', '0h', '1w', ' ']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('the Logs Explorer link carries the exact query, encoded, and the window', () => {
    const url = logsExplorerUrl(
      'acme-shop',
      'a="b"\nAND c:"d"',
      new Date('2026-11-21T00:00:00Z'),
      new Date('2026-11-28T00:00:00Z'),
    );
    expect(url).toBe(
      'https://console.cloud.google.com/logs/query;query=a%3D%22b%22%0AAND%20c%3A%22d%22;timeRange=2026-11-21T00:00:00.000Z%2F2026-11-28T00:00:00.000Z?project=acme-shop',
    );
    const query = decodeURIComponent(/;query=([^;]*);/.exec(url)?.[1] ?? '');
    expect(query).toBe('a="b"\nAND c:"d"');
  });
});
