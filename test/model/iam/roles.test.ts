import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { absent, factError, notCollected, present } from '../../../src/model/facts.js';
import type { Fact } from '../../../src/model/facts.js';
import type { CustomRole } from '../../../src/model/gcp.js';
import { CATALOG_URL, loadCatalog, parseCatalog } from '../../../src/model/iam/catalog.js';
import { createRoleResolver } from '../../../src/model/iam/roles.js';

const customRoles: Record<string, Fact<CustomRole>> = {
  'projects/acme-shop/roles/tokenMinter': present(
    {
      name: 'projects/acme-shop/roles/tokenMinter',
      title: 'Token minter',
      includedPermissions: ['iam.serviceAccounts.getAccessToken'],
    },
    'iam/roles/tokenMinter.json',
  ),
  'organizations/42/roles/gone': present(
    { name: 'organizations/42/roles/gone', includedPermissions: ['iam.serviceAccounts.getAccessToken'], deleted: true },
    'iam/roles/gone.json',
  ),
  'projects/acme-shop/roles/missing': absent('iam/roles/missing.json', 'role does not exist'),
  'projects/acme-shop/roles/forbidden': factError('iam/roles/forbidden.json', '403 iam.roles.get denied'),
};

const resolver = createRoleResolver({
  customRole: (name) => customRoles[name] ?? notCollected(`iam/roles/${name}`, 'custom role not collected'),
});

function perms(role: string): string[] {
  const r = resolver.permissions(role);
  if (!r.known) throw new Error(`unexpectedly unknown: ${r.reason}`);
  return [...r.permissions].sort();
}

describe('predefined catalog', () => {
  it('ships the data file where the module looks for it', () => {
    expect(existsSync(fileURLToPath(CATALOG_URL))).toBe(true);
    expect(fileURLToPath(CATALOG_URL)).toMatch(/data[/\\]gcp-predefined-roles\.json\.gz$/);
    expect(loadCatalog().roles.size).toBe(2461);
    expect(loadCatalog()).toBe(loadCatalog());
  });

  it.each([
    [
      'roles/iam.workloadIdentityUser',
      [
        'iam.serviceAccounts.get',
        'iam.serviceAccounts.getAccessToken',
        'iam.serviceAccounts.getOpenIdToken',
        'iam.serviceAccounts.list',
      ],
    ],
    [
      'roles/iam.serviceAccountTokenCreator',
      [
        'iam.serviceAccounts.get',
        'iam.serviceAccounts.getAccessToken',
        'iam.serviceAccounts.getOpenIdToken',
        'iam.serviceAccounts.implicitDelegation',
        'iam.serviceAccounts.list',
        'iam.serviceAccounts.signBlob',
        'iam.serviceAccounts.signJwt',
        'resourcemanager.projects.get',
        'resourcemanager.projects.list',
      ],
    ],
    [
      'roles/iam.serviceAccountUser',
      [
        'iam.serviceAccounts.actAs',
        'iam.serviceAccounts.get',
        'iam.serviceAccounts.list',
        'resourcemanager.projects.get',
        'resourcemanager.projects.list',
      ],
    ],
  ])('%s has exactly the permissions the role catalog gives it', (role, expected) => {
    expect(perms(role)).toEqual(expected);
    expect(resolver.isPredefined(role)).toBe(true);
  });

  it.each(['roles/owner', 'roles/editor', 'roles/viewer'])('%s does not include getAccessToken', (role) => {
    const p = perms(role);
    expect(p.length).toBeGreaterThan(100);
    expect(p).not.toContain('iam.serviceAccounts.getAccessToken');
  });

  it('owner can set service-account policies (so it can grant itself the binding)', () => {
    expect(perms('roles/owner')).toContain('iam.serviceAccounts.setIamPolicy');
  });

  it('gives titles', () => {
    const r = resolver.permissions('roles/iam.workloadIdentityUser');
    expect(r.known && r.title).toBe('Workload Identity User');
  });

  it('unknown predefined role is unknown, not empty', () => {
    const r = resolver.permissions('roles/iam.workloadIdentityUsr');
    expect(r.known).toBe(false);
    if (!r.known) expect(r.reason).toContain('not in the predefined role catalog');
    expect(resolver.isPredefined('roles/iam.workloadIdentityUsr')).toBe(false);
  });

  it('rejects a malformed catalog with a message', () => {
    expect(() => parseCatalog(null, 'x.json')).toThrow('role catalog x.json: not a JSON object');
    expect(() => parseCatalog({ roles: { 'roles/a': { title: 'A' } } }, 'x.json')).toThrow(
      'role `roles/a` has no permissions list',
    );
  });
});

describe('rolesWith', () => {
  it('lists predefined roles with the permission: roles for people first, fewest permissions first, then by name', () => {
    const roles = resolver.rolesWith('iam.serviceAccounts.getAccessToken');
    expect(roles[0]).toBe('roles/iam.workloadIdentityUser');
    expect(roles.indexOf('roles/iam.workloadIdentityUser')).toBeLessThan(
      roles.indexOf('roles/iam.serviceAccountTokenCreator'),
    );
    expect(roles).toContain('roles/iam.serviceAccountTokenCreator');
    expect(roles).not.toContain('roles/owner');
    expect(roles).not.toContain('roles/iam.serviceAccountUser');
    // Service-agent roles (Google's own robots) come after every role a person would grant.
    const firstAgent = roles.findIndex((r) => r.endsWith('.serviceAgent'));
    expect(firstAgent).toBeGreaterThan(0);
    const forPeople = roles.slice(0, firstAgent).filter((r) => !r.endsWith('.serviceAgent'));
    const sizes = forPeople.map((r) => perms(r).length);
    for (let i = 1; i < forPeople.length; i++) {
      const prev = sizes[i - 1]!;
      expect(sizes[i]!).toBeGreaterThanOrEqual(prev);
      if (sizes[i] === prev) expect(forPeople[i]! > forPeople[i - 1]!).toBe(true);
    }
    for (const r of roles) expect(perms(r)).toContain('iam.serviceAccounts.getAccessToken');
  });

  it('is empty for an unknown permission and returns a copy', () => {
    expect(resolver.rolesWith('nothing.nowhere.never')).toEqual([]);
    resolver.rolesWith('iam.serviceAccounts.actAs').push('roles/x');
    expect(resolver.rolesWith('iam.serviceAccounts.actAs')).not.toContain('roles/x');
  });
});

describe('custom roles', () => {
  it('resolves a present custom role to its permissions', () => {
    expect(perms('projects/acme-shop/roles/tokenMinter')).toEqual(['iam.serviceAccounts.getAccessToken']);
    expect(resolver.isPredefined('projects/acme-shop/roles/tokenMinter')).toBe(false);
  });

  it('a deleted custom role grants nothing, and says why', () => {
    const r = resolver.permissions('organizations/42/roles/gone');
    expect(r.known).toBe(true);
    if (r.known) {
      expect(r.permissions.size).toBe(0);
      expect(r.note).toContain('is deleted');
    }
  });

  it.each([
    ['projects/acme-shop/roles/missing', 'role does not exist'],
    ['projects/acme-shop/roles/forbidden', '403 iam.roles.get denied'],
    ['projects/acme-shop/roles/notCollected', 'custom role not collected'],
    ['roles', 'is no role name'],
    ['folders/1/roles/x', 'is no role name'],
  ])('%s is unknown: %s', (role, reason) => {
    const r = resolver.permissions(role);
    expect(r.known).toBe(false);
    if (!r.known) expect(r.reason).toContain(reason);
  });
});
