// Policy edits change exactly one member and nothing else: other bindings, their member order, conditions,
// auditConfigs and unknown fields come out byte for byte as they went in.

import { describe, expect, it } from 'vitest';
import { addMember, copyGrants, hasGrant, removeMember } from '../../src/fix/policy.js';
import type { Policy } from '../../src/model/gcp.js';

const KSA = 'serviceAccount:acme-shop.svc.id.goog[shop/cart]';
const WIU = 'roles/iam.workloadIdentityUser';

function busyPolicy(): Policy & Record<string, unknown> {
  return {
    version: 3,
    etag: 'BwXXwOptVuE=',
    bindings: [
      { role: 'roles/viewer', members: ['user:zoe@example.com', 'group:ops@example.com', 'user:al@example.com'] },
      {
        role: WIU,
        members: ['serviceAccount:acme-shop.svc.id.goog[billing/invoicer]'],
        condition: {
          expression: 'request.time < timestamp("2030-01-01T00:00:00Z")',
          title: 'until 2030',
          description: 'temp',
        },
      },
      { role: WIU, members: ['serviceAccount:acme-shop.svc.id.goog[shop/api]'] },
    ],
    auditConfigs: [
      { service: 'allServices', auditLogConfigs: [{ logType: 'DATA_READ', exemptedMembers: ['user:x@example.com'] }] },
    ],
    // A field this tool does not know must survive too.
    futureField: { nested: [1, 2, 3] },
  };
}

describe('addMember', () => {
  it('appends to the unconditional binding of the role and leaves every other byte alone', () => {
    const before = busyPolicy();
    const frozen = JSON.stringify(before);
    const { policy, changed } = addMember(before, WIU, KSA);
    expect(changed).toBe(true);
    expect(JSON.stringify(before)).toBe(frozen); // the input is not mutated
    const expected = busyPolicy();
    expected.bindings?.[2]?.members?.push(KSA);
    expect(JSON.stringify(policy)).toBe(JSON.stringify(expected));
  });

  it('does not count a conditional grant as the unconditional one asked for, and vice versa', () => {
    const p = busyPolicy();
    expect(hasGrant(p, WIU, 'serviceAccount:acme-shop.svc.id.goog[billing/invoicer]')).toBe(false);
    const edit = addMember(p, WIU, 'serviceAccount:acme-shop.svc.id.goog[billing/invoicer]');
    expect(edit.changed).toBe(true);
    expect(edit.policy.bindings?.[2]?.members).toContain('serviceAccount:acme-shop.svc.id.goog[billing/invoicer]');
    expect(edit.policy.bindings?.[1]).toEqual(p.bindings?.[1]);
  });

  it('adds a conditional grant as its own binding at the end, and writes version 3', () => {
    const p: Policy = { version: 1, etag: 'e', bindings: [{ role: 'roles/viewer', members: ['user:a@example.com'] }] };
    const condition = { expression: 'resource.name.startsWith("x")', title: 'x only' };
    const { policy } = addMember(p, WIU, KSA, condition);
    expect(policy.version).toBe(3);
    expect(policy.bindings).toEqual([p.bindings?.[0], { role: WIU, members: [KSA], condition }]);
  });

  it('keeps version 1 when no binding is conditional', () => {
    const p: Policy = { version: 1, etag: 'e', bindings: [] };
    expect(addMember(p, WIU, KSA).policy.version).toBe(1);
  });

  it('is a no-op when the member already holds the role, whatever the case of its email', () => {
    const p: Policy = {
      etag: 'e',
      bindings: [{ role: 'roles/x', members: ['serviceAccount:Cart@Acme-Shop.iam.gserviceaccount.com'] }],
    };
    const edit = addMember(p, 'roles/x', 'serviceAccount:cart@acme-shop.iam.gserviceaccount.com');
    expect(edit.changed).toBe(false);
    expect(edit.policy).toBe(p);
  });

  it('creates the bindings list of an empty policy', () => {
    const { policy } = addMember({ etag: 'ACAB' }, WIU, KSA);
    expect(policy).toEqual({ etag: 'ACAB', bindings: [{ role: WIU, members: [KSA] }] });
  });
});

describe('removeMember', () => {
  it('removes one member from every binding of the role and drops a binding left empty', () => {
    const p = busyPolicy();
    const { policy, changed } = removeMember(p, WIU, 'serviceAccount:acme-shop.svc.id.goog[shop/api]');
    expect(changed).toBe(true);
    const expected = busyPolicy();
    expected.bindings = expected.bindings?.slice(0, 2);
    expect(JSON.stringify(policy)).toBe(JSON.stringify(expected));
  });

  it('keeps the order of the other members', () => {
    const { policy } = removeMember(busyPolicy(), 'roles/viewer', 'group:ops@example.com');
    expect(policy.bindings?.[0]?.members).toEqual(['user:zoe@example.com', 'user:al@example.com']);
  });

  it('is a no-op for a member that holds no such role', () => {
    const p = busyPolicy();
    expect(removeMember(p, 'roles/viewer', KSA)).toEqual({ policy: p, changed: false });
  });
});

describe('copyGrants', () => {
  it('gives the new account each grant of the old one, conditions included, and nothing else', () => {
    const OLD = 'serviceAccount:cart@acme-shop.iam.gserviceaccount.com';
    const NEW = 'serviceAccount:cart-v2@acme-shop.iam.gserviceaccount.com';
    const condition = { expression: 'request.time < timestamp("2030-01-01T00:00:00Z")', title: 'until 2030' };
    const p: Policy = {
      version: 3,
      etag: 'e',
      bindings: [
        { role: 'roles/storage.objectViewer', members: [OLD, 'user:bob@example.com'] },
        { role: 'roles/pubsub.publisher', members: [OLD], condition },
        { role: 'roles/owner', members: ['user:admin@example.com'] },
      ],
    };
    const edit = copyGrants(p, OLD, NEW);
    expect(edit.copied).toEqual([
      { role: 'roles/storage.objectViewer' },
      { role: 'roles/pubsub.publisher', condition },
    ]);
    expect(edit.policy.bindings).toEqual([
      { role: 'roles/storage.objectViewer', members: [OLD, 'user:bob@example.com', NEW] },
      { role: 'roles/pubsub.publisher', members: [OLD, NEW], condition },
      { role: 'roles/owner', members: ['user:admin@example.com'] },
    ]);
    // Copying twice changes nothing the second time; `held` tells that apart from an old account with no grant.
    expect(copyGrants(edit.policy, OLD, NEW)).toMatchObject({ changed: false, held: 2 });
    expect(copyGrants({ version: 3, etag: 'e', bindings: [] }, OLD, NEW)).toMatchObject({ changed: false, held: 0 });
  });
});
