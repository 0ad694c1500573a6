import { describe, expect, it } from 'vitest';

import type { Report } from '../../src/model/results.js';
import { withoutSubjectNames } from '../../src/report/common.js';
import { NO_WRAP, renderText, shouldColor, terminalWidth } from '../../src/report/text.js';
import { FIXTURES, FIXTURE_NAMES, copy } from './fixtures/index.js';
import { withBroken, withNotProven } from './fixtures/not-proven.js';
import { expectGolden } from './golden.js';

const plain = { color: false, hidePass: false };
/** The summary at the end, its wrapped lines joined. */
const lastLine = (text: string): string => (text.trimEnd().split('\n\n').at(-1) ?? '').replace(/\n {2}/g, ' ');
const ESC = '\u001b[';

describe('renderText', () => {
  it.each(FIXTURE_NAMES)('matches the golden file for %s', (name) => {
    expectGolden(`${name}.txt`, renderText(FIXTURES[name], plain));
  });

  it('matches the golden files with --hide-pass, with colour and with --brief', () => {
    expectGolden('failing.hide-pass.txt', renderText(FIXTURES.failing, { color: false, hidePass: true }));
    expectGolden('failing.color.txt', renderText(FIXTURES.failing, { color: true, hidePass: false }));
    expectGolden('shared.brief.txt', renderText(FIXTURES.shared, { ...plain, brief: true }));
  });

  it('opens with where the facts come from and how old they are, then the summary', () => {
    const lines = renderText(FIXTURES.failing, plain).split('\n');
    expect(lines[1]).toBe('wi-doctor 0.1.0 · cluster prod (project acme-shop, europe-west1)');
    expect(lines[2]).toBe('bundle ./acme-bundle · collected 2026-11-25 09:30 UTC (3 days old)');
    expect(lines[3]).toMatch(/^1 of 1 KSA broken · checks: 1 failed, 1 warning, 1 unknown, /);
    expect(renderText(FIXTURES.shared, plain).split('\n')[1]).toBe('read live at 2026-11-28 17:04 UTC');
  });

  it('counts subjects first, then check results, and always says how many were unknown', () => {
    const { healthy, failing, shared } = FIXTURES;
    expect(healthy.summary.unknown).toBe(0);
    expect(lastLine(renderText(healthy, plain))).toBe(
      `0 of 1 KSA broken, 1 healthy · checks: 0 failed, 0 warnings, 0 unknown, ${healthy.summary.pass} passed, ${healthy.summary.skip} not applicable`,
    );
    expect(lastLine(renderText(failing, plain))).toMatch(/, 1 unknown, /);
    expect(lastLine(renderText(shared, plain))).toMatch(
      /^2 of 3 KSAs broken, 1 not proven \(checks unknown\) · checks: 1 failed, 2 warnings, 2 unknown, /,
    );
  });

  it('puts the fix right after the root cause, then its evidence, then what else was found', () => {
    const report = copy(FIXTURES.failing);
    const verdict = report.verdicts[0];
    if (verdict === undefined) throw new Error('fixture changed');
    verdict.fix = verdict.fix.filter((f) => f.action !== 'restart-workload');
    const text = renderText(report, plain);
    const lines = text.split('\n');
    const head = lines.findIndex((l) => l.startsWith('✗ shop/cart — wi-binding: '));
    expect(head).toBeGreaterThan(0);
    const fix = lines.indexOf('  Fix:');
    const evidence = lines.indexOf('  Evidence:');
    const also = lines.indexOf('  Also found:');
    const ruledOut = lines.findIndex((l) => l.startsWith('  Ruled out'));
    // Only the wrapped headline sits between the root cause and the fix.
    expect(lines.slice(head + 1, fix).every((l) => /^ {2}\S/.test(l))).toBe(true);
    expect(head).toBeLessThan(fix);
    expect(fix).toBeLessThan(evidence);
    expect(evidence).toBeLessThan(also);
    expect(also).toBeLessThan(ruledOut);
    expect(lines[evidence + 1]).toMatch(
      /^ {4}expected: \{"member": "serviceAccount:acme-shop\.svc\.id\.goog\[shop\/cart\]"/,
    );
    // Every command of each fix on a line of its own, never labelled (a label would be pasted too).
    expect(text).toMatch(/\n {7}gcloud iam service-accounts add-iam-policy-binding cart@acme-shop/);
    expect(text).toMatch(/\n {7}Terraform:\n {9}resource "google_service_account_iam_member"/);
    // The warning's fix is shown with it, although it is not the root cause's.
    expect(text).toMatch(
      /fix: Restart deployment cart[^\n]*\n {11}kubectl rollout restart deployment\/cart --namespace=shop\n/,
    );
    // Unknown results say what to collect.
    expect(text).toMatch(/missing: kubectl get networkpolicies -A -o json/);
  });

  it('lists passing checks once, under Ruled out, and only counts them with --hide-pass', () => {
    const full = renderText(FIXTURES.failing, plain);
    expect(full).not.toMatch(/^\s+✓ /m);
    for (const item of FIXTURES.failing.verdicts[0]?.ruledOut ?? []) {
      expect(full.split(item.slice(0, 40)).length - 1, item).toBe(1);
    }
    const hidden = renderText(FIXTURES.failing, { color: false, hidePass: true });
    expect(hidden).toContain('Ruled out: 3 passing checks (listed without --hide-pass)');
    expect(lastLine(hidden)).toBe(lastLine(full));
  });

  it('shows failures first and healthy subjects in one line each when there are several', () => {
    const report = copy(FIXTURES.shared);
    const healthy = copy(FIXTURES.healthy).verdicts[0];
    if (healthy === undefined) throw new Error('fixture changed');
    report.verdicts.push(healthy);
    const text = renderText(report, plain);
    const positions = report.verdicts.map((v) => text.indexOf(`${v.subject} — `));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text).toMatch(/\n✓ shop\/cart — Workload Identity should work \(\d+ checks passed\)\n/);
    expect(text).toMatch(/Not evaluated for the healthy subject \(no check can see them\):/);
  });

  it('--brief: one line per subject with its verdict and first fix command', () => {
    const text = renderText(FIXTURES.shared, { ...plain, brief: true });
    const lines = text.trimEnd().split('\n');
    const subjects = lines.filter((l) => /^[✗!?✓] /.test(l));
    expect(subjects).toEqual([
      '✗ batch/exporter · nodepool-gke-metadata: A node pool does not run the GKE metadata server · gcloud container node-pools update batch-pool --cluster=prod --location=europe-west1 --project=acme-shop --workload-metadata=GKE_METADATA',
      '✗ batch/report-writer · nodepool-gke-metadata: A node pool does not run the GKE metadata server · gcloud container node-pools update batch-pool --cluster=prod --location=europe-west1 --project=acme-shop --workload-metadata=GKE_METADATA',
      '? shop/api · not proven: pods-restarted-after-change',
    ]);
    expect(text).not.toContain('Ruled out');
  });

  it('wraps prose at the width and cuts huge evidence saying how much, but never a command', () => {
    const report = copy(FIXTURES.failing);
    const wi = report.results.find((r) => r.check === 'wi-binding');
    if (wi?.evidence === undefined) throw new Error('fixture changed');
    wi.evidence.actual = { members: Array.from({ length: 500 }, (_, i) => `user:u${i}@acme-shop.example`) };
    for (const width of [60, 100, 160]) {
      const text = renderText(report, { ...plain, width });
      for (const line of text.split('\n')) {
        const command = /^\s+(gcloud|kubectl|printf|resource| {2})/.test(line) || line.startsWith('         ');
        if (!command && line.includes(' ')) expect(line.length, line).toBeLessThanOrEqual(width);
      }
      expect(text).toMatch(/… [\d,]+ more characters \(the JSON report has all of it\)/);
      // Values are cut between elements, never inside one.
      expect(text).toMatch(/"user:u\d+@acme-shop\.example",?\n/);
    }
    expect(renderText(report, { ...plain, width: 60 })).toContain(
      '       gcloud iam service-accounts add-iam-policy-binding cart@acme-shop.iam.gserviceaccount.com --role=roles/iam.workloadIdentityUser',
    );
  });

  it('omits fixes with showFixes: false', () => {
    const text = renderText(FIXTURES.failing, { ...plain, showFixes: false });
    expect(text).not.toContain('Fix:');
    expect(text).not.toContain('add-iam-policy-binding');
  });

  it('uses ANSI escapes only when asked', () => {
    expect(renderText(FIXTURES.shared, plain)).not.toContain(ESC);
    const coloured = renderText(FIXTURES.shared, { color: true, hidePass: false });
    expect(coloured).toContain(`${ESC}31m✗${ESC}0m`);
    expect(coloured).toContain(`${ESC}35m?${ESC}0m`);
  });

  it('prints notes first and a Groups section only when a root cause is shared', () => {
    const failing = renderText(FIXTURES.failing, plain);
    expect(failing.split('\n')[0]).toBe('Note: Ignored unknown file k8s/README.txt.');
    expect(failing).not.toContain('\nGroups');
    const shared = renderText(FIXTURES.shared, plain);
    expect(shared).toMatch(
      /\nGroups \(subjects sharing a root cause, most severe first\)\n {2}✗ nodepool-gke-metadata: [^\n]*\n[^\n]*\n {4}batch\/exporter, batch\/report-writer\n {2}\? no root cause/,
    );
  });

  it('shows results that no verdict covers instead of dropping them', () => {
    const text = renderText(FIXTURES.shared, plain);
    expect(text).toMatch(
      /\nOther findings\n {2}! gsa-user-managed-keys \(report-writer@acme-shop\.iam\.gserviceaccount\.com\):/,
    );
  });

  it('never prints a token or key, wherever a check put it, even where the text wraps', () => {
    const report = copy(FIXTURES.failing);
    const jwt =
      'eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6c2hvcDpjYXJ0In0.c2lnbmF0dXJlc2lnbmF0dXJl';
    const access = 'ya29.a0AfB_byC1234567890abcdefghijklmnop';
    const wi = report.results.find((r) => r.check === 'wi-binding');
    if (wi === undefined) throw new Error('fixture changed');
    wi.cause = `token ${jwt} and ${access}`;
    wi.evidence = {
      actual: { private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n' },
    };
    for (const width of [40, 100]) {
      const text = renderText(report, { ...plain, width });
      expect(text).not.toContain(jwt.split('.')[1]);
      expect(text).not.toContain('a0AfB_byC1234567890');
      expect(text).not.toContain('MIIEvQIBADANBg');
      expect(text).toContain('[redacted]');
    }
  });
});

describe('renderText: subjects not proven for one reason', () => {
  it('shows the reason and the command that settles it once, then a line per subject, never as a pass', () => {
    const text = renderText(withNotProven(['shop/web', 'team-2/api-1']), plain);
    expect(text).toContain('\n? 3 subjects not proven for the same reason — No failure found for shop/api');
    expect(text).toContain('  Shown for shop/api; each subject listed below has the same findings with its own names.');
    expect(text.split('missing: kubectl get serviceaccounts -A -o json --show-managed-fields')).toHaveLength(2);
    const block = text.slice(text.indexOf('3 subjects not proven'), text.indexOf('\nOther findings'));
    expect(block).not.toContain('Ruled out');
    for (const name of ['shop/api', 'shop/web', 'team-2/api-1']) {
      expect(text).toContain(`\n    ? ${name} — not proven: pods-restarted-after-change (2 checks passed)\n`);
      expect(text).not.toMatch(new RegExp(`✓ ${name}\\b`));
    }
    // Failures still come first.
    expect(text.indexOf('✗ batch/exporter')).toBeLessThan(text.indexOf('3 subjects not proven'));
  });

  it('keeps a subject whose reason differs in a block of its own, and one alone as it was', () => {
    const text = renderText(withNotProven(['shop/web', 'shop/db'], ['shop/db']), plain);
    expect(text).toContain('? 2 subjects not proven for the same reason');
    expect(text).toContain('\n? shop/db — No failure found for shop/db');
    expect(text).toContain('The KSA was read from a file that did not validate.');
    expect(renderText(FIXTURES.shared, plain)).not.toContain('not proven for the same reason');
  });
});

describe('renderText: subjects broken for one reason', () => {
  const GCLOUD = 'gcloud container node-pools update batch-pool';

  it('shows the root cause and its fix once when the fix reads the same for every subject, then a line each', () => {
    const text = renderText(withBroken(['team-1/app-1', 'team-2/app-2']), { ...plain, width: NO_WRAP });
    expect(text).toContain(
      '\n✗ 3 subjects broken for the same reason — nodepool-gke-metadata (node pool batch-pool): Node pool batch-pool runs with GCE_METADATA: batch/exporter gets',
    );
    expect(text).toContain(
      '  Shown for batch/exporter; each subject listed below has the same findings with its own names.',
    );
    // Once in the fold, and not again: batch/report-writer's other findings differ, so it keeps its block and fix.
    expect(text.split(GCLOUD)).toHaveLength(3);
    const fold = text.slice(text.indexOf('3 subjects broken'), text.indexOf('\n✗ batch/report-writer'));
    expect(fold.split(GCLOUD)).toHaveLength(2);
    expect(fold).not.toContain('Ruled out');
    for (const name of ['batch/exporter', 'team-1/app-1', 'team-2/app-2']) {
      expect(fold).toContain(`\n    ✗ ${name} — broken: nodepool-gke-metadata, wi-binding (2 checks passed)\n`);
    }
    expect(text).toContain('\n✗ batch/report-writer — nodepool-gke-metadata (node pool batch-pool)');
    // Failures before the not proven.
    expect(text.indexOf('3 subjects broken')).toBeLessThan(text.indexOf('\n? shop/api'));
  });

  it('keeps each subject its block when a fix names the subject: a command is copied as it is', () => {
    const report = withBroken(['team-1/app-1']);
    for (const r of report.results) {
      if (r.check !== 'wi-binding' || !['batch/exporter', 'team-1/app-1'].includes(r.subject)) continue;
      const [ns = '', name = ''] = r.subject.split('/');
      r.fix = [
        {
          action: 'restart-workload',
          target: `namespaces/${ns}/deployments/${name}`,
          params: {},
          description: `Restart deployment ${name} in namespace ${ns}.`,
        },
      ];
    }
    const text = renderText(report, plain);
    expect(text).not.toContain('subjects broken for the same reason');
    expect(text).toContain('\n✗ batch/exporter — nodepool-gke-metadata');
    expect(text).toContain('\n✗ team-1/app-1 — nodepool-gke-metadata');
  });

  it('keeps a subject with a suppressed finding in a block of its own, which says by which entry', () => {
    const report = withBroken(['team-1/app-1', 'team-2/app-2']);
    const suppressed = report.results.find((r) => r.subject === 'team-2/app-2' && r.check === 'wi-binding');
    if (suppressed === undefined) throw new Error('fixture changed');
    suppressed.suppressed = { file: '.wi-doctor.yaml', reason: 'reader policy is checked by the data team' };
    const text = renderText(report, plain);
    expect(text).toContain('✗ 2 subjects broken for the same reason');
    expect(text).toContain('\n✗ team-2/app-2 — nodepool-gke-metadata');
    expect(text).toContain('suppressed by .wi-doctor.yaml: reader policy is checked by the data team');
  });

  it('keeps apart subjects whose other findings say the same with a different status', () => {
    const report = withBroken(['team-1/app-1', 'team-2/app-2']);
    const other = report.results.find((r) => r.subject === 'team-2/app-2' && r.check === 'wi-binding');
    if (other === undefined) throw new Error('fixture changed');
    other.status = 'warn';
    const text = renderText(report, plain);
    expect(text).toContain('✗ 2 subjects broken for the same reason');
    expect(text).toContain('\n✗ team-2/app-2 — nodepool-gke-metadata');
  });

  it('does not fold a single report of one subject', () => {
    const report = withBroken([]);
    expect(renderText(report, plain)).not.toContain('subjects broken for the same reason');
  });
});

describe('withoutSubjectNames', () => {
  it('takes out whole names only: the subject, its namespace and its name', () => {
    expect(withoutSubjectNames('KSA `team-1/app-1` (kubectl get sa app-1 -n team-1)', 'team-1/app-1')).toBe(
      'KSA `{}` (kubectl get sa {} -n {})',
    );
    expect(withoutSubjectNames('app-10 in team-10; app-1.x', 'team-1/app-1')).toBe('app-10 in team-10; app-1.x');
  });
});

describe('terminalWidth', () => {
  it('takes the columns of a terminal (100 when it does not say), and does not wrap pipes and files', () => {
    expect(terminalWidth({ isTTY: true, columns: 132 })).toBe(132);
    expect(terminalWidth({ isTTY: true })).toBe(100);
    expect(terminalWidth({ isTTY: false, columns: 132 })).toBe(NO_WRAP);
    expect(terminalWidth({})).toBe(NO_WRAP);
  });

  it('keeps lines whole without wrapping, and cuts only a huge evidence value, saying how much', () => {
    const report = copy(FIXTURES.failing);
    const [first] = report.results.filter((r) => r.status === 'fail');
    if (first === undefined) throw new Error('the failing fixture has a failure');
    first.evidence = { expected: 'x', actual: 'word '.repeat(1000).trim() };
    const text = renderText(report, { ...plain, width: NO_WRAP });
    expect(text).toMatch(/^ +actual: {3}(word ){200,}/m);
    expect(text).toMatch(/… [\d,]+ more characters \(the JSON report has all of it\)/);
    for (const line of text.split('\n')) expect(line.length).toBeLessThan(1300);
  });
});

describe('shouldColor', () => {
  it.each([
    [{ isTTY: true }, {}, true],
    [{ isTTY: false }, {}, false],
    [{}, {}, false],
    [{ isTTY: true }, { NO_COLOR: '1' }, false],
    [{ isTTY: true }, { NO_COLOR: '' }, true],
    [{ isTTY: true }, { TERM: 'dumb' }, false],
    [{ isTTY: false }, { FORCE_COLOR: '1' }, true],
    [{ isTTY: false }, { FORCE_COLOR: '' }, true],
    [{ isTTY: true }, { FORCE_COLOR: '0' }, false],
    [{ isTTY: true }, { FORCE_COLOR: 'false' }, false],
    [{ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
  ])('stream %o env %o → %s', (stream, env, expected) => {
    expect(shouldColor(stream, env)).toBe(expected);
  });
});

describe('a run with --only/--skip', () => {
  it('says "no failure in the checks run", never "healthy" or "should work"', () => {
    // Two passing subjects, so that each takes one line.
    const twoPassing = (): Report => {
      const report = copy(FIXTURES.healthy);
      const [first] = report.verdicts;
      if (first === undefined) throw new Error('the healthy fixture has a verdict');
      report.verdicts.push({ ...first, subject: 'shop/api' });
      return report;
    };
    const report = twoPassing();
    report.selection = '--skip wi-binding';
    const text = renderText(report, plain);
    expect(text).toMatch(/no failure in the \d+ checks? run \(--skip wi-binding; the others were not run\)/);
    expect(text).toMatch(/with no failure in the checks run \(--skip wi-binding\)/);
    expect(text).not.toMatch(/should work|healthy/);
    expect(renderText(twoPassing(), plain)).toMatch(/Workload Identity should work \(\d+ checks? passed\)/);
  });
});
