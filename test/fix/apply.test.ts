// `fix --apply` against the sandbox: every failure the fix vocabulary covers goes from broken to a working token
// chain; a second run changes nothing (not even an etag); nothing else in any policy changes (other bindings,
// members, conditions, auditConfigs: compared whole); other teams' KSAs stay as they were.

import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../src/fix/apply/apply.js';
import type { FixPlanDocument } from '../../src/fix/plan.js';
import type { Policy } from '../../src/model/gcp.js';
import type { Scenario } from '../../src/sandbox/index.js';
import { allPolicies, cli, scenario, withWorld } from './helpers.js';

interface FixResult {
  format: string;
  rounds: { plan: FixPlanDocument; changes: ChangeRecord[]; verification: { ok: boolean } | null }[];
  exitCode: number;
}

const shop = (s: Scenario) => {
  const ns = s.clusters?.[0]?.namespaces?.find((n) => n.name === 'shop');
  if (!ns) throw new Error('no shop namespace');
  return ns;
};

/** A 6-character GSA (creatable: account ids are 6–30 characters) in place of `cart`. */
function cartApp(s: Scenario): void {
  const g = s.projects[0]?.serviceAccounts?.find((x) => x.name === 'cart-gsa');
  if (g) g.name = 'cart-app';
  const ksa = shop(s).serviceAccounts?.find((k) => k.name === 'cart');
  if (ksa) ksa.annotations = { 'iam.gke.io/gcp-service-account': 'cart-app@acme-shop.iam.gserviceaccount.com' };
  const binding = g?.policy?.bindings?.[0];
  if (binding) binding.members = ['serviceAccount:acme-shop.svc.id.goog[shop/cart]'];
}

/** Each case: a broken world, the targets, and the actions its fix must use. */
const CASES: { name: string; base: string; change?: (s: Scenario) => void; args: string[]; actions: string[] }[] = [
  { name: 'missing binding', base: 'missing-binding', args: ['--ksa', 'shop/cart'], actions: ['add-iam-binding'] },
  {
    name: 'binding in the wrong namespace',
    base: 'wrong-namespace',
    args: ['--ksa', 'shop/cart'],
    actions: ['add-iam-binding'],
  },
  {
    name: 'serviceAccountUser instead of workloadIdentityUser',
    base: 'service-account-user',
    args: ['--ksa', 'shop/cart'],
    actions: ['add-iam-binding'],
  },
  {
    name: 'expired conditional binding',
    base: 'conditional-binding',
    args: ['--ksa', 'shop/cart'],
    actions: ['add-iam-binding'],
  },
  {
    name: 'IAM Credentials API disabled',
    base: 'iamcredentials-disabled',
    args: ['--ksa', 'shop/cart'],
    actions: ['enable-service'],
  },
  { name: 'GSA disabled', base: 'gsa-disabled', args: ['--ksa', 'shop/cart'], actions: ['enable-service-account'] },
  {
    name: 'GSA deleted and recreated (stale members removed)',
    base: 'gsa-recreated',
    args: ['--ksa', 'shop/cart'],
    actions: ['add-iam-binding', 'remove-iam-member'],
  },
  {
    name: 'GSA missing',
    base: 'healthy',
    change: (s) => {
      cartApp(s);
      const p = s.projects[0];
      if (p) p.serviceAccounts = p.serviceAccounts?.filter((g) => g.name !== 'cart-app');
    },
    args: ['--ksa', 'shop/cart'],
    actions: ['create-service-account', 'add-iam-binding'],
  },
  {
    name: 'GSA deleted within 30 days',
    base: 'healthy',
    change: (s) => {
      cartApp(s);
      const g = s.projects[0]?.serviceAccounts?.find((x) => x.name === 'cart-app');
      if (g) Object.assign(g, { deleted: true, uniqueId: '104857600000000000077' });
      const project = s.projects[0];
      if (project === undefined) return;
      ((project.policy ??= {}).bindings ??= []).push({
        role: 'roles/storage.objectViewer',
        members: ['deleted:serviceAccount:cart-app@acme-shop.iam.gserviceaccount.com?uid=104857600000000000077'],
      });
    },
    args: ['--ksa', 'shop/cart'],
    // The sandbox restores the account without its old policy: the binding comes in a second round.
    actions: ['undelete-service-account', 'add-iam-binding'],
  },
  {
    name: 'node pool on GCE_METADATA',
    base: 'gce-metadata-pool',
    args: ['--ksa', 'shop/cart'],
    actions: ['set-node-pool-metadata'],
  },
  {
    name: 'legacy metadata concealment',
    base: 'metadata-concealment',
    args: ['--ksa', 'shop/cart'],
    actions: ['set-node-pool-metadata'],
  },
  {
    name: 'cluster without a workload pool (two rounds)',
    base: 'no-workload-pool',
    args: ['--ksa', 'shop/cart'],
    actions: ['enable-workload-identity', 'set-node-pool-metadata', 'add-iam-binding'],
  },
  { name: 'hostNetwork pod', base: 'host-network', args: ['--ksa', 'shop/cart'], actions: ['unset-host-network'] },
  {
    name: 'NetworkPolicy blocks the metadata server',
    base: 'netpol-blocks-metadata',
    args: ['--ksa', 'shop/cart'],
    actions: ['allow-metadata-egress'],
  },
  {
    name: 'pods not restarted after the annotation changed',
    base: 'pods-not-restarted',
    args: ['--ksa', 'shop/cart'],
    actions: ['restart-workload'],
  },
  {
    name: 'workload runs as the default KSA',
    base: 'default-ksa',
    args: ['--workload', 'shop/deployment/cart'],
    actions: ['set-service-account-name'],
  },
  {
    name: 'key file overrides Workload Identity',
    base: 'healthy',
    change: (s) => {
      const w = shop(s).workloads?.[0];
      if (w) w.env = { OTHER: 'kept', GOOGLE_APPLICATION_CREDENTIALS: '/var/secrets/key.json' };
    },
    args: ['--ksa', 'shop/cart'],
    actions: ['remove-credential-override'],
  },
  {
    name: 'cross-project impersonation with serviceAccountUser',
    base: 'cross-project-impersonation',
    args: ['--ksa', 'shop/cart', '--impersonate', 'reader@acme-data.iam.gserviceaccount.com'],
    actions: ['add-iam-binding'],
  },
  {
    name: 'missing permission on a bucket',
    base: 'healthy',
    args: [
      '--ksa',
      'shop/cart',
      '--need',
      'storage.objects.get',
      '--on',
      '//storage.googleapis.com/projects/_/buckets/acme-shop-assets',
    ],
    actions: ['add-iam-binding'],
  },
  {
    name: 'multi-team cluster: node pool, binding, annotation typo, restart',
    base: 'demo',
    args: ['--all'],
    actions: [
      'set-node-pool-metadata',
      'add-iam-binding',
      'annotate-service-account',
      'remove-annotation',
      'restart-workload',
    ],
  },
];

const APPLY = ['--apply', '--yes', '--allow-disruptive', '--format', 'json', '--verify-timeout', '30'];

async function fix(
  env: NodeJS.ProcessEnv,
  args: string[],
): Promise<{ code: number; result: FixResult; stderr: string }> {
  const r = await cli(['fix', ...args, ...APPLY], env);
  return { code: r.code, result: JSON.parse(r.stdout) as FixResult, stderr: r.stderr };
}

/** Every (policy, role, member) triple that differs between two snapshots, as `+`/`-` lines. */
function memberDiff(before: Record<string, Policy>, after: Record<string, Policy>): string[] {
  const triples = (all: Record<string, Policy>) =>
    new Set(
      Object.entries(all).flatMap(([key, p]) =>
        (p.bindings ?? []).flatMap((b) =>
          (b.members ?? []).map((m) => `${key} ${b.role}${b.condition ? '?' : ''} ${m}`),
        ),
      ),
    );
  const a = triples(before);
  const b = triples(after);
  return [
    ...[...b].filter((t) => !a.has(t)).map((t) => `+ ${t}`),
    ...[...a].filter((t) => !b.has(t)).map((t) => `- ${t}`),
  ].sort();
}

/** The member changes the applied IAM steps promise, in memberDiff's form. */
function promisedDiff(before: Record<string, Policy>, result: FixResult): string[] {
  const out: string[] = [];
  for (const round of result.rounds) {
    for (const change of round.changes) {
      if (change.status !== 'applied') continue;
      const step = round.plan.steps.find((s) => s.n === change.step);
      if (step?.action === 'undelete-service-account') {
        // Undeleting turns the account's `deleted:` members back into live ones, wherever they are.
        const email = step.target.split('/').pop() ?? '';
        const dead = `deleted:serviceAccount:${email}?uid=${step.params.uniqueId ?? ''}`;
        for (const [key, p] of Object.entries(before)) {
          for (const b of p.bindings ?? []) {
            if (!(b.members ?? []).includes(dead)) continue;
            out.push(`- ${key} ${b.role} ${dead}`, `+ ${key} ${b.role} serviceAccount:${email}`);
          }
        }
      }
      if (step === undefined || (step.action !== 'add-iam-binding' && step.action !== 'remove-iam-member')) continue;
      const t = step.target;
      const key = t.startsWith('projects/-/serviceAccounts/')
        ? `sa/${t.split('/').pop() ?? ''}`
        : t.startsWith('//storage.googleapis.com/')
          ? `buckets/${t.split('/').pop() ?? ''}`
          : t;
      const conditional = step.params.conditionExpression !== undefined ? '?' : '';
      out.push(
        `${step.action === 'add-iam-binding' ? '+' : '-'} ${key} ${step.params.role ?? ''}${conditional} ${step.params.member ?? ''}`,
      );
    }
  }
  return out.sort();
}

/** Everything in every policy but the members: bindings' roles and conditions, auditConfigs, versions. */
function policyShapes(all: Record<string, Policy>): unknown {
  return Object.fromEntries(
    Object.entries(all).map(([k, p]) => [
      k,
      {
        auditConfigs: p.auditConfigs,
        bindings: (p.bindings ?? []).map((b) => ({ role: b.role, condition: b.condition })),
      },
    ]),
  );
}

describe('fix --apply: from broken to a working token chain', () => {
  it.each(CASES)('$name', async ({ base, change, args, actions }) => {
    await withWorld(await scenario(base, change), async (sb, env) => {
      const before = allPolicies(sb);
      const kubeBefore = JSON.stringify(sb.world.clusters[0]?.store.list('serviceaccounts'));
      const first = await fix(env, args);
      expect(first.stderr).not.toMatch(/unexpected error/);
      const applied = first.result.rounds.flatMap((r) =>
        r.changes.filter((c) => c.status === 'applied').map((c) => c.action),
      );
      expect(new Set(applied)).toEqual(new Set(actions));
      expect(first.result.rounds.at(-1)?.verification?.ok).toBe(true);
      expect(first.code).toBe(0);

      // Policies: exactly the promised members changed; roles, conditions, auditConfigs all as before.
      const after = allPolicies(sb);
      expect(memberDiff(before, after)).toEqual(promisedDiff(before, first.result));
      if (
        !actions.some(
          (a) => a === 'remove-iam-member' || a === 'undelete-service-account' || a === 'create-service-account',
        )
      ) {
        expect(policyShapes(after)).toEqual({ ...(policyShapes(before) as object), ...pickChanged(before, after) });
      }
      for (const [key, policy] of Object.entries(before)) {
        if (memberDiff({ [key]: policy }, { [key]: after[key] ?? {} }).length === 0 && key in after) {
          // A policy no step touched is the very same: same etag.
          expect(after[key]).toEqual(policy);
        }
      }
      // KSAs: only an annotation or creation the plan names may differ.
      if (!actions.some((a) => a.includes('annotat') || a === 'create-kubernetes-service-account')) {
        expect(JSON.stringify(sb.world.clusters[0]?.store.list('serviceaccounts'))).toBe(kubeBefore);
      }

      // Again: nothing to do, nothing written.
      const second = await fix(env, args);
      expect(second.code).toBe(0);
      expect(second.result.rounds.flatMap((r) => r.changes).filter((c) => c.status === 'applied')).toEqual([]);
      expect(allPolicies(sb)).toEqual(after);
    });
  });
});

/** Policies whose members changed: their new shape is expected (a new binding may appear). */
function pickChanged(before: Record<string, Policy>, after: Record<string, Policy>): Record<string, unknown> {
  const shapes = policyShapes(after) as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(after)
      .filter((k) => memberDiff({ [k]: before[k] ?? {} }, { [k]: after[k] ?? {} }).length > 0)
      .map((k) => [k, shapes[k]]),
  );
}
