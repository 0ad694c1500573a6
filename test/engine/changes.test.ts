// Who changed it: a failing wi-binding, gsa-exists, gsa-enabled or ksa-annotation says who broke it, when, from
// where and with which tool, when the collected Admin Activity log (or managedFields) recorded it — and nothing is
// claimed from entries that do not fit (another member, another account, a failed call, an ADD).

import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { changeTargets } from '../../src/engine/changes.js';
import { resolveSubjects } from '../../src/engine/subjects.js';
import type { Report } from '../../src/model/results.js';
import { loadExampleFiles } from '../fixtures/load-example.js';
import { BundleEditor } from '../helpers/check-table.js';

const CART = 'cart@acme-shop.iam.gserviceaccount.com';
const ACTIVITY = 'gcp/logs/admin-activity.json';

function run(example: string, patch?: (b: BundleEditor) => void): Report {
  const input = loadExampleFiles(example);
  patch?.(new BundleEditor(input));
  return diagnose(factsFromFiles(input), CHECKS, {
    targets: { ksa: ['shop/cart'] },
    options: DEFAULT_OPTIONS,
    source: example,
    version: 'test',
  });
}
const result = (r: Report, check: string) => r.results.find((x) => x.check === check && x.subject === 'shop/cart');

describe('who changed it', () => {
  it('a removed binding: who, when, from where, with gcloud — in the result and in the verdict', () => {
    const report = run('missing-binding');
    const wi = result(report, 'wi-binding');
    expect(wi?.status).toBe('fail');
    expect(wi?.changes?.[0]).toMatchObject({
      source: 'admin-activity',
      kind: 'binding-removed',
      by: 'alice@acme.example',
      at: '2026-11-27T14:02:11.538Z',
      callerIp: '203.0.113.24',
      tool: 'gcloud',
      role: 'roles/iam.workloadIdentityUser',
      member: 'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
    });
    expect(wi?.evidence?.notes?.join('\n')).toMatch(
      /changed: .*removed .* by alice@acme.example at 2026-11-27T14:02:11.538Z from 203.0.113.24 with gcloud/,
    );
    const verdict = report.verdicts.find((v) => v.subject === 'shop/cart');
    expect(verdict?.change?.by).toBe('alice@acme.example');
    expect(verdict?.headline).toMatch(
      /— `roles\/iam.workloadIdentityUser` for `serviceAccount:acme-shop.svc.id.goog\[shop\/cart\]` was removed/,
    );
  });

  it('a disabled account: DisableServiceAccount by Terraform', () => {
    const report = run('gsa-disabled');
    const enabled = result(report, 'gsa-enabled');
    expect(enabled?.changes?.[0]).toMatchObject({
      kind: 'account-disabled',
      tool: 'Terraform',
      by: 'terraform@acme-admin.iam.gserviceaccount.com',
    });
    expect(report.verdicts[0]?.change?.kind).toBe('account-disabled');
  });

  it('an annotation typo: the field manager and time from managedFields (no person: said so)', () => {
    const report = run('annotation-typo');
    const annotation = result(report, 'ksa-annotation');
    expect(annotation?.changes?.[0]).toMatchObject({
      source: 'kubernetes-managed-fields',
      tool: 'kubectl-annotate',
      at: '2026-11-24T14:05:12Z',
    });
    expect(annotation?.evidence?.notes?.join('\n')).toMatch(/managedFields name the tool, not the person/);
  });

  it('nothing is attributed from entries that do not explain the failure', () => {
    const report = run('missing-binding', (b) =>
      b.edit(
        ACTIVITY,
        (
          entries: { protoPayload: { serviceData: { policyDelta: { bindingDeltas: object[] } }; status: object } }[],
        ) => {
          const [removal] = entries;
          if (!removal) throw new Error('no entry');
          const other = structuredClone(removal);
          other.protoPayload.serviceData.policyDelta.bindingDeltas = [
            {
              action: 'REMOVE',
              member: 'serviceAccount:acme-shop.svc.id.goog[shop/api]',
              role: 'roles/iam.workloadIdentityUser',
            },
          ];
          const added = structuredClone(removal);
          added.protoPayload.serviceData.policyDelta.bindingDeltas = [
            {
              action: 'ADD',
              member: 'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
              role: 'roles/iam.workloadIdentityUser',
            },
          ];
          const failed = structuredClone(removal);
          failed.protoPayload.status = { code: 7, message: 'PERMISSION_DENIED' };
          return [other, added, failed];
        },
      ),
    );
    const wi = result(report, 'wi-binding');
    expect(wi?.status).toBe('fail');
    expect(wi?.changes).toBeUndefined();
    expect(wi?.evidence?.notes?.join('\n')).toMatch(
      /no change about `cart@acme-shop.iam.gserviceaccount.com` that explains this in the Admin Activity log of the 400 days before collection/,
    );
    expect(report.verdicts[0]?.change).toBeUndefined();
  });

  it('a change about another account with the same role and member is not this one', () => {
    const report = run('missing-binding', (b) =>
      b.edit(
        ACTIVITY,
        (entries: { resource: { labels: Record<string, string> }; protoPayload: { resourceName: string } }[]) =>
          entries.map((e) => ({
            ...e,
            resource: {
              ...e.resource,
              labels: { ...e.resource.labels, email_id: 'other@acme-shop.iam.gserviceaccount.com', unique_id: '1' },
            },
            protoPayload: { ...e.protoPayload, resourceName: 'projects/-/serviceAccounts/1' },
          })),
      ),
    );
    expect(result(report, 'wi-binding')?.changes).toBeUndefined();
  });

  it('malformed entries are skipped, never a crash', () => {
    const report = run('missing-binding', (b) =>
      b.edit(ACTIVITY, (entries: unknown[]) => [
        42,
        { protoPayload: 'x' },
        { protoPayload: { methodName: 'google.iam.admin.v1.SetIAMPolicy' } },
        ...entries,
      ]),
    );
    expect(result(report, 'wi-binding')?.changes?.[0]?.by).toBe('alice@acme.example');
  });

  it('healthy: nothing fails, nothing is attached', () => {
    const report = run('healthy');
    expect(report.results.some((r) => r.changes !== undefined)).toBe(false);
  });

  it('the live collector is asked for the Admin Activity of the failing GSA’s project only when something failed', () => {
    for (const [example, expected] of [
      ['missing-binding', [{ project: 'acme-shop', emails: [CART], uniqueIds: ['269962557691428975596'] }]],
      ['healthy', []],
      ['annotation-typo', []],
    ] as const) {
      const facts = factsFromFiles(loadExampleFiles(example));
      const report = diagnose(facts, CHECKS, {
        targets: { all: true },
        options: DEFAULT_OPTIONS,
        source: 't',
        version: 't',
      });
      expect(changeTargets(report, facts, resolveSubjects(facts, { all: true })), example).toEqual(expected);
    }
  });
});
