// The commands that read more than a bundle's facts hold the same promises: `explain-error` shows a pasted
// text's control characters escaped and its secrets redacted (before the excerpt is cut), and `logs` does the
// same with what log entries say (callers' user agents, error messages), in text and JSON.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/results.js';
import { CONTROL, copyExample, editJson, runCli, scratch } from './helpers.js';
import type { CliRun } from './helpers.js';

const KEY_BODY = 'MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDnewCommandsKeyBody0123'.repeat(4);
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJuZXcifQ.newCommandsJwtSignature0123456789';
const DENIED = "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).";

function explain(stdin: string, format: string): Promise<CliRun> {
  return runCli(['explain-error', '-', '--format', format], { NO_COLOR: '1' }, stdin);
}

describe('explain-error on hostile text', () => {
  // The excerpt is cut at 240 characters: the key body starts before the cut and runs past it.
  const line = `\u001b]0;pwned\u0007 ${DENIED} \u202e token ${JWT} key ${KEY_BODY}`;

  it.each(['text', 'json'])('escapes control characters and redacts secrets (%s)', async (format) => {
    const run = await explain(`${line}\n`, format);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/get-access-token-denied/);
    for (const piece of ['newCommandsJwtSignature', 'eyJzdWIiOiJuZXcifQ', KEY_BODY.slice(40, 70)]) {
      expect(run.stdout).not.toContain(piece);
    }
    if (format === 'text') {
      expect(CONTROL.test(run.stdout)).toBe(false);
      expect(run.stdout).toContain('\\x1b]0;pwned\\x07');
      expect(run.stdout).toContain('\\u{202e}');
    }
  });
});

describe('logs on hostile log entries', () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());
  const bundle = copyExample('healthy', tmp.dir);
  editJson(bundle, 'gcp/logs/iamcredentials.json', (entries) => {
    const [first] = entries as unknown as Record<string, Record<string, unknown>>[];
    if (first?.protoPayload === undefined) throw new Error('the healthy example changed');
    const failed = structuredClone(first);
    first.protoPayload.requestMetadata = {
      callerIp: '10.4.1.17',
      callerSuppliedUserAgent: 'gke-metadata-server \u001b]0;pwned\u0007\u009b2J',
    };
    (failed.protoPayload as Record<string, unknown>).status = { code: 7, message: `denied \u001b[2J ${JWT}` };
    (failed as Record<string, unknown>).insertId = 'failed-1';
    return [first, failed];
  });

  it.each(['text', 'json'])('shows callers and messages escaped and redacted (%s)', async (format) => {
    const run = await runCli(['logs', '--from', bundle, '--ksa', 'shop/cart', '--since', '30d', '--format', format]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/GenerateAccessToken|generate-access-token/);
    expect(run.stdout).not.toContain('newCommandsJwtSignature');
    if (format === 'text') {
      expect(CONTROL.test(run.stdout)).toBe(false);
      expect(run.stdout).toMatch(/failed ×1: code 7 denied \\x1b\[2J eyJhbG…\[redacted\]/);
    }
    expect(CONTROL.test(run.stderr)).toBe(false);
  });
});

describe('Policy Analyzer activity at the boundary', () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());
  const GSA = 'cart@acme-shop.iam.gserviceaccount.com';
  const activity = (lastAuthenticatedTime: unknown) => ({
    activities: [
      {
        fullResourceName: `//iam.googleapis.com/projects/acme-shop/serviceAccounts/${GSA}`,
        activityType: 'serviceAccountLastAuthentication',
        observationPeriod: { startTime: '2026-01-01T00:00:00Z', endTime: '2026-11-27T00:00:00Z' },
        activity: { lastAuthenticatedTime },
      },
    ],
  });

  /** unused-gsa of the cart GSA on the healthy example without its logs and with this activity file. */
  async function unusedGsa(content: unknown): Promise<{ status?: string; cause?: string }> {
    const bundle = copyExample('healthy', tmp.dir, `activity-${String(Math.random()).slice(2)}`);
    rmSync(join(bundle, 'gcp/logs'), { recursive: true });
    writeFileSync(join(bundle, 'gcp/projects/acme-shop.sa-activity.json'), JSON.stringify(content));
    const run = await runCli(['audit', '--from', bundle, '--only', 'unused-gsa', '--format', 'json']);
    const report = JSON.parse(run.stdout) as Report;
    return report.results.find((r) => r.check === 'unused-gsa' && r.subject === GSA) ?? {};
  }

  it('a recent authentication passes', async () => {
    expect(await unusedGsa(activity('2026-11-26T07:00:00Z'))).toMatchObject({ status: 'pass' });
  });

  it.each([
    ['a time that is no time', activity('yesterday')],
    ['a number for the time', activity(1764140400)],
    ['activities that are no list', { activities: { not: 'a list' } }],
  ])('%s is unknown naming the field, never a pass or "unused"', async (_name, content) => {
    const result = await unusedGsa(content);
    expect(result.status).toBe('unknown');
    expect(result.cause).toMatch(/Policy Analyzer activity could not be read \(activities/);
  });
});
