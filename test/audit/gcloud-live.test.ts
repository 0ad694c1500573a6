// logs, who-changed-it and audit live against the sandbox, after real changes made with the real gcloud: the
// metadata server mints tokens (Data Access entries), gcloud removes a binding, disables the account, creates a
// key and grants Editor (Admin Activity entries with policy deltas); wi-doctor reads them back over HTTP.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LogsReport } from '../../src/engine/logs.js';
import type { Report } from '../../src/model/results.js';
import { HAS_GCLOUD, startCli, type Cli } from '../sandbox/gcloud-helpers.js';
import { CART_GSA, mds, pod } from '../sandbox/helpers.js';
import { runCli } from '../helpers/memory-io.js';

const KSA_MEMBER = 'serviceAccount:acme-shop.svc.id.goog[shop/cart]';

describe.skipIf(!HAS_GCLOUD)('logs, who changed it and audit after real gcloud changes', { timeout: 240_000 }, () => {
  let cli: Cli;
  let env: NodeJS.ProcessEnv;
  const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-gcloud-live-'));

  const wiDoctor = (...args: string[]) => runCli(args, env);
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse((await wiDoctor(...args)).stdout) as T;
  const mint = async () => (await mds(pod(cli.sb, 'cart-'), 'instance/service-accounts/default/token')).status;

  beforeAll(async () => {
    cli = await startCli('healthy');
    env = {
      ...cli.env,
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
      NO_COLOR: '1',
    };
  });
  afterAll(async () => {
    await cli.stop();
    rmSync(temp, { recursive: true, force: true });
  });

  test('logs: tokens minted by the pod are counted, with their caller and the Logs Explorer link', async () => {
    expect(await mint()).toBe(200);
    expect(await mint()).toBe(200);
    const r = await json<LogsReport>('logs', '--ksa', 'shop/cart', '--since', '1h', '--format', 'json');
    expect(r.logging.find((l) => l.service === 'iam.googleapis.com')?.state).toBe('on');
    const gat = r.steps.find((s) => s.step === 'generate-access-token');
    expect(gat?.ok).toBeGreaterThanOrEqual(1);
    expect(gat?.failed).toBe(0);
    expect(gat?.lastSuccess?.caller).toBe('KSA shop/cart');
    expect(gat?.explorer?.url).toMatch(/^https:\/\/console\.cloud\.google\.com\/logs\/query;query=/);
    expect(gat?.coverage).not.toMatch(/unknown|newest entries only/);
  });

  test('a binding removed with gcloud: the pod is refused, logs count the failure, check names who removed it', async () => {
    await cli.gcloud(
      'iam',
      'service-accounts',
      'remove-iam-policy-binding',
      CART_GSA,
      '--role=roles/iam.workloadIdentityUser',
      `--member=${KSA_MEMBER}`,
    );
    expect(await mint()).toBe(403);
    const r = await json<LogsReport>('logs', '--ksa', 'shop/cart', '--since', '1h', '--format', 'json');
    const gat = r.steps.find((s) => s.step === 'generate-access-token');
    expect(gat?.failed).toBeGreaterThanOrEqual(1);
    expect(gat?.failures[0]).toMatchObject({ code: 7 });

    const check = await wiDoctor('check', '--ksa', 'shop/cart', '--format', 'json');
    expect(check.code).toBe(1);
    const report = JSON.parse(check.stdout) as Report;
    const wi = report.results.find((x) => x.check === 'wi-binding' && x.subject === 'shop/cart');
    expect(wi?.status).toBe('fail');
    expect(wi?.changes?.[0]).toMatchObject({
      source: 'admin-activity',
      kind: 'binding-removed',
      tool: 'gcloud',
      role: 'roles/iam.workloadIdentityUser',
      member: KSA_MEMBER,
      callerIp: '127.0.0.1',
    });
    expect(wi?.changes?.[0]?.userAgent).toMatch(/command\/gcloud\.iam\.service-accounts\.remove-iam-policy-binding/);
    expect(report.verdicts.find((v) => v.subject === 'shop/cart')?.change?.kind).toBe('binding-removed');

    const text = await wiDoctor('check', '--ksa', 'shop/cart');
    expect(text.stdout).toMatch(/was removed on `projects\/-\/serviceAccounts\/\d+` by .* with gcloud/);
  });

  test('an account disabled with gcloud: gsa-enabled names the DisableServiceAccount', async () => {
    await cli.gcloud('iam', 'service-accounts', 'disable', CART_GSA);
    const report = await json<Report>('check', '--ksa', 'shop/cart', '--format', 'json');
    const enabled = report.results.find((x) => x.check === 'gsa-enabled' && x.subject === 'shop/cart');
    expect(enabled?.status).toBe('fail');
    expect(enabled?.changes?.[0]).toMatchObject({ kind: 'account-disabled', tool: 'gcloud' });
  });

  test('audit live after gcloud made a key and granted Editor, and equals the audit of collect --audit', async () => {
    await cli.gcloud('iam', 'service-accounts', 'keys', 'create', join(temp, 'key.json'), `--iam-account=${CART_GSA}`);
    await cli.gcloud(
      'projects',
      'add-iam-policy-binding',
      'acme-shop',
      `--member=serviceAccount:${CART_GSA}`,
      '--role=roles/editor',
    );
    const live = await wiDoctor('audit', '--format', 'json');
    expect(live.code).toBe(1);
    const liveReport = JSON.parse(live.stdout) as Report;
    const status = (r: Report, check: string) =>
      r.results.find((x) => x.check === check && x.subject === CART_GSA)?.status;
    expect(status(liveReport, 'gsa-user-managed-keys')).toBe('fail');
    expect(status(liveReport, 'primitive-roles')).toBe('fail');
    // No key material in any output.
    expect(live.stdout).not.toMatch(/PRIVATE KEY|privateKeyData/);

    const out = join(temp, 'bundle');
    expect((await wiDoctor('collect', '--audit', '--out', out, '--quiet')).code).toBe(0);
    const fromBundle = await json<Report>('audit', '--from', out, '--format', 'json');
    expect(fromBundle.results.map((r) => [r.check, r.subject, r.status])).toEqual(
      liveReport.results.map((r) => [r.check, r.subject, r.status]),
    );
    const logs = await json<LogsReport>(
      'logs',
      '--from',
      out,
      '--ksa',
      'shop/cart',
      '--since',
      '1h',
      '--format',
      'json',
    );
    expect(logs.ksa).toBe('shop/cart');
  });
});
