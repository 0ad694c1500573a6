// Two failure modes, pods not restarted after an annotation change and cross-project impersonation without
// TokenCreator,, played through the pod's metadata server and the IAM Credentials API.

import { describe, expect, test } from 'vitest';
import type { Pod, ServiceAccountObject } from '../../src/model/k8s/types.js';
import { WI_ANNOTATION } from '../../src/model/k8s/types.js';
import { CART_GSA, mds, pod, withSandbox } from './helpers.js';

const TOKEN = 'instance/service-accounts/default/token';
const READER = 'reader@acme-data.iam.gserviceaccount.com';

describe('pods-not-restarted (5.13)', () => {
  test('the annotation was written after the pods started; the metadata server already answers as the new GSA', async () => {
    await withSandbox('pods-not-restarted', async (sb) => {
      const kube = sb.endpoints.kubernetes ?? '';
      const sa = (await (
        await fetch(`${kube}/api/v1/namespaces/shop/serviceaccounts/cart`)
      ).json()) as ServiceAccountObject;
      const annotate = sa.metadata.managedFields?.find((e) =>
        JSON.stringify(e.fieldsV1 ?? {}).includes(`f:${WI_ANNOTATION}`),
      );
      expect(annotate?.manager).toBe('kubectl-annotate');
      const changedAt = Date.parse(annotate?.time ?? '');
      const pods = (await (await fetch(`${kube}/api/v1/namespaces/shop/pods?labelSelector=app%3Dcart`)).json()) as {
        items: Pod[];
      };
      expect(pods.items.length).toBeGreaterThan(0);
      for (const p of pods.items) expect(Date.parse(p.status?.startTime ?? '')).toBeLessThan(changedAt);

      const cart = pod(sb, 'cart-');
      expect((await mds(cart, 'instance/service-accounts/default/email')).body).toBe(CART_GSA);
      expect((await mds(cart, TOKEN)).status).toBe(200);
    });
  });
});

describe('cross-project-impersonation (5.19)', () => {
  test('cart gets its own token, but serviceAccountUser on reader does not let it mint reader tokens', async () => {
    await withSandbox('cross-project-impersonation', async (sb) => {
      const answer = await mds(pod(sb, 'cart-'), TOKEN);
      expect(answer.status).toBe(200);
      const cartToken = (JSON.parse(answer.body) as { access_token: string }).access_token;
      const res = await fetch(
        `${sb.endpoints.iamcredentials}/v1/projects/-/serviceAccounts/${READER}:generateAccessToken`,
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${cartToken}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ scope: ['https://www.googleapis.com/auth/cloud-platform'] }),
        },
      );
      expect(res.status).toBe(403);
      const body = (await res.json()) as { error: { status: string; message: string } };
      expect(body.error.status).toBe('PERMISSION_DENIED');
      expect(body.error.message).toContain('iam.serviceAccounts.getAccessToken');
    });
  });
});
