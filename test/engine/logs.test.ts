// `wi-doctor logs` from bundle facts: the logging state comes first, "no entries" never reads as "not used",
// entries are counted per step within the window, failures grouped, callers named, links carry the query.

import { describe, expect, it } from 'vitest';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { logsReport } from '../../src/engine/logs.js';
import type { LogsReport } from '../../src/engine/logs.js';
import { loadExampleFiles } from '../fixtures/load-example.js';
import { BundleEditor } from '../helpers/check-table.js';

const DAY = 86_400_000;
const LOGS = 'gcp/logs/iamcredentials.json';
const POLICY = 'gcp/projects/acme-shop.iam-policy.json';

function report(patch?: (b: BundleEditor) => void, ksa = 'shop/cart', sinceMs = 7 * DAY): LogsReport {
  const input = loadExampleFiles('healthy');
  patch?.(new BundleEditor(input));
  return logsReport(factsFromFiles(input), { ksa, sinceMs, source: 'test' });
}
const gat = (r: LogsReport) => r.steps.find((s) => s.step === 'generate-access-token');

describe('logs report', () => {
  it('healthy: one success by shop/cart, logs on for IAM, off for STS (said plainly)', () => {
    const r = report();
    expect(r.logging.map((l) => [l.service, l.state])).toEqual([
      ['iam.googleapis.com', 'on'],
      ['sts.googleapis.com', 'off'],
    ]);
    expect(gat(r)).toMatchObject({ total: 1, ok: 1, failed: 0, lastSuccess: { caller: 'KSA shop/cart' } });
    expect(r.statements.join('\n')).toMatch(/STS .*"no entries" does not mean "not used"/);
    expect(gat(r)?.explorer?.url).toMatch(
      /^https:\/\/console\.cloud\.google\.com\/logs\/query;query=.*\?project=acme-shop$/,
    );
  });

  it('logs off for IAM: "no entries" is never "not used"', () => {
    const r = report((b) => {
      b.edit(POLICY, (p: { auditConfigs?: object[] }) => {
        delete p.auditConfigs;
      });
      b.set(LOGS, []);
    });
    expect(r.logging[0]?.state).toBe('off');
    expect(r.statements[0]).toMatch(/ADMIN_READ Data Access logs are off .*"no entries" does not mean "not used"/);
  });

  it('logs on but no known window: no entry proves nothing', () => {
    const r = report((b) => b.set(LOGS, []));
    expect(r.statements[0]).toMatch(/no entry in the collected logs, but the time window .* is unknown/);
  });

  it('logs on and a complete query over the window: no entry means nothing asked', () => {
    const r = report((b) => {
      b.set(LOGS, []);
      b.manifest.logQueries = [
        {
          file: LOGS,
          filter: 'protoPayload.methodName:"GenerateAccessToken"',
          since: '2026-11-01T00:00:00Z',
          until: '2026-11-28T17:00:00Z',
          complete: true,
          serviceAccounts: ['cart@acme-shop.iam.gserviceaccount.com'],
        },
      ];
    });
    expect(r.statements[0]).toMatch(/no entry in the last 7d .* with the logs on: nothing asked for these tokens/);
  });

  it('failures grouped by status, outside-window entries left out', () => {
    const r = report((b) =>
      b.edit(LOGS, (entries: Record<string, unknown>[]) => {
        const [ok] = entries;
        const fail = (at: string) => ({
          ...ok,
          timestamp: at,
          severity: 'ERROR',
          protoPayload: {
            ...(ok?.protoPayload as object),
            authenticationInfo: {},
            status: { code: 7, message: 'PERMISSION_DENIED' },
          },
        });
        return [...entries, fail('2026-11-28T10:00:00Z'), fail('2026-11-27T10:00:00Z'), fail('2026-10-01T10:00:00Z')];
      }),
    );
    expect(gat(r)).toMatchObject({ total: 3, ok: 1, failed: 2 });
    expect(gat(r)?.failures).toEqual([
      { code: 7, message: 'PERMISSION_DENIED', count: 2, last: '2026-11-28T10:00:00Z' },
    ]);
    expect(gat(r)?.callers.map((c) => c.caller)).toContain('unrecorded (failed calls log no caller)');
  });

  it('a direct-binding KSA has no GenerateAccessToken step', () => {
    const r = report(undefined, 'shop/api');
    expect(r.model).toBe('direct');
    expect(r.steps.map((s) => s.step)).toEqual(['sts-exchange']);
  });

  it('malformed entries are skipped and counted; one of the wrong type is left out when read, and named', () => {
    const malformed = (b: BundleEditor) =>
      b.edit(LOGS, (entries: unknown[]) => [...entries, { protoPayload: {} }, { protoPayload: 'x' }]);
    const r = report(malformed);
    // `{protoPayload: {}}` has the shape but no method: skipped by the reader of entries. `{protoPayload: 'x'}`
    // does not validate: the input boundary leaves it out and says where.
    expect(r.skipped).toBe(1);
    expect(gat(r)?.total).toBe(1);
    const input = loadExampleFiles('healthy');
    malformed(new BundleEditor(input));
    const entries = (input.files.get(LOGS) as { json: unknown[] }).json.length;
    expect(factsFromFiles(input).notes).toContain(
      `${LOGS}: [${entries - 1}].protoPayload: must be object (found string); that entry is left out, and the file proves no absence`,
    );
  });
});
