// --e2e against the sandbox: the live collector runs the real token chain over HTTP (TokenRequest through
// @kubernetes/client-node, STS form-encoded, generateAccessToken through @googleapis/iamcredentials), and
// end-to-end-token reads the recorded outcomes and reconciles them with the static facts.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import e2eCheck from '../../src/checks/end-to-end-token.js';
import { CHECKS } from '../../src/checks/index.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import type { BundleInput } from '../../src/collect/bundle/facts.js';
import { collectLiveInput, requiredFacts } from '../../src/collect/live/live.js';
import { diagnose } from '../../src/engine/diagnose.js';
import type { E2eResult } from '../../src/model/facts.js';
import type { CheckResult, Report } from '../../src/model/results.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';

const SCENARIOS = join(import.meta.dirname, '../../scenarios');
const GSA = 'cart-gsa@acme-shop.iam.gserviceaccount.com';
const DENIED = "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).";
/** The registry may or may not hold the check yet: never run it twice. */
const checks = CHECKS.some((c) => c.id === e2eCheck.id) ? CHECKS : [...CHECKS, e2eCheck];

let running: RunningSandbox | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function sandbox(name: string): Promise<RunningSandbox> {
  running = await startSandbox({ scenario: join(SCENARIOS, `${name}.yaml`) });
  return running;
}

async function diagnoseLive(sb: RunningSandbox): Promise<{ input: BundleInput; report: Report }> {
  // Only the sandbox's env object points the collector at it; google-auth-library never probes a real server.
  const env = { ...sb.env, METADATA_SERVER_DETECTION: 'none', GCE_METADATA_HOST: '127.0.0.1:9' };
  const { input } = await collectLiveInput(
    { ksa: ['shop/cart', 'shop/api'], e2e: true, kubeconfig: sb.kubeconfig },
    requiredFacts(checks),
    { env },
  );
  const report = diagnose(factsFromFiles(input), checks, {
    targets: { ksa: ['shop/cart', 'shop/api'] },
    options: { need: [], on: undefined, impersonate: undefined, e2e: true },
    source: 'live',
    version: 'test',
  });
  return { input, report };
}

function result(report: Report, check: string, subject: string): CheckResult {
  const found = report.results.find((r) => r.check === check && r.subject === subject);
  if (!found) throw new Error(`no ${check} result for ${subject}`);
  return found;
}

function recorded(input: BundleInput, file: string): E2eResult {
  const entry = input.files.get(file);
  if (!entry || !('json' in entry)) throw new Error(`no ${file}`);
  return entry.json as E2eResult;
}

describe('end-to-end-token against the sandbox', () => {
  it('healthy: both KSAs get through the chain, and no token is recorded', async () => {
    const { input, report } = await diagnoseLive(await sandbox('healthy'));
    const cart = result(report, 'end-to-end-token', 'shop/cart');
    expect(cart.status).toBe('pass');
    expect(cart.cause).toContain(`generateAccessToken for GSA \`${GSA}\` all succeeded`);
    const api = result(report, 'end-to-end-token', 'shop/api');
    expect(api.status).toBe('pass');
    expect(api.cause).toContain('direct binding');
    expect(recorded(input, 'e2e/shop.cart.json').steps.map((s) => [s.step, s.ok])).toEqual([
      ['token-request', true],
      ['sts-exchange', true],
      ['generate-access-token', true],
    ]);
    expect(recorded(input, 'e2e/shop.api.json').steps.map((s) => s.step)).toEqual(['token-request', 'sts-exchange']);
    // A JWT starts with `eyJ`; the sandbox's access tokens with `ya29.`.
    const everything = JSON.stringify([...input.files.entries()]);
    expect(everything).not.toMatch(/eyJ[\w-]{10,}|ya29\./);
  });

  it('missing-binding: fails at generate-access-token with the exact 403 text, as wi-binding predicts', async () => {
    const { input, report } = await diagnoseLive(await sandbox('missing-binding'));
    const steps = recorded(input, 'e2e/shop.cart.json').steps;
    expect(steps.at(-1)).toMatchObject({
      step: 'generate-access-token',
      ok: false,
      status: 403,
      code: 'PERMISSION_DENIED',
      error: DENIED,
    });
    const cart = result(report, 'end-to-end-token', 'shop/cart');
    expect(cart.status).toBe('fail');
    expect(cart.cause).toContain(`\`generate-access-token\` (generateAccessToken, 403 PERMISSION_DENIED: "${DENIED}")`);
    expect(cart.cause).toMatch(/as static analysis predicts: .*\(see wi-binding\)$/);
    expect(cart.cause).not.toContain('DISAGREE');
    // The verdict's root cause stays the static one: e2e comes last in the chain.
    expect(report.verdicts.find((v) => v.subject === 'shop/cart')?.rootCause).toBe('wi-binding');
  });

  it('iamcredentials-disabled: fails at generate-access-token with Google’s service-disabled text', async () => {
    const { report } = await diagnoseLive(await sandbox('iamcredentials-disabled'));
    const cart = result(report, 'end-to-end-token', 'shop/cart');
    expect(cart.status).toBe('fail');
    expect(cart.cause).toMatch(
      /`generate-access-token` .*403 PERMISSION_DENIED: "IAM Service Account Credentials API has not been used in project 123456789012 before or it is disabled\./,
    );
    expect(cart.cause).toMatch(/\(see iamcredentials-api-enabled\)$/);
    // Direct binding never calls IAM Credentials: its chain works.
    expect(result(report, 'end-to-end-token', 'shop/api').status).toBe('pass');
  });

  it('gsa-disabled: fails at generate-access-token, as gsa-enabled predicts', async () => {
    const { report } = await diagnoseLive(await sandbox('gsa-disabled'));
    const cart = result(report, 'end-to-end-token', 'shop/cart');
    expect(cart.status).toBe('fail');
    expect(cart.cause).toMatch(/`generate-access-token` .*\(see gsa-enabled\)$/);
  });

  it('iam-propagation: a binding just added reads fine but the token is refused: a loud disagreement', async () => {
    const sb = await sandbox('iam-propagation');
    // Grant the binding now through the IAM API, as a user fixing it would; the sandbox applies it after 120 s.
    const url = `${sb.endpoints.iam}/v1/projects/acme-shop/serviceAccounts/${GSA}:setIamPolicy`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sb.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        policy: {
          bindings: [
            { role: 'roles/iam.workloadIdentityUser', members: ['serviceAccount:acme-shop.svc.id.goog[shop/cart]'] },
          ],
        },
      }),
    });
    expect(res.status).toBe(200);

    const { report } = await diagnoseLive(sb);
    expect(result(report, 'wi-binding', 'shop/cart').status).toBe('pass');
    const cart = result(report, 'end-to-end-token', 'shop/cart');
    expect(cart.status).toBe('fail');
    expect(cart.cause).toMatch(
      /^STATIC AND LIVE DISAGREE: static analysis says this should work, but the live token chain of KSA `shop\/cart` failed at `generate-access-token`/,
    );
    expect(cart.cause).toContain('IAM propagation (2–7 min after a change)');
    expect(cart.cause).toContain(DENIED);
    // Nothing static failed, so the live chain is the root cause the user sees first.
    expect(report.verdicts.find((v) => v.subject === 'shop/cart')?.rootCause).toBe('end-to-end-token');
  });
});
