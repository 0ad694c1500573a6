// Shared by the fix and rotate tests: a sandbox world (from a scenario file, optionally changed), the CLI run
// in-process against it with its own environment, and full policies read straight from the world.

import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Policy } from '../../src/model/gcp.js';
import { loadScenarioFile, startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox, Scenario } from '../../src/sandbox/index.js';

export const SCENARIOS = join(import.meta.dirname, '../../scenarios');
export const CART = 'cart-gsa@acme-shop.iam.gserviceaccount.com';
export const NEW = 'cart-v2@acme-shop.iam.gserviceaccount.com';
export const BUCKET = '//storage.googleapis.com/projects/_/buckets/acme-shop-assets';

export async function scenario(name: string, change?: (s: Scenario) => void): Promise<Scenario> {
  const s = await loadScenarioFile(join(SCENARIOS, `${name}.yaml`));
  change?.(s);
  return s;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The sandbox's environment, with Google's metadata server never probed. */
export function sandboxEnv(sb: RunningSandbox, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...sb.env,
    METADATA_SERVER_DETECTION: 'none',
    GCE_METADATA_HOST: '127.0.0.1:9',
    GCE_METADATA_IP: '127.0.0.1:9',
    NO_COLOR: '1',
    ...extra,
  };
}

/** Runs the CLI in-process. `terminal` makes stdin a TTY that answers with `input`. */
export async function cli(args: string[], env: NodeJS.ProcessEnv, terminal?: { input: string }): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (terminal !== undefined) {
    stdin.isTTY = true;
    stdin.end(terminal.input);
  }
  const code = await main(args, { stdout: out, stderr: err, env, stdin });
  return { code, stdout, stderr };
}

export async function withWorld<T>(
  s: Scenario,
  run: (sb: RunningSandbox, env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const sb = await startSandbox({ scenario: s });
  try {
    return await run(sb, sandboxEnv(sb));
  } finally {
    await sb.stop();
  }
}

/** Every policy of the world as stored (what getIamPolicy would answer), by key. */
export function allPolicies(sb: RunningSandbox): Record<string, Policy> {
  const out: Record<string, Policy> = {};
  for (const p of sb.world.projects.values()) out[`projects/${p.id}`] = sb.world.policies.read(`projects/${p.id}`);
  for (const g of sb.world.gsas) if (!g.deleted) out[`sa/${g.email}`] = sb.world.policies.read(`sa/${g.uniqueId}`);
  for (const b of sb.world.buckets.keys()) out[`buckets/${b}`] = sb.world.policies.read(`buckets/${b}`);
  return out;
}

/** The healthy world, plus grants to the old GSA on the project and a bucket, and a second KSA using it. */
export function sharedWorld(s: Scenario): void {
  const project = s.projects[0];
  if (project === undefined) return;
  (project.policy ??= {}).bindings = [
    { role: 'roles/pubsub.publisher', members: [`serviceAccount:${CART}`, 'user:bob@example.com'] },
    {
      role: 'roles/storage.objectViewer',
      members: [`serviceAccount:${CART}`],
      condition: {
        expression: 'resource.name.startsWith("projects/_/buckets/acme-shop-assets")',
        title: 'assets only',
      },
    },
  ];
  const bucket = project.buckets?.[0];
  if (bucket)
    ((bucket.policy ??= {}).bindings ??= []).push({
      role: 'roles/storage.objectCreator',
      members: [`serviceAccount:${CART}`],
    });
  const shop = s.clusters?.[0]?.namespaces?.find((n) => n.name === 'shop');
  shop?.serviceAccounts?.push({ name: 'cart-batch', annotations: { 'iam.gke.io/gcp-service-account': CART } });
  const old = project.serviceAccounts?.find((g) => g.name === 'cart');
  const binding = old?.policy?.bindings?.[0];
  if (binding) binding.members = [...(binding.members ?? []), 'serviceAccount:acme-shop.svc.id.goog[shop/cart-batch]'];
}

/** What the rotation promises about policies: every grant of the old GSA is also the new one's. */
export function expectGrantsCopied(sb: RunningSandbox): void {
  const policies = allPolicies(sb);
  // The old account may be deleted by now: its members then read `deleted:serviceAccount:EMAIL?uid=N`.
  const isOld = (m: string) => m === `serviceAccount:${CART}` || m.startsWith(`deleted:serviceAccount:${CART}?uid=`);
  let copied = 0;
  for (const key of ['projects/acme-shop', 'buckets/acme-shop-assets']) {
    for (const b of policies[key]?.bindings ?? []) {
      if (!(b.members ?? []).some(isOld)) continue;
      expect(
        b.members?.filter((m) => m === `serviceAccount:${NEW}`),
        `${key} ${b.role}`,
      ).toHaveLength(1);
      copied++;
    }
  }
  // sharedWorld grants the old account three roles (one conditional) on the project and the bucket.
  expect(copied).toBe(3);
  const bound = policies[`sa/${NEW}`]?.bindings?.find((b) => b.role === 'roles/iam.workloadIdentityUser');
  expect(bound?.members).toContain('serviceAccount:acme-shop.svc.id.goog[shop/cart]');
}
