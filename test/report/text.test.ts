import { describe, expect, it } from 'vitest';

import { renderText, shouldColor } from '../../src/report/text.js';
import { FIXTURES, FIXTURE_NAMES, copy } from './fixtures/index.js';
import { expectGolden } from './golden.js';

const plain = { color: false, hidePass: false };
const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';
const ESC = '\u001b[';

describe('renderText', () => {
  it.each(FIXTURE_NAMES)('matches the golden file for %s', (name) => {
    expectGolden(`${name}.txt`, renderText(FIXTURES[name], plain));
  });

  it('matches the golden files with --hide-pass and with colour', () => {
    expectGolden('failing.hide-pass.txt', renderText(FIXTURES.failing, { color: false, hidePass: true }));
    expectGolden('failing.color.txt', renderText(FIXTURES.failing, { color: true, hidePass: false }));
  });

  it('ends with the summary, which always counts the checks that could not run', () => {
    const { healthy, failing } = FIXTURES;
    expect(healthy.summary.unknown).toBe(0);
    expect(lastLine(renderText(healthy, plain))).toBe(
      `1 subject · 0 failed · 0 warnings · ${healthy.summary.pass} passed · ${healthy.summary.skip} skipped · 0 could not run (unknown)`,
    );
    expect(lastLine(renderText(failing, plain))).toMatch(/ · 1 could not run \(unknown\)$/);
    expect(lastLine(renderText(FIXTURES.shared, plain))).toMatch(/^3 subjects · 1 failed · 2 warnings · /);
  });

  it('leads each subject with its verdict, in the order of report.verdicts, before its checklist', () => {
    const text = renderText(FIXTURES.shared, plain);
    const positions = FIXTURES.shared.verdicts.map((v) => text.indexOf(`\n${v.subject}\n`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const exporter = text.slice(positions[0], positions[1]);
    expect(exporter.split('\n')[2]).toMatch(/^✗ nodepool-gke-metadata — Node pool batch-pool/);
    expect(exporter.indexOf('Ruled out:')).toBeLessThan(exporter.indexOf('Checks:'));
    // The shared node pool result is shown under each subject that depends on it.
    expect(exporter).toContain(
      'Checks of projects/acme-shop/locations/europe-west1/clusters/prod/nodePools/batch-pool:',
    );
  });

  it('shows expected and actual under non-pass lines, and every command of each fix, labelled', () => {
    const text = renderText(FIXTURES.failing, plain);
    const lines = text.split('\n');
    const failLine = lines.findIndex((l) => /^\s+✗ wi-binding\s/.test(l));
    expect(lines[failLine + 1]).toMatch(
      /^\s+expected: \{"member":"serviceAccount:acme-shop\.svc\.id\.goog\[shop\/cart\]"/,
    );
    expect(lines[failLine + 2]).toMatch(/^\s+actual: {3}\{"bindings":/);
    expect(text).toMatch(/gcloud {4}gcloud iam service-accounts add-iam-policy-binding cart@acme-shop/);
    expect(text).toMatch(/terraform resource "google_service_account_iam_member"/);
    expect(text).toMatch(/kubectl {3}kubectl rollout restart deployment\/cart --namespace shop/);
    // Unknown results say what to collect.
    expect(text).toMatch(/missing: kubectl get networkpolicies -A -o json/);
  });

  it('omits fixes with showFixes: false', () => {
    const text = renderText(FIXTURES.failing, { ...plain, showFixes: false });
    expect(text).not.toContain('Fix:');
    expect(text).not.toContain('add-iam-policy-binding');
  });

  it('truncates huge evidence to one line', () => {
    const report = copy(FIXTURES.failing);
    const wi = report.results.find((r) => r.check === 'wi-binding');
    if (wi?.evidence === undefined) throw new Error('fixture changed');
    wi.evidence.actual = { members: Array.from({ length: 500 }, (_, i) => `user:u${i}@acme-shop.example`) };
    const line = renderText(report, plain)
      .split('\n')
      .find((l) => l.includes('actual:'));
    expect(line).toBeDefined();
    expect(line?.length).toBeLessThan(200);
    expect(line?.endsWith('…')).toBe(true);
  });

  it('hides pass lines with hidePass but still counts them', () => {
    const full = renderText(FIXTURES.failing, plain);
    const hidden = renderText(FIXTURES.failing, { color: false, hidePass: true });
    expect(full).toMatch(/^\s+✓ /m);
    expect(hidden).not.toMatch(/^\s+✓ /m);
    expect(hidden).toMatch(/^\s+✗ wi-binding/m);
    expect(hidden).toMatch(/^\s+– token-claims/m);
    expect(lastLine(hidden)).toBe(lastLine(full));
    // A block where everything passed says so instead of going silent.
    expect(hidden).toContain('Checks of projects/acme-shop/locations/europe-west1/clusters/prod: all passed');
  });

  it('uses ANSI escapes only when asked', () => {
    expect(renderText(FIXTURES.shared, plain)).not.toContain(ESC);
    const coloured = renderText(FIXTURES.shared, { color: true, hidePass: false });
    expect(coloured).toContain(`${ESC}31m✗${ESC}0m`);
    expect(coloured).toContain(`${ESC}35m?${ESC}0m`);
  });

  it('prints notes first and a Groups section only when there are several subjects', () => {
    const failing = renderText(FIXTURES.failing, plain);
    expect(failing.split('\n')[0]).toBe('Note: Ignored unknown file k8s/README.txt.');
    expect(failing).not.toContain('\nGroups\n');
    const shared = renderText(FIXTURES.shared, plain);
    expect(shared).toMatch(/\nGroups\n {2}nodepool-gke-metadata: .*\n {4}batch\/exporter, batch\/report-writer\n/);
  });

  it('shows results that no verdict covers instead of dropping them', () => {
    const text = renderText(FIXTURES.shared, plain);
    expect(text).toMatch(
      /\nOther checks\n\s+! gsa-user-managed-keys\s+report-writer@acme-shop\.iam\.gserviceaccount\.com: /,
    );
  });

  it('never prints a token or key, wherever a check put it', () => {
    const report = copy(FIXTURES.failing);
    const jwt =
      'eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6c2hvcDpjYXJ0In0.c2lnbmF0dXJlc2lnbmF0dXJl';
    const access = 'ya29.a0AfB_byC1234567890abcdefghijklmnop';
    const [first] = report.results;
    if (first === undefined) throw new Error('fixture changed');
    first.cause = `token ${jwt} and ${access}`;
    first.status = 'fail';
    first.evidence = {
      actual: { private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n' },
    };
    const text = renderText(report, plain);
    expect(text).not.toContain(jwt.split('.')[1]);
    expect(text).not.toContain('a0AfB_byC1234567890');
    expect(text).not.toContain('MIIEvQIBADANBg');
    expect(text).toContain('[redacted]');
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
