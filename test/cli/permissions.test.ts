// `wi-doctor permissions [--audit] [--scope]`: what the collector calls, as permissions and as predefined roles
// of the shipped catalog that hold them all, read-only.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/memory-io.js';

const repo = join(import.meta.dirname, '..', '..');
const catalog = JSON.parse(gunzipSync(readFileSync(join(repo, 'data', 'gcp-predefined-roles.json.gz'))).toString()) as {
  roles: Record<string, { permissions: string[] } | undefined>;
};

const run = (args: string[]) => runCli(args);

interface Answer {
  roles: string[];
  permissions: string[];
  kubernetes: string[];
  e2e?: { permissions: string[]; kubernetes: string[]; roles: string[] };
}
async function json(...flags: string[]): Promise<Answer> {
  const { code, stdout, stderr } = await run(['permissions', ...flags, '--format', 'json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as Answer;
}

/** The permission every Google call of the collector names (what a 403 says it needed). */
function collectorPermissions(): string[] {
  const source = readFileSync(join(repo, 'src', 'collect', 'live', 'google.ts'), 'utf8');
  const named = [...source.matchAll(/'([a-z]+\.[a-zA-Z]+\.[a-zA-Z]+)'/g)].map((m) => m[1] ?? '');
  // Cloud Asset Inventory's two searches name theirs with a template.
  if (source.includes('`cloudasset.assets.${method}`'))
    named.push('cloudasset.assets.searchAllIamPolicies', 'cloudasset.assets.searchAllResources');
  return [...new Set(named)];
}

describe('wi-doctor permissions', () => {
  it('the roles of every variant exist in the catalog, hold every permission listed, and only read', async () => {
    for (const flags of [[], ['--audit'], ['--scope'], ['--audit', '--scope']]) {
      const { roles, permissions } = await json(...flags);
      const held = new Set<string>();
      for (const role of roles) {
        const r = catalog.roles[role];
        expect(r, `${role} is a predefined role`).toBeDefined();
        for (const p of r?.permissions ?? []) held.add(p);
        // TokenReview/SubjectAccessReview "creates" only ask a question; they change nothing.
        const writes = (r?.permissions ?? []).filter(
          (p) =>
            /\.(create|delete|update|setIamPolicy|getAccessToken|actAs|signBlob|signJwt)$/.test(p) &&
            !/Reviews\.create$/.test(p),
        );
        expect(writes, `${role} only reads`).toEqual([]);
      }
      expect(
        permissions.filter((p) => !held.has(p)),
        flags.join(' '),
      ).toEqual([]);
    }
  });

  it('diagnosing reads the Admin Activity logs (who changed it) but neither activity nor Cloud Asset Inventory', async () => {
    const { permissions, kubernetes } = await json();
    expect(permissions).toContain('logging.logEntries.list');
    expect(permissions).toContain('iam.serviceAccounts.getIamPolicy');
    expect(permissions).not.toContain('policyanalyzer.serviceAccountLastAuthenticationActivities.query');
    expect(permissions).not.toContain('iam.serviceAccountKeys.list');
    expect(permissions.some((p) => p.startsWith('cloudasset.'))).toBe(false);
    expect(kubernetes).toContain('serviceaccounts');
  });

  it('--audit adds the audit reads: keys, Policy Analyzer activity, the Data Access token logs', async () => {
    const base = await json();
    const { permissions, roles, kubernetes } = await json('--audit');
    for (const p of [
      'iam.serviceAccountKeys.list',
      'policyanalyzer.serviceAccountLastAuthenticationActivities.query',
      'logging.privateLogEntries.list',
      'container.clusters.list',
    ])
      expect(permissions).toContain(p);
    expect(roles).toContain('roles/policyanalyzer.activityAnalysisViewer');
    expect(kubernetes).toContain('namespaces');
    for (const p of base.permissions) expect(permissions).toContain(p);
  });

  it('--scope adds the Cloud Asset Inventory searches and the clusters of a project', async () => {
    const { permissions, roles } = await json('--scope');
    expect(permissions).toEqual(
      expect.arrayContaining([
        'cloudasset.assets.searchAllIamPolicies',
        'cloudasset.assets.searchAllResources',
        'container.clusters.list',
      ]),
    );
    expect(roles).toContain('roles/cloudasset.viewer');
  });

  it('--audit --scope lists every permission a Google call of the collector names (but the e2e token chain)', async () => {
    const { permissions } = await json('--audit', '--scope');
    const named = collectorPermissions();
    expect(named.length).toBeGreaterThan(10);
    // The --e2e chain mints tokens with the workload's own identity, never the caller's.
    const callers = named.filter((p) => p !== 'iam.serviceAccounts.getAccessToken');
    expect(callers.filter((p) => !permissions.includes(p))).toEqual([]);
  });

  it('--e2e adds the TokenRequest of the token chain, apart from the read-only list (it mints a token)', async () => {
    const base = await json();
    const answer = await json('--e2e');
    expect(answer.permissions).toEqual(base.permissions);
    expect(answer.e2e?.permissions).toEqual(['container.serviceAccounts.createToken']);
    expect(answer.e2e?.kubernetes).toEqual(['create serviceaccounts/token']);
    // A predefined role of the catalog that holds it, and the smallest one (service agents aside).
    const [role] = answer.e2e?.roles ?? [];
    expect(catalog.roles[role ?? '']?.permissions).toContain('container.serviceAccounts.createToken');
    for (const [name, r] of Object.entries(catalog.roles)) {
      if (/serviceAgent$/i.test(name) || !r?.permissions.includes('container.serviceAccounts.createToken')) continue;
      expect(r.permissions.length).toBeGreaterThanOrEqual(catalog.roles[role ?? '']?.permissions.length ?? 0);
    }
    expect((await json()).e2e).toBeUndefined();
    const { stdout } = await run(['permissions', '--e2e']);
    expect(stdout).toMatch(
      /check --e2e also mints .*\n {2}container\.serviceAccounts\.createToken\n {2}or, with RBAC: create serviceaccounts\/token/,
    );
  });

  it('text names what it is for, the permissions, the roles and the Kubernetes kinds', async () => {
    const { code, stdout } = await run(['permissions', '--audit', '--scope']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^wi-doctor only reads\. To diagnose live .*audit .*search a scope/);
    expect(stdout).toContain('  cloudasset.assets.searchAllIamPolicies\n');
    expect(stdout).toContain('  roles/cloudasset.viewer\n');
    expect(stdout).toMatch(/Kubernetes get and list on[^\n]*\n(?: {2}\w+\n)* {2}namespaces\n/);
  });
});
