// The plan, offline from example bundles: ordered along the chain, deduplicated, each step with why and
// before → after; restarts added where an identity changes; disruptive and manual steps marked. The shell
// script is valid bash whose every argument reaches the tool exactly as planned.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { readBundle } from '../../src/collect/bundle/read.js';
import { diagnose } from '../../src/engine/diagnose.js';
import { resolveSubjects } from '../../src/engine/subjects.js';
import { planShell, planTerraform } from '../../src/fix/format/plan.js';
import { ACTION_TRAITS } from '../../src/fix/order.js';
import { buildFixPlan } from '../../src/fix/plan.js';
import type { FixPlanDocument, PlanStep } from '../../src/fix/plan.js';
import type { TargetRequest } from '../../src/engine/subjects.js';
import { cli } from './helpers.js';

const EXAMPLES = join(import.meta.dirname, '../../examples');
const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-plan-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

async function planOf(example: string, targets: TargetRequest): Promise<FixPlanDocument> {
  const { facts } = await readBundle(join(EXAMPLES, example));
  const report = diagnose(facts, CHECKS, {
    targets,
    options: { need: [], on: undefined, impersonate: undefined, e2e: false },
    source: example,
    version: 'test',
  });
  return buildFixPlan({ report, facts, subjects: resolveSubjects(facts, targets) });
}

const brief = (s: PlanStep) => `${s.n} ${s.action} ${s.target} ${s.mode}`;

describe('the plan', () => {
  it('orders a multi-team cluster along the chain, node pool first and restart last, and adds the restart', async () => {
    const plan = await planOf('multi-team', { all: true });
    expect(plan.steps.map(brief)).toEqual([
      '1 set-node-pool-metadata projects/acme-shop/locations/europe-west1/clusters/prod/nodePools/batch-pool disruptive',
      '2 add-iam-binding projects/-/serviceAccounts/orders@acme-shop.iam.gserviceaccount.com auto',
      '3 annotate-service-account namespaces/analytics/serviceaccounts/reporter auto',
      '4 remove-annotation namespaces/analytics/serviceaccounts/reporter auto',
      '5 restart-workload namespaces/analytics/deployments/reporter auto',
    ]);
    // The restart is the plan's own: the pods of reporter keep their identity until restarted after step 3.
    const restart = plan.steps[4];
    expect(restart?.why).toEqual([]);
    expect(restart?.triggeredBy).toEqual([3]);
    // Phases never go backwards.
    const phases = plan.steps.map((s) => ACTION_TRAITS[s.action].phase);
    expect(phases).toEqual([...phases].sort((a, b) => a - b));
  });

  it('says why and what changes, before → after, from the facts', async () => {
    const plan = await planOf('missing-binding', { ksa: ['shop/cart'] });
    expect(plan.steps).toHaveLength(1);
    const [step] = plan.steps;
    expect(step?.why.map((w) => `${w.check} ${w.status} ${w.subject}`)).toEqual(['wi-binding fail shop/cart']);
    expect(step?.before).toBe(
      'roles/iam.workloadIdentityUser: 0 members, serviceAccount:acme-shop.svc.id.goog[shop/cart] not among them',
    );
    expect(step?.after).toBe('roles/iam.workloadIdentityUser: + serviceAccount:acme-shop.svc.id.goog[shop/cart]');
  });

  it("a deleted account's policy is said not to exist, not quoted from where that was read", async () => {
    const plan = await planOf('gsa-missing', { ksa: ['shop/cart'] });
    const binding = plan.steps.find((s) => s.action === 'add-iam-binding');
    expect(binding?.before).toBe('no policy (it does not exist)');
  });

  it('asks for a removal only with consent beyond --apply', async () => {
    const plan = await planOf('gsa-recreated', { ksa: ['shop/cart'] });
    expect(plan.steps.map(brief)).toEqual([
      '1 add-iam-binding projects/-/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com auto',
      // The new account gets the roles the old one held before the stale member goes.
      '2 add-iam-binding projects/acme-shop auto',
      '3 remove-iam-member projects/acme-shop disruptive',
    ]);
  });

  it('deduplicates one fix asked for by several subjects, and names each egress policy once', async () => {
    const plan = await planOf('netpol-blocks-metadata', { all: true });
    expect(plan.steps.map((s) => s.target)).toEqual([
      'namespaces/shop/networkpolicies/allow-gke-metadata-server-api',
      'namespaces/shop/networkpolicies/allow-gke-metadata-server-cart',
    ]);
    const twice = await planOf('multi-team', { ksa: ['analytics/reporter', 'analytics/reporter'] });
    expect(new Set(twice.steps.map((s) => `${s.action} ${s.target}`)).size).toBe(twice.steps.length);
  });

  it('prints manual steps and never makes them automatic', async () => {
    const plan = await planOf('annotation-value-typo', { ksa: ['shop/cart'] });
    expect(plan.steps.length).toBeGreaterThan(0);
    for (const s of plan.steps.filter((x) => x.action === 'manual')) expect(s.mode).toBe('manual');
  });

  it('is empty for a healthy subject', async () => {
    expect((await planOf('healthy', { ksa: ['shop/cart'] })).steps).toEqual([]);
  });
});

/** A plan whose names need every kind of shell quoting. */
function hostilePlan(): FixPlanDocument {
  const step = (
    n: number,
    action: PlanStep['action'],
    target: string,
    params: Record<string, string>,
    mode: PlanStep['mode'] = 'auto',
  ): PlanStep => ({
    n,
    action,
    target,
    params,
    description: `step ${n}; echo INJECTED $(touch /tmp/never) \`id\` "it's"`,
    why: [],
    before: 'a\nb',
    after: 'c',
    mode,
  });
  return {
    format: 'wi-doctor-fix-plan/1',
    source: 'test',
    cluster: 'projects/p/locations/l/clusters/c',
    generatedAt: '2026-01-01T00:00:00Z',
    subjects: [],
    steps: [
      step(1, 'add-iam-binding', 'projects/-/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com', {
        role: 'roles/iam.workloadIdentityUser',
        member: 'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
        conditionExpression: 'request.time < timestamp("2030-01-01T00:00:00Z") && resource.name != "it\'s"',
        conditionTitle: "until 2030, it's temporary",
      }),
      step(2, 'annotate-service-account', 'namespaces/shop/serviceaccounts/cart', {
        key: 'iam.gke.io/gcp-service-account',
        value: "x'; rm -rf / #@p.iam.gserviceaccount.com",
      }),
      step(3, 'allow-metadata-egress', 'namespaces/shop/networkpolicies/allow-gke-metadata-server', {
        podSelector: JSON.stringify({ matchLabels: { app: 'EOF' } }),
        cidr: '169.254.169.254/32',
        port: '80',
      }),
      step(
        4,
        'set-node-pool-metadata',
        'projects/p/locations/l/clusters/c/nodePools/np',
        { mode: 'GKE_METADATA' },
        'disruptive',
      ),
      step(5, 'manual', 'anything', {}, 'manual'),
    ],
  };
}

describe('--format shell', () => {
  it('is valid bash that stops on the first error and passes every argument through exactly', () => {
    const script = planShell(hostilePlan());
    expect(script.split('\n').slice(0, 4)).toContain('set -euo pipefail');
    const file = join(temp, 'plan.sh');
    writeFileSync(file, script);
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).stderr).toBe('');
    // Fake gcloud and kubectl that record their arguments (and stdin) as JSON.
    const bin = join(temp, 'bin');
    const record = join(temp, 'calls.jsonl');
    spawnSync('mkdir', ['-p', bin]);
    for (const tool of ['gcloud', 'kubectl']) {
      const fake = join(bin, tool);
      writeFileSync(
        fake,
        `#!/usr/bin/env node\nconst fs=require('fs');let input='';try{if(process.argv.includes('-f'))input=fs.readFileSync(0,'utf8')}catch{}\nfs.appendFileSync(${JSON.stringify(record)}, JSON.stringify({tool:${JSON.stringify(tool)},args:process.argv.slice(2),input})+'\\n');\n`,
      );
      chmodSync(fake, 0o755);
    }
    const run = spawnSync('bash', [file], {
      encoding: 'utf8',
      // A step may write a file (`… > policy.json`): in the scratch folder, never in the repository.
      cwd: temp,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const calls = readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tool: string; args: string[]; input: string });
    // The disruptive step is commented out and the manual one is a comment: two tools ran, then kubectl apply.
    expect(calls.map((c) => c.tool)).toEqual(['gcloud', 'kubectl', 'kubectl']);
    expect(calls[0]?.args).toContain('--member=serviceAccount:acme-shop.svc.id.goog[shop/cart]');
    expect(calls[0]?.args.find((a) => a.startsWith('--condition='))).toContain(`resource.name != "it's"`);
    expect(calls[1]?.args).toContain("iam.gke.io/gcp-service-account=x'; rm -rf / #@p.iam.gserviceaccount.com");
    // The NetworkPolicy arrives whole, as one line of JSON on stdin (a value "EOF" ends nothing).
    const policy = JSON.parse(calls[2]?.input ?? '') as { spec: { podSelector: { matchLabels: { app: string } } } };
    expect(policy.spec.podSelector.matchLabels.app).toBe('EOF');
    expect(script).toContain('# gcloud container node-pools update np');
  });
});

describe('--format terraform', () => {
  it('writes resources for what Terraform expresses and names the command for the rest', () => {
    const tf = planTerraform(hostilePlan());
    expect(tf).toContain('resource "google_service_account_iam_member"');
    expect(tf).toContain('resource "kubernetes_network_policy_v1"');
    expect(tf).toMatch(/# 5\. manual anything/);
    // Terraform templates would expand ${…}: none may appear unescaped.
    expect(tf).not.toMatch(/[^$]\$\{/);
  });
});

describe('fix from a bundle (CLI)', () => {
  it('plans offline in every format with exit 0', async () => {
    for (const format of ['text', 'json', 'shell', 'terraform']) {
      const r = await cli(
        ['fix', '--from', join(EXAMPLES, 'missing-binding'), '--ksa', 'shop/cart', '--format', format],
        {
          NO_COLOR: '1',
        },
      );
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toContain('serviceAccount:acme-shop.svc.id.goog[shop/cart]');
    }
    const json = await cli(
      ['fix', '--from', join(EXAMPLES, 'missing-binding'), '--ksa', 'shop/cart', '--format', 'json'],
      {},
    );
    const doc = JSON.parse(json.stdout) as FixPlanDocument & { steps: { commands: { gcloud: string } }[] };
    expect(doc.format).toBe('wi-doctor-fix-plan/1');
    expect(doc.steps[0]?.commands.gcloud).toMatch(/^gcloud iam service-accounts add-iam-policy-binding /);
  });

  it.each([
    [['--apply'], /--apply changes the live cluster/],
    [['--yes'], /--yes only means something with --apply/],
    [['--allow-disruptive'], /--allow-disruptive only means something with --apply/],
  ])('refuses %j from a bundle with one line and exit 2', async (extra, message) => {
    const r = await cli(['fix', '--from', join(EXAMPLES, 'missing-binding'), '--ksa', 'shop/cart', ...extra], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names an unknown target with exit 2', async () => {
    const r = await cli(['fix', '--from', join(EXAMPLES, 'missing-binding'), '--ksa', 'shop/nope'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shop\/nope/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
