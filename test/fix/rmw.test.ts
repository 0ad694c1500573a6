// The read-modify-write loop against a fake IAM that plays the etag contract: a stale etag is refused with
// 409 ABORTED, the loop reads again and re-applies, within its bound; a 403 is never retried.

import { describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../src/collect/live/calls.js';
import { readModifyWrite, WriteFailure } from '../../src/fix/apply/rmw.js';
import { addMember } from '../../src/fix/policy.js';
import type { Policy } from '../../src/model/gcp.js';

/** A policy store with etags; `interfere` runs between a read and the write that follows it. */
function fakeIam(initial: Policy, interfere: (n: number, store: { policy: Policy }) => void = () => undefined) {
  let version = 1;
  const store = { policy: { ...structuredClone(initial), etag: 'v1' } };
  const calls = { get: 0, set: 0 };
  return {
    store,
    calls,
    io: {
      get: (): Promise<CallOutcome<Policy>> => {
        calls.get++;
        const snapshot = structuredClone(store.policy);
        interfere(calls.get, store);
        return Promise.resolve({ ok: true, value: snapshot });
      },
      set: (p: Policy): Promise<CallOutcome<Policy>> => {
        calls.set++;
        if (p.etag !== store.policy.etag) {
          return Promise.resolve({
            ok: false,
            kind: 'error',
            status: 409,
            message: '409 ABORTED: There were concurrent policy changes.',
          });
        }
        version++;
        store.policy = { ...structuredClone(p), etag: `v${version}` };
        return Promise.resolve({ ok: true, value: structuredClone(store.policy) });
      },
    },
  };
}

const noDelay = { delayMs: () => 0 };

describe('readModifyWrite', () => {
  it('writes back with the etag it read and reports both etags', async () => {
    const iam = fakeIam({ bindings: [] });
    const r = await readModifyWrite(iam.io, (p) => addMember(p, 'roles/x', 'user:a@example.com'), noDelay);
    expect(r).toMatchObject({ changed: true, etagBefore: 'v1', etagAfter: 'v2', attempts: 1 });
    expect(iam.store.policy.bindings).toEqual([{ role: 'roles/x', members: ['user:a@example.com'] }]);
  });

  it('on 409 reads again and re-applies the change on top of the concurrent one: nothing is lost', async () => {
    const iam = fakeIam({ bindings: [] }, (n, store) => {
      // Another writer lands between our first and second read and our write.
      if (n <= 2) {
        store.policy = addMember(store.policy, 'roles/y', `user:other${n}@example.com`).policy;
        store.policy.etag = `other${n}`;
      }
    });
    const r = await readModifyWrite(iam.io, (p) => addMember(p, 'roles/x', 'user:a@example.com'), noDelay);
    expect(r.attempts).toBe(3);
    expect(iam.calls.set).toBe(3);
    expect(iam.store.policy.bindings).toEqual([
      { role: 'roles/y', members: ['user:other1@example.com', 'user:other2@example.com'] },
      { role: 'roles/x', members: ['user:a@example.com'] },
    ]);
  });

  it('gives up after its bound, with the API’s words and the count', async () => {
    const iam = fakeIam({ bindings: [] }, (n, store) => {
      store.policy.etag = `moved${n}`;
    });
    const error = await readModifyWrite(iam.io, (p) => addMember(p, 'roles/x', 'user:a@example.com'), {
      ...noDelay,
      maxAttempts: 4,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteFailure);
    expect((error as WriteFailure).status).toBe(409);
    expect((error as WriteFailure).message).toMatch(/gave up after 4 read-modify-write attempts/);
    expect(iam.calls.set).toBe(4);
  });

  it('does not write when the policy already is as wanted', async () => {
    const iam = fakeIam({ bindings: [{ role: 'roles/x', members: ['user:a@example.com'] }] });
    const r = await readModifyWrite(iam.io, (p) => addMember(p, 'roles/x', 'user:a@example.com'), noDelay);
    expect(r).toMatchObject({ changed: false, etagBefore: 'v1', etagAfter: 'v1' });
    expect(iam.calls.set).toBe(0);
  });

  it('never retries a refused write (403), and says it was the write', async () => {
    const iam = fakeIam({ bindings: [] });
    let sets = 0;
    const io = {
      get: iam.io.get,
      set: (): Promise<CallOutcome<Policy>> => {
        sets++;
        return Promise.resolve({
          ok: false,
          kind: 'error',
          status: 403,
          message: '403 PERMISSION_DENIED: denied (needs iam.serviceAccounts.setIamPolicy)',
        });
      },
    };
    const error = (await readModifyWrite(io, (p) => addMember(p, 'roles/x', 'user:a@example.com'), noDelay).catch(
      (e: unknown) => e,
    )) as WriteFailure;
    expect(error).toBeInstanceOf(WriteFailure);
    expect([error.status, error.phase, sets]).toEqual([403, 'write', 1]);
  });
});
