// The command line as users meet it: exit codes, one-line errors without stack traces, formats and files.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/memory-io.js';

const repo = join(import.meta.dirname, '..', '..');
const healthy = join(repo, 'examples', 'healthy');

const run = runCli;

const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('wi-doctor check', () => {
  it('diagnoses the healthy example with exit 0 and a summary line that counts what was unknown', async () => {
    const { code, stdout, stderr } = await run(['check', '--from', healthy, '--all']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/\d unknown, /);
    expect(stdout.includes('\u001b[')).toBe(false); // NO_COLOR
  });

  it('exits 1 on a failing example and 0 with --only a passing check', async () => {
    const broken = join(temp, 'missing-binding');
    cpSync(healthy, broken, { recursive: true });
    const policy = join(broken, 'gcp/service-accounts/cart@acme-shop.iam.gserviceaccount.com.iam-policy.json');
    writeFileSync(policy, JSON.stringify({ version: 1, etag: 'BwX=', bindings: [] }));
    const failing = await run(['check', '--from', broken, '--ksa', 'shop/cart']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/wi-binding/);
    const filtered = await run(['check', '--from', broken, '--ksa', 'shop/cart', '--only', 'ksa-annotation']);
    expect(filtered.code).toBe(0);
    expect(filtered.stdout).not.toMatch(/wi-binding/);
  });

  it('writes JSON that validates against the shipped schema', async () => {
    const file = join(temp, 'report.json');
    const { code } = await run(['check', '--from', healthy, '--all', '--format', 'json', '--output', file]);
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const schema = JSON.parse(readFileSync(join(repo, 'schema', 'report.schema.json'), 'utf8'));
    const validate = new Ajv2020({ strict: false }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.format).toBe('wi-doctor-report/1');
  });

  it.each([
    [['check', '--from', healthy, '--all', '--format', 'yaml'], /format/],
    [['check', '--from', healthy, '--all', '--bogus'], /unknown option/],
    [['check', '--from', healthy], /--ksa/],
    [['check', '--from', join(temp, 'nope'), '--all'], /nope/],
    [['check', '--from', healthy, '--ksa', 'shop/cartt'], /cartt.*did you mean `shop\/cart`/],
    [
      ['check', '--from', healthy, '--ksa', 'cart'],
      /--ksa "cart": expected NAMESPACE\/KSA, .*did you mean `shop\/cart`\?/,
    ],
    [['check', '--from', healthy, '--ksa', 'nosuch'], /--ksa "nosuch": expected NAMESPACE\/KSA, with the namespace$/m],
    [['check', '--from', healthy, '--pod', 'cart-7d9f8b6c5d-abcde'], /did you mean `shop\/cart-7d9f8b6c5d-abcde`\?/],
    [
      ['check', '--from', healthy, '--all', '--only', 'wi-bindin'],
      /--only: unknown check id `wi-bindin`; did you mean `wi-binding`\?/,
    ],
    [
      ['check', '--from', healthy, '--all', '--skip', 'ksa-anotation'],
      /--skip: unknown check id `ksa-anotation`; did you mean `ksa-annotation`\?/,
    ],
    [['check', '--from', healthy, '--workload', 'shop/deploi/cart'], /unknown kind `deploi`; did you mean deploy\b/],
    [['sandbox', '--scenario', 'missing-bindng'], /--scenario missing-bindng: .*did you mean missing-binding\?$/m],
    [['check', '--from', healthy, '--all', '--brief', '--format', 'json'], /--brief is for --format text/],
    [['check', '--from', healthy, '--all', '--fail-on', 'error'], /fail-on/],
    [['explain', 'wi-bindin'], /did you mean wi-binding/],
    [
      ['check', '--from', healthy, '--ksa', 'shop/cart', '--need', 'storage.object.get'],
      /did you mean storage\.objects\.get/,
    ],
    [['check', '--from', healthy, '--ksa', 'shop/cart', '--need', 'not a perm'], /not a known IAM permission/],
    [
      ['check', '--from', healthy, '--ksa', 'shop/cart', '--need', 'roles/storage.objectViewr'],
      /--need "roles\/storage\.objectViewr": not a predefined IAM role; did you mean roles\/storage\.objectViewer\?/,
    ],
    [
      ['check', '--from', healthy, '--ksa', 'shop/cart', '--need', 'storage.objects.get', '--on', 'garbage'],
      /full resource name/,
    ],
    [['check', '--from', healthy, '--ksa', 'shop/cart', '--impersonate', 'notanemail'], /service-account email/],
    [['check', '--from', healthy, '--all', '--output', tmpdir()], /--output .*cannot write/],
  ])('usage error %j exits 2 with one line', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [['check', '--formt', 'json'], "wi-doctor: unknown option '--formt' (Did you mean --format?)\n"],
    [['fix', '--aply'], "wi-doctor: unknown option '--aply' (Did you mean --apply?)\n"],
    [['chek'], "wi-doctor: unknown command 'chek' (Did you mean check?)\n"],
    // What the user typed is still escaped: a newline or ESC in it is shown, not acted on.
    [['check', '--for\u001b[2Jmt'], "wi-doctor: unknown option '--for\\x1b[2Jmt'\n"],
    [['check', '--formt\n(Did you mean --x?)'], "wi-doctor: unknown option '--formt\\x0a(Did you mean --x?)'\n"],
  ])("commander's did-you-mean for %j is on the same line, joined with a space", async (args, line) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toBe(line);
  });

  it('takes a predefined role in --need as it takes a permission', async () => {
    const { code, stderr } = await run([
      'check',
      '--from',
      healthy,
      '--ksa',
      'shop/cart',
      '--need',
      'roles/storage.objectViewer',
    ]);
    expect(stderr).not.toMatch(/--need/);
    expect([0, 1]).toContain(code);
  });

  it('goes on past a file with invalid JSON, naming it with line and column', async () => {
    const broken = join(temp, 'bad-json');
    cpSync(healthy, broken, { recursive: true });
    writeFileSync(
      join(broken, 'gcp/projects/acme-shop.iam-policy.json'),
      '{\n  "bindings": [\n    {"role": }\n  ]\n}\n',
    );
    const { code, stdout, stderr } = await run(['check', '--from', broken, '--ksa', 'shop/cart', '--format', 'json']);
    expect(stderr).toMatch(/acme-shop\.iam-policy\.json.*line 3, column \d+/);
    expect([0, 1]).toContain(code);
    const report = JSON.parse(stdout);
    expect(report.results.length).toBeGreaterThan(0);
  });

  it.each([
    ['deploy', 'shop/deployment/cart'],
    ['deployments', 'shop/deployment/cart'],
    ['Deployment', 'shop/deployment/cart'],
  ])('accepts kubectl kind %s in --workload', async (kind, subject) => {
    const { code, stdout, stderr } = await run([
      'check',
      '--from',
      healthy,
      '--workload',
      `shop/${kind}/cart`,
      '--format',
      'json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { verdicts: { subject: string }[] }).verdicts.map((v) => v.subject)).toEqual([
      subject,
    ]);
  });

  it.each([
    ['sts', 'statefulset'],
    ['ds', 'daemonset'],
    ['cj', 'cronjob'],
    ['rs', 'replicaset'],
  ])('maps kubectl short kind %s to %s', async (short, kind) => {
    const { code, stderr } = await run(['check', '--from', healthy, '--workload', `shop/${short}/nothere`]);
    expect(code).toBe(2);
    expect(stderr).toContain(`no ${kind} shop/nothere in the collected facts`);
  });

  it('takes a pod given with kubectl kind po as --pod', async () => {
    const { code, stdout } = await run([
      'check',
      '--from',
      healthy,
      '--workload',
      'shop/po/cart-7d9f8b6c5d-abcde',
      '--format',
      'json',
    ]);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { verdicts: { subject: string }[] }).verdicts.map((v) => v.subject)).toEqual([
      'shop/pod/cart-7d9f8b6c5d-abcde',
    ]);
  });

  it('--fail-on warn and --fail-on unknown raise the bar', async () => {
    const noPolicies = join(temp, 'unknowns');
    cpSync(healthy, noPolicies, { recursive: true });
    rmSync(join(noPolicies, 'gcp/service-accounts/cart@acme-shop.iam.gserviceaccount.com.iam-policy.json'));
    const base = ['check', '--from', noPolicies, '--ksa', 'shop/cart'];
    expect((await run(base)).code).toBe(0);
    expect((await run([...base, '--fail-on', 'unknown'])).code).toBe(1);
  });
});

describe('the first screen', () => {
  it('shows the root cause and its fix within the first 10 lines on examples/missing-binding (README: lines 5 and 8)', async () => {
    const { code, stdout } = await run(['check', '--from', join(repo, 'examples', 'missing-binding'), '--all']);
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    const root = lines.findIndex((l) => l.startsWith('✗ shop/cart — wi-binding: '));
    const fix = lines.findIndex((l) => l.trimStart().startsWith('gcloud iam service-accounts add-iam-policy-binding'));
    expect([root + 1, fix + 1]).toEqual([5, 8]);
  });
});

describe('wi-doctor checks and explain', () => {
  it('explains an in-pod probe check (which explain-error names) as one, with how to run it', async () => {
    const { code, stdout } = await run(['explain', 'metadata-server-reachable']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^metadata-server-reachable: a check of the in-pod probe .*\n.*wi-doctor probe-pod/);
  });

  it('lists the catalog', async () => {
    const { code, stdout } = await run(['checks', '--format', 'json']);
    expect(code).toBe(0);
    const catalog = JSON.parse(stdout) as { id: string; requires: string[] }[];
    expect(catalog.map((c) => c.id)).toContain('wi-binding');
    expect(catalog.every((c) => c.requires.length > 0)).toBe(true);
  });

  it('prints a docs page', async () => {
    const { code, stdout } = await run(['explain', 'wi-binding']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^# wi-binding/);
  });
});
