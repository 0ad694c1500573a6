// The failure a scenario plays, as a user with kubectl sees it: the app's Google-client error in
// `kubectl logs`, the gke-metadata-server's own line for the refused request, the metadata server's text
// through `kubectl exec … curl`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import { HAS_KUBECTL, scenario } from '../helpers.js';
import { kubectlFor, type Kubectl } from './kubectl.js';

describe.skipIf(!HAS_KUBECTL)('missing-binding through kubectl', () => {
  let sb: RunningSandbox;
  let kubectl: Kubectl;
  beforeAll(async () => {
    sb = await startSandbox({ scenario: scenario('missing-binding') });
    kubectl = kubectlFor(sb);
  });
  afterAll(async () => {
    kubectl.dispose();
    await sb.stop();
  });

  it("the app logs google-auth-library's error with the metadata server's text", async () => {
    const r = await kubectl(['logs', 'deployment/cart', '-n', 'shop']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "ERROR A Forbidden error was returned while attempting to retrieve an access token for the Compute Engine built-in service account. This may be because the Compute Engine instance does not have the correct permission scopes specified: Could not refresh access token: Unable to generate access token; IAM returned 403 Forbidden: Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
    );
  });

  it("the node's gke-metadata-server logs the refusal; curl in the pod shows the 403 body", async () => {
    const mdsPod = (
      await kubectl([
        'get',
        'pods',
        '-n',
        'kube-system',
        '--field-selector',
        'spec.nodeName=gke-prod-default-pool-1a2b3c4d-x1y2',
        '-o',
        'name',
      ])
    ).stdout.trim();
    const mds = await kubectl(['logs', '-n', 'kube-system', mdsPod]);
    expect(mds.stdout).toMatch(
      /^E\d{4} [\d:.]+\s+1 \S+\] \[pod:shop\/cart-7d9f8b6c5d-abcde ip:[\d.]+\] "\/computeMetadata\/v1\/instance\/service-accounts\/default\/token" HTTP\/403: Unable to generate access token; IAM returned 403 Forbidden: Permission 'iam\.serviceAccounts\.getAccessToken' denied/m,
    );
    const curl = await kubectl([
      'exec',
      'deployment/cart',
      '-n',
      'shop',
      '--',
      'curl',
      '-s',
      '-H',
      'Metadata-Flavor: Google',
      'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token',
    ]);
    expect(curl.code).toBe(0);
    expect(curl.stdout).toMatch(/^Unable to generate access token; IAM returned 403 Forbidden: /);
    expect(curl.stdout).toContain(
      'This error could be caused by a missing IAM policy binding on the target IAM service account.',
    );
  });
});
