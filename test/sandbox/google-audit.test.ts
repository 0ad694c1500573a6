// Admin Activity audit entries for every change made with the real gcloud, read back with `gcloud logging
// read` and its filters (OR, NOT, parentheses, timestamps), in one sandbox.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HAS_GCLOUD, startCli, type Cli } from './gcloud-helpers.js';
import { CART_GSA } from './helpers.js';

interface Entry {
  logName: string;
  severity: string;
  timestamp: string;
  resource: { type: string; labels: Record<string, string> };
  protoPayload: {
    serviceName: string;
    methodName: string;
    resourceName: string;
    authenticationInfo: { principalEmail?: string };
    requestMetadata: { callerIp: string; callerSuppliedUserAgent: string };
    serviceData?: {
      '@type': string;
      policyDelta: { bindingDeltas: { action: string; role: string; member: string; condition?: unknown }[] };
    };
  };
}

describe.skipIf(!HAS_GCLOUD)('Admin Activity entries through gcloud', { timeout: 180_000 }, () => {
  let cli: Cli;
  let started: string;
  const read = async (filter: string): Promise<Entry[]> =>
    JSON.parse(await cli.gcloud('logging', 'read', filter, '--format=json', '--freshness=1d')) as Entry[];

  beforeAll(async () => {
    cli = await startCli('healthy');
    started = new Date(Date.now() - 1000).toISOString();
    const V2 = 'app-gcp-v2@acme-shop.iam.gserviceaccount.com';
    await cli.gcloud('iam', 'service-accounts', 'create', 'app-gcp-v2', '--display-name', 'App workload identity (v2)');
    await cli.gcloud(
      'iam',
      'service-accounts',
      'add-iam-policy-binding',
      V2,
      '--role=roles/iam.workloadIdentityUser',
      '--member=serviceAccount:acme-shop.svc.id.goog[shop/cart]',
    );
    await cli.gcloud(
      'iam',
      'service-accounts',
      'remove-iam-policy-binding',
      CART_GSA,
      '--role=roles/iam.workloadIdentityUser',
      '--member=serviceAccount:acme-shop.svc.id.goog[shop/cart]',
    );
    await cli.gcloud(
      'projects',
      'add-iam-policy-binding',
      'acme-shop',
      `--member=serviceAccount:${V2}`,
      '--role=roles/storage.objectViewer',
    );
    await cli.gcloud('iam', 'service-accounts', 'disable', CART_GSA);
    await cli.gcloud('services', 'disable', 'iamcredentials.googleapis.com');
    await cli.gcloud('services', 'enable', 'iamcredentials.googleapis.com');
    await cli.gcloud(
      'container',
      'node-pools',
      'update',
      'batch-pool',
      '--cluster=prod',
      '--zone=europe-west1',
      '--workload-metadata=GKE_METADATA',
    );
  }, 180_000);
  afterAll(async () => {
    await cli.stop();
  });

  test('who removed the binding: a REMOVE delta, one member per delta, with principal, IP and gcloud’s user agent', async () => {
    const entries = await read(
      'protoPayload.methodName="google.iam.admin.v1.SetIAMPolicy" AND protoPayload.serviceData.policyDelta.bindingDeltas.action="REMOVE"',
    );
    expect(entries).toHaveLength(1);
    const e = entries[0];
    expect(e?.logName).toBe('projects/acme-shop/logs/cloudaudit.googleapis.com%2Factivity');
    expect(e?.severity).toBe('NOTICE');
    expect(e?.resource.type).toBe('service_account');
    expect(e?.resource.labels.email_id).toBe(CART_GSA);
    expect(e?.protoPayload.resourceName).toMatch(/^projects\/-\/serviceAccounts\/\d+$/);
    expect(e?.protoPayload.authenticationInfo.principalEmail).toBe('admin@example.com');
    expect(e?.protoPayload.requestMetadata.callerIp).toBe('127.0.0.1');
    expect(e?.protoPayload.requestMetadata.callerSuppliedUserAgent).toMatch(
      /^google-cloud-sdk gcloud\/528\.0\.0 command\/gcloud\.iam\.service-accounts\.remove-iam-policy-binding /,
    );
    expect(e?.protoPayload.serviceData?.['@type']).toBe('type.googleapis.com/google.iam.v1.logging.AuditData');
    expect(e?.protoPayload.serviceData?.policyDelta.bindingDeltas).toEqual([
      {
        action: 'REMOVE',
        role: 'roles/iam.workloadIdentityUser',
        member: 'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
      },
    ]);
  });

  test('every change has its entry; OR, NOT, parentheses and timestamps select them', async () => {
    const methods = (
      await read(
        `timestamp>="${started}" AND (protoPayload.serviceName="iam.googleapis.com" OR protoPayload.serviceName:serviceusage) AND NOT protoPayload.methodName:SetIAMPolicy`,
      )
    )
      .map((e) => e.protoPayload.methodName)
      .sort();
    expect(methods).toEqual([
      'google.api.serviceusage.v1.ServiceUsage.DisableService',
      'google.api.serviceusage.v1.ServiceUsage.EnableService',
      'google.iam.admin.v1.CreateServiceAccount',
      'google.iam.admin.v1.DisableServiceAccount',
    ]);
    const project = await read(
      'protoPayload.serviceName="cloudresourcemanager.googleapis.com" -protoPayload.methodName="GetIamPolicy"',
    );
    expect(project.map((e) => [e.protoPayload.methodName, e.resource.type])).toEqual([['SetIamPolicy', 'project']]);
    expect(project[0]?.protoPayload.serviceData?.policyDelta.bindingDeltas).toEqual([
      {
        action: 'ADD',
        role: 'roles/storage.objectViewer',
        member: 'serviceAccount:app-gcp-v2@acme-shop.iam.gserviceaccount.com',
      },
    ]);
    const gke = await read('resource.type="gke_nodepool" resource.labels.nodepool_name="batch-pool"');
    expect(gke.map((e) => e.protoPayload.methodName)).toEqual([
      'google.container.v1.ClusterManager.UpdateNodePool',
      'google.container.v1.ClusterManager.UpdateNodePool',
    ]);
    expect(await read(`timestamp<"${started}"`)).toEqual([]);
  });

  test('an invalid filter is answered as the Logging API answers it', async () => {
    const r = await cli.gcloudResult('logging', 'read', 'protoPayload.methodName=(', '--format=json');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('INVALID_ARGUMENT: Unparseable filter: syntax error at line 1');
  });
});
