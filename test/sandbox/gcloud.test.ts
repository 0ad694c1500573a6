// The reference guide's gcloud commands, verbatim but for the names, against a sandbox world. gcloud is
// pointed there only by its own settings (endpoint overrides, access token, project, throwaway config).
// Sequential in one test: gcloud takes one to two seconds to start.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { HAS_GCLOUD } from './gcloud-helpers.js';
import { CART_GSA, mds, pod, withSandbox } from './helpers.js';

const run = promisify(execFile);

// Without gcloud the test reports as skipped, never as passed.
test.skipIf(!HAS_GCLOUD)(
  'the guide’s gcloud commands get the answers the guide expects',
  // About twenty gcloud runs, one after another: a second or two each alone, far more on a loaded machine.
  { timeout: 240_000 },
  async () => {
    const config = await mkdtemp(join(tmpdir(), 'wi-sb-gcloud-'));
    try {
      await withSandbox('healthy', async (sb) => {
        const env = {
          ...process.env,
          ...sb.env,
          CLOUDSDK_CONFIG: config,
          CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
          CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
          CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
        };
        const gcloud = async (...args: string[]): Promise<string> =>
          (await run('gcloud', args, { env, timeout: 60_000 })).stdout;

        expect(await gcloud('iam', 'service-accounts', 'get-iam-policy', CART_GSA)).toContain(
          'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
        );
        expect(
          await gcloud(
            'iam',
            'service-accounts',
            'add-iam-policy-binding',
            CART_GSA,
            '--role=roles/iam.workloadIdentityUser',
            '--member=serviceAccount:acme-shop.svc.id.goog[shop/api]',
          ),
        ).toContain('serviceAccount:acme-shop.svc.id.goog[shop/api]');

        await gcloud(
          'projects',
          'add-iam-policy-binding',
          'acme-shop',
          `--member=serviceAccount:${CART_GSA}`,
          '--role=roles/storage.objectViewer',
        );
        const flattened = await gcloud(
          'projects',
          'get-iam-policy',
          'acme-shop',
          '--flatten=bindings[].members',
          '--filter=bindings.members:serviceAccount:cart-gsa@*',
          '--format=json',
        );
        expect((JSON.parse(flattened) as { bindings: { role: string } }[]).map((b) => b.bindings.role)).toEqual([
          'roles/storage.objectViewer',
        ]);

        expect(
          (
            await gcloud(
              'container',
              'clusters',
              'describe',
              'prod',
              '--zone',
              'europe-west1',
              '--format=value(workloadIdentityConfig.workloadPool)',
            )
          ).trim(),
        ).toBe('acme-shop.svc.id.goog');
        await gcloud(
          'container',
          'clusters',
          'update',
          'prod',
          '--workload-pool=acme-shop.svc.id.goog',
          '--zone',
          'europe-west1',
        );

        expect(
          await gcloud(
            'storage',
            'buckets',
            'add-iam-policy-binding',
            'gs://acme-shop-assets',
            `--member=serviceAccount:${CART_GSA}`,
            '--role=roles/storage.objectViewer',
          ),
        ).toContain(`serviceAccount:${CART_GSA}`);

        expect((await mds(pod(sb, 'cart-'), 'instance/service-accounts/default/token')).status).toBe(200);
        const logs = JSON.parse(
          await gcloud(
            'logging',
            'read',
            'protoPayload.methodName=GenerateAccessToken',
            '--limit',
            '50',
            '--format',
            'json',
          ),
        ) as { protoPayload: { methodName: string } }[];
        expect(logs.length).toBeGreaterThan(0);
        expect(logs.every((e) => e.protoPayload.methodName === 'GenerateAccessToken')).toBe(true);

        await gcloud('iam', 'service-accounts', 'disable', CART_GSA);
        // A disabled account: the metadata server can no longer get its token.
        expect((await mds(pod(sb, 'cart-'), 'instance/service-accounts/default/token')).status).not.toBe(200);
        await gcloud('iam', 'service-accounts', 'create', 'app-gcp-v2', '--display-name', 'App workload identity (v2)');
        await gcloud(
          'projects',
          'add-iam-policy-binding',
          'acme-shop',
          '--member=serviceAccount:app-gcp-v2@acme-shop.iam.gserviceaccount.com',
          '--role=roles/storage.objectViewer',
        );
        await gcloud(
          'iam',
          'service-accounts',
          'add-iam-policy-binding',
          'app-gcp-v2@acme-shop.iam.gserviceaccount.com',
          '--role=roles/iam.workloadIdentityUser',
          '--member=serviceAccount:acme-shop.svc.id.goog[shop/cart]',
        );
        await gcloud('iam', 'service-accounts', 'delete', CART_GSA);
        // Deletion leaves the old grant as a deleted: member.
        expect(await gcloud('projects', 'get-iam-policy', 'acme-shop', '--format=json')).toMatch(
          /deleted:serviceAccount:cart-gsa@acme-shop\.iam\.gserviceaccount\.com\?uid=\d+/,
        );
      });
    } finally {
      await rm(config, { recursive: true, force: true });
    }
  },
);
