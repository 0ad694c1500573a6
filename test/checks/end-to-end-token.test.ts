import { expect } from 'vitest';
import check from '../../src/checks/end-to-end-token.js';
import type { E2eResult, E2eStep } from '../../src/model/facts.js';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';

const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const DENIED = "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).";
const DISABLED_API =
  'IAM Service Account Credentials API has not been used in project 123456789012 before or it is disabled.';
const INVALID_TARGET =
  'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.';

const ok = (step: E2eStep['step']): E2eStep => ({ step, ok: true, ms: 5 });
const failed = (step: E2eStep['step'], status: number | undefined, error: string, code?: string): E2eStep => ({
  step,
  ok: false,
  ...(status !== undefined ? { status } : {}),
  error,
  ...(code !== undefined ? { code } : {}),
  ms: 7,
});

function chain(b: BundleEditor, subject: string, steps: E2eStep[], gsa: string | undefined = GSA): void {
  const [ns = '', ksa = ''] = subject.split('/');
  const result: E2eResult = { subject, ...(gsa ? { gsa } : {}), steps, at: '2026-11-12T14:00:00Z' };
  b.set(`e2e/${ns}.${ksa}.json`, result);
}

const cartWorks = (b: BundleEditor) =>
  chain(b, 'shop/cart', [ok('token-request'), ok('sts-exchange'), ok('generate-access-token')]);
const cartDenied = (b: BundleEditor) =>
  chain(b, 'shop/cart', [
    ok('token-request'),
    ok('sts-exchange'),
    failed('generate-access-token', 403, DENIED, 'PERMISSION_DENIED'),
  ]);
const e2e = { e2e: true };
const cart = { ksa: ['shop/cart'] };

describeCheck(check, [
  {
    name: 'without --e2e it skips and says how to ask for it',
    subject: cart,
    patch: cartWorks,
    expect: { status: 'skip', cause: /not requested: add --e2e \(live only\)/ },
  },
  {
    name: 'with --e2e but no recorded chain it is unknown, never pass',
    subject: cart,
    options: e2e,
    expect: { status: 'unknown', missing: /run with --e2e \(live only\)/ },
  },
  {
    name: 'every step ok and static agrees: pass naming the GSA',
    subject: cart,
    options: e2e,
    patch: cartWorks,
    expect: { status: 'pass', cause: /works: TokenRequest \(audience `acme-shop\.svc\.id\.goog`\).*`cart@acme-shop/ },
  },
  {
    name: 'direct binding: the federated token is the result',
    subject: { ksa: ['shop/api'] },
    options: e2e,
    patch: (b) => chain(b, 'shop/api', [ok('token-request'), ok('sts-exchange')], undefined),
    expect: { status: 'pass', cause: /direct binding/ },
  },
  {
    name: 'a 403 while the static chain is fine is a loud disagreement with the exact text',
    subject: cart,
    options: e2e,
    patch: cartDenied,
    expect: {
      status: 'fail',
      cause:
        /STATIC AND LIVE DISAGREE: static analysis says this should work, but .*`generate-access-token` \(generateAccessToken, 403 PERMISSION_DENIED: "Permission 'iam\.serviceAccounts\.getAccessToken' denied on resource \(or it may not exist\)\."\) — IAM propagation \(2–7 min after a change\), an IAM condition, a deny policy, or a gap in wi-doctor's model/,
      fix: ['manual'],
      evidence: (e) => {
        expect(e.actual).toEqual([
          { step: 'token-request', ok: true, ms: 5 },
          { step: 'sts-exchange', ok: true, ms: 5 },
          { step: 'generate-access-token', ok: false, status: 403, code: 'PERMISSION_DENIED', error: DENIED, ms: 7 },
        ]);
        // What static analysis saw, said once.
        expect((e.notes ?? []).filter((n) => n.startsWith('static analysis:'))).toHaveLength(1);
      },
    },
  },
  {
    name: 'a 403 with the binding missing agrees with wi-binding',
    example: 'missing-binding',
    subject: cart,
    options: e2e,
    patch: cartDenied,
    expect: {
      status: 'fail',
      cause: /failed at `generate-access-token`.*as static analysis predicts: no policy grants .*\(see wi-binding\)$/,
    },
  },
  {
    name: 'the IAM Credentials API disabled: agrees with iamcredentials-api-enabled',
    example: 'iamcredentials-disabled',
    subject: cart,
    options: e2e,
    patch: (b) =>
      chain(b, 'shop/cart', [
        ok('token-request'),
        ok('sts-exchange'),
        failed('generate-access-token', 403, DISABLED_API, 'PERMISSION_DENIED'),
      ]),
    expect: { status: 'fail', cause: /has not been used in project.*\(see iamcredentials-api-enabled\)$/ },
  },
  {
    name: 'a disabled GSA: agrees with gsa-enabled',
    example: 'gsa-disabled',
    subject: cart,
    options: e2e,
    patch: (b) =>
      chain(b, 'shop/cart', [
        ok('token-request'),
        ok('sts-exchange'),
        failed('generate-access-token', 400, 'Precondition check failed.', 'FAILED_PRECONDITION'),
      ]),
    expect: { status: 'fail', cause: /400 FAILED_PRECONDITION.*is disabled \(see gsa-enabled\)$/ },
  },
  {
    name: 'a conditional grant whose condition did not hold: fail, no disagreement',
    example: 'conditional-binding',
    subject: cart,
    options: e2e,
    patch: cartDenied,
    expect: { status: 'fail', cause: /only under a condition.*and the condition did not hold \(see wi-binding\)$/ },
  },
  {
    name: 'the chain works although static says the binding is missing: loud reverse disagreement',
    example: 'missing-binding',
    subject: cart,
    options: e2e,
    patch: cartWorks,
    expect: {
      status: 'warn',
      cause:
        /STATIC AND LIVE DISAGREE: the live token chain .* works .*but static analysis says it should not: no policy grants/,
      fix: ['manual'],
    },
  },
  {
    name: 'STS refusing the audience while static is fine is a disagreement naming STS words',
    subject: cart,
    options: e2e,
    patch: (b) =>
      chain(b, 'shop/cart', [ok('token-request'), failed('sts-exchange', 400, INVALID_TARGET, 'invalid_target')]),
    expect: {
      status: 'fail',
      cause: /DISAGREE.*`sts-exchange` \(STS exchange, 400 invalid_target: "The target service/,
    },
  },
  {
    name: "wi-doctor's own TokenRequest refused is unknown with the RBAC it needs",
    subject: cart,
    options: e2e,
    patch: (b) =>
      chain(b, 'shop/cart', [
        failed(
          'token-request',
          403,
          'serviceaccounts "cart" is forbidden: User "alice" cannot create resource "serviceaccounts/token"',
          'Forbidden',
        ),
      ]),
    expect: { status: 'unknown', missing: /create serviceaccounts\/token in namespace shop/ },
  },
  {
    name: 'a timeout says nothing about the workload: unknown',
    subject: cart,
    options: e2e,
    patch: (b) =>
      chain(b, 'shop/cart', [ok('token-request'), failed('sts-exchange', undefined, 'timed out after 20 s')]),
    expect: { status: 'unknown', cause: /timed out after 20 s/ },
  },
  {
    name: 'a missing KSA fails at token-request, as ksa-exists predicts',
    subject: { workload: ['shop/deployment/cart'] },
    options: e2e,
    patch: (b) => {
      b.removeK8s('serviceaccounts', 'shop', 'cart');
      chain(b, 'shop/cart', [failed('token-request', 404, 'serviceaccounts "cart" not found', 'NotFound')]);
    },
    expect: { status: 'fail', cause: /`token-request`.*404 NotFound.*\(see ksa-exists\)$/ },
  },
  {
    name: 'a record that stops without a failure is unknown',
    subject: cart,
    options: e2e,
    patch: (b) => chain(b, 'shop/cart', [ok('token-request'), ok('sts-exchange')]),
    expect: { status: 'unknown', cause: /stops before `generate-access-token`/ },
  },
  {
    name: 'a malformed record is unknown',
    subject: cart,
    options: e2e,
    patch: (b) => b.set('e2e/shop.cart.json', { subject: 'shop/cart', steps: 'all good' }),
    expect: { status: 'unknown', missing: /e2e\/shop\.cart\.json/ },
  },
  {
    name: 'an annotation that is no email skips',
    subject: cart,
    options: e2e,
    patch: (b) =>
      b.k8s('serviceaccounts', 'shop', 'cart', (sa) => {
        sa.metadata.annotations['iam.gke.io/gcp-service-account'] = 'cart';
      }),
    expect: { status: 'skip', cause: /ksa-annotation/ },
  },
]);
