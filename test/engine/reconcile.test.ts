// A working --e2e chain against the static verdict: the chain settles the static unknowns of the links it went
// through and turns their failures into disagreements; links it does not go through keep their verdict.

import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { chainWorked, reconcileWithLiveChain } from '../../src/engine/reconcile.js';
import { resolveSubjects } from '../../src/engine/subjects.js';
import type { E2eResult, E2eStep } from '../../src/model/facts.js';
import type { CheckResult } from '../../src/model/results.js';
import { BundleEditor } from '../helpers/check-table.js';
import { loadExampleFiles } from '../fixtures/load-example.js';

const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const GSA_POLICY = `gcp/service-accounts/${GSA}.iam-policy.json`;
const ok = (step: E2eStep['step']): E2eStep => ({ step, ok: true, ms: 5 });
const DENIED = "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).";

function chain(b: BundleEditor, subject: string, steps: E2eStep[], gsa?: string): void {
  const [ns = '', ksa = ''] = subject.split('/');
  const result: E2eResult = { subject, ...(gsa ? { gsa } : {}), steps, at: '2026-11-28T17:00:00Z' };
  b.set(`e2e/${ns}.${ksa}.json`, result);
}

function report(patch: (b: BundleEditor) => void, ksa: string, e2e = true) {
  const input = loadExampleFiles('healthy');
  patch(new BundleEditor(input));
  return diagnose(factsFromFiles(input), CHECKS, {
    targets: { ksa: [ksa] },
    options: { ...DEFAULT_OPTIONS, e2e },
    source: 'test',
    version: 'test',
  });
}

const result = (r: ReturnType<typeof report>, check: string, subject: string) =>
  r.results.find((x) => x.check === check && x.subject === subject);

const apiWorks = (b: BundleEditor) => chain(b, 'shop/api', [ok('token-request'), ok('sts-exchange')]);
const cartWorks = (b: BundleEditor) =>
  chain(b, 'shop/cart', [ok('token-request'), ok('sts-exchange'), ok('generate-access-token')], GSA);

describe('reconciling the static verdict with a working --e2e chain', () => {
  it('direct binding, grant not read (live): the chain settles ksa-annotation and the verdict is no longer in doubt', () => {
    const noBucket = (b: BundleEditor) => b.remove('gcp/resources/acme-shop-assets.json');
    const without = report(noBucket, 'shop/api', false);
    expect(result(without, 'ksa-annotation', 'shop/api')?.status).toBe('unknown');

    const r = report((b) => (noBucket(b), apiWorks(b)), 'shop/api');
    const annotation = result(r, 'ksa-annotation', 'shop/api');
    expect(annotation?.status).toBe('pass');
    expect(annotation?.cause).toMatch(
      /^settled by the live token chain \(see end-to-end-token\): the live token chain/,
    );
    expect(annotation?.missing).toBeUndefined();
    expect(annotation?.evidence?.notes?.join('\n')).toMatch(/static analysis alone could not decide: KSA `shop\/api`/);
    const verdict = r.verdicts.find((v) => v.subject === 'shop/api');
    expect(verdict?.rootCause).toBeNull();
    expect(verdict?.ruledOut.join('\n')).toMatch(/ksa-annotation: settled by the live token chain/);
    expect(verdict?.notEvaluated.join('\n')).not.toMatch(/ksa-annotation/);
  });

  it("direct binding: the chain does not settle a typo'd key (the pods run without the GSA meant)", () => {
    const r = report((b) => {
      b.k8s('serviceaccounts', 'shop', 'api', (sa: any) => {
        sa.metadata.annotations = { 'iam.gke.io/gcp-service-acount': GSA };
      });
      apiWorks(b);
    }, 'shop/api');
    expect(result(r, 'ksa-annotation', 'shop/api')?.status).toBe('fail');
    expect(r.verdicts[0]?.rootCause).toBe('ksa-annotation');
  });

  it('impersonation: a static wi-binding failure under a working chain is a disagreement (warn), not the root cause', () => {
    const r = report((b) => {
      b.edit(GSA_POLICY, (p: any) => {
        p.bindings = [];
      });
      cartWorks(b);
    }, 'shop/cart');
    const binding = result(r, 'wi-binding', 'shop/cart');
    expect(binding?.status).toBe('warn');
    expect(binding?.cause).toMatch(
      /^STATIC AND LIVE DISAGREE: the live token chain works .*static analysis says: no policy grants/,
    );
    expect(result(r, 'end-to-end-token', 'shop/cart')?.status).toBe('warn');
    expect(r.verdicts[0]?.rootCause).toBeNull();
    expect(r.summary.fail).toBe(0);
  });

  it('impersonation: an unreadable GSA (describe, list and policy 403) is settled by generateAccessToken', () => {
    const r = report((b) => {
      const denied = '403 PERMISSION_DENIED: iam.serviceAccounts.get';
      b.error(`gcp/service-accounts/${GSA}.json`, denied);
      b.error('gcp/projects/acme-shop.service-accounts.json', '403 PERMISSION_DENIED: iam.serviceAccounts.list');
      b.error(GSA_POLICY, '403 PERMISSION_DENIED: iam.serviceAccounts.getIamPolicy');
      cartWorks(b);
    }, 'shop/cart');
    for (const check of ['gsa-exists', 'gsa-enabled', 'wi-binding']) {
      expect(result(r, check, 'shop/cart')?.status, check).toBe('pass');
    }
    expect(r.verdicts[0]?.notEvaluated.join('\n')).not.toMatch(/^(gsa-exists|gsa-enabled|wi-binding):/m);
  });

  it('links the chain does not go through keep their failure: a blocking NetworkPolicy stays the root cause', () => {
    const r = report((b) => {
      b.edit('gcp/cluster.json', (c: any) => {
        c.networkConfig = { ...c.networkConfig, datapathProvider: 'ADVANCED_DATAPATH' };
      });
      b.addK8s({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'deny', namespace: 'shop' },
        spec: { podSelector: {}, policyTypes: ['Egress'] },
      } as never);
      cartWorks(b);
    }, 'shop/cart');
    expect(result(r, 'network-policy-metadata', 'shop/cart')?.status).toBe('fail');
    expect(r.verdicts[0]?.rootCause).toBe('network-policy-metadata');
  });

  it('a failed chain reconciles nothing: the static failure stays', () => {
    const r = report((b) => {
      b.edit(GSA_POLICY, (p: any) => {
        p.bindings = [];
      });
      chain(
        b,
        'shop/cart',
        [
          ok('token-request'),
          ok('sts-exchange'),
          { step: 'generate-access-token', ok: false, status: 403, error: DENIED, code: 'PERMISSION_DENIED', ms: 9 },
        ],
        GSA,
      );
    }, 'shop/cart');
    expect(result(r, 'wi-binding', 'shop/cart')?.status).toBe('fail');
    expect(r.verdicts[0]?.rootCause).toBe('wi-binding');
  });

  it('without --e2e nothing is reconciled, even when a chain was recorded', () => {
    const r = report(
      (b) => {
        b.edit(GSA_POLICY, (p: any) => {
          p.bindings = [];
        });
        cartWorks(b);
      },
      'shop/cart',
      false,
    );
    expect(result(r, 'wi-binding', 'shop/cart')?.status).toBe('fail');
  });

  it("a shared result stays as it is in the report; only the subject's verdict reconciles it", () => {
    const r = report((b) => {
      b.edit('gcp/projects/acme-shop.services.json', (s: any) =>
        (Array.isArray(s) ? s : s.services).filter((x: any) => !JSON.stringify(x).includes('iamcredentials')),
      );
      cartWorks(b);
    }, 'shop/cart');
    const api = result(r, 'iamcredentials-api-enabled', 'projects/acme-shop');
    expect(api?.status).toBe('fail');
    expect(r.verdicts[0]?.rootCause).toBeNull();
  });
});

describe('reconcileWithLiveChain on its own', () => {
  const input = loadExampleFiles('healthy');
  const facts = factsFromFiles(input);
  const [cart] = resolveSubjects(facts, { ksa: ['shop/cart'] });
  if (cart === undefined) throw new Error('no subject');
  const r = (check: string, status: CheckResult['status']): CheckResult => ({
    check,
    status,
    subject: 'shop/cart',
    title: check,
    cause: `${check} ${status}`,
    fix: [],
    docs: '',
    location: 'x',
  });

  it.each(['pass', 'warn'] as const)('an end-to-end-token %s means the chain worked', (status) => {
    expect(chainWorked([r('end-to-end-token', status)], 'shop/cart')).toBeDefined();
  });

  it.each(['fail', 'unknown', 'skip'] as const)('an end-to-end-token %s does not', (status) => {
    expect(chainWorked([r('end-to-end-token', status)], 'shop/cart')).toBeUndefined();
  });

  it("another subject's chain does not count", () => {
    expect(chainWorked([{ ...r('end-to-end-token', 'pass'), subject: 'shop/api' }], 'shop/cart')).toBeUndefined();
  });

  it('leaves results of checks the chain does not cover untouched, and returns the same objects', () => {
    const input = [r('end-to-end-token', 'pass'), r('nodepool-gke-metadata', 'fail'), r('gsa-permission', 'unknown')];
    const out = reconcileWithLiveChain(cart, input);
    expect(out).toEqual(input);
    expect(out[1]).toBe(input[1]);
  });

  it('under impersonation ksa-annotation is not settled by the chain', () => {
    const out = reconcileWithLiveChain(cart, [r('end-to-end-token', 'pass'), r('ksa-annotation', 'unknown')]);
    expect(out[1]?.status).toBe('unknown');
  });
});
