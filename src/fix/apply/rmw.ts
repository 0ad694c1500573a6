// IAM read-modify-write: read the policy (requestedPolicyVersion 3), change one thing, write it back with the
// etag that was read. A concurrent writer makes setIamPolicy fail 409 ABORTED; then read again and re-apply the
// change, a bounded number of times with backoff. When the read policy is already in the wanted state nothing
// is written.

import type { CallOutcome } from '../../collect/live/calls.js';
import type { Policy } from '../../model/gcp.js';
import type { PolicyEdit } from '../policy.js';

/** A write (or the read before it) that failed: the API's status and words. */
export class WriteFailure extends Error {
  constructor(
    readonly status: number | undefined,
    message: string,
    /** For a read-modify-write: whether the read or the write failed. */
    readonly phase?: 'read' | 'write',
  ) {
    super(message);
    this.name = 'WriteFailure';
  }
}

export function must<T>(outcome: CallOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new WriteFailure(outcome.status, outcome.message);
}

export interface PolicyIo {
  get(): Promise<CallOutcome<Policy>>;
  set(policy: Policy): Promise<CallOutcome<Policy>>;
}

export interface RmwResult {
  changed: boolean;
  /** The etag of the policy the change was made to (the last one read). */
  etagBefore: string | undefined;
  /** The etag setIamPolicy returned; equal to etagBefore when nothing was written. */
  etagAfter: string | undefined;
  /** Reads made: 1, plus one per 409. */
  attempts: number;
  before: Policy;
  after: Policy;
}

export interface RmwOptions {
  /** Reads (and writes) at most; default 6. */
  maxAttempts?: number;
  /** Delay before attempt n (n ≥ 2); default full jitter on 200 ms · 2^(n-2), capped at 5 s. */
  delayMs?: (attempt: number) => number;
}

const defaultDelay = (attempt: number): number => Math.random() * Math.min(5000, 200 * 2 ** (attempt - 2));

export async function readModifyWrite(
  io: PolicyIo,
  edit: (policy: Policy) => PolicyEdit,
  options: RmwOptions = {},
): Promise<RmwResult> {
  const maxAttempts = options.maxAttempts ?? 6;
  const delay = options.delayMs ?? defaultDelay;
  for (let attempt = 1; ; attempt++) {
    const read = await io.get();
    if (!read.ok) throw new WriteFailure(read.status, read.message, 'read');
    const before = read.value;
    const result = edit(before);
    if (!result.changed) {
      return {
        changed: false,
        etagBefore: before.etag,
        etagAfter: before.etag,
        attempts: attempt,
        before,
        after: before,
      };
    }
    // The etag read goes back with the write: a policy changed since makes IAM refuse it (409 ABORTED).
    const written = await io.set({ ...result.policy, etag: before.etag });
    if (written.ok) {
      return {
        changed: true,
        etagBefore: before.etag,
        etagAfter: written.value.etag,
        attempts: attempt,
        before,
        after: written.value,
      };
    }
    if (written.status !== 409) throw new WriteFailure(written.status, written.message, 'write');
    if (attempt >= maxAttempts) {
      throw new WriteFailure(
        409,
        `${written.message} (the policy kept changing: gave up after ${attempt} read-modify-write attempts)`,
        'write',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay(attempt + 1)));
  }
}
