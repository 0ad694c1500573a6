// IAM policies by resource, with etags and propagation delay: reads (getIamPolicy) see a write at once,
// permission checks see it only once the delay has passed, as IAM's eventual consistency does.

import type { Policy } from '../../model/gcp.js';

interface Version {
  policy: Policy;
  effectiveAt: number;
}

export class StaleEtagError extends Error {}

export class PolicyStore {
  private readonly versions = new Map<string, Version[]>();
  private counter = 0;

  constructor(
    private readonly now: () => number,
    public propagationDelayMs = 0,
  ) {}

  /** The latest written policy (what getIamPolicy returns). */
  read(key: string): Policy {
    const list = this.versions.get(key);
    const last = list?.[list.length - 1];
    return last ? structuredClone(last.policy) : { version: 1, etag: this.emptyEtag(), bindings: [] };
  }

  /** The policy permission checks use now. */
  effective(key: string): Policy | undefined {
    const list = this.versions.get(key);
    if (!list) return undefined;
    const t = this.now();
    for (let i = list.length - 1; i >= 0; i--) {
      const v = list[i];
      if (v && v.effectiveAt <= t) return v.policy;
    }
    return undefined;
  }

  /** Seeds a policy from the scenario: effective at once, whatever the delay. */
  seed(key: string, policy: Policy): void {
    this.versions.set(key, [{ policy: { ...policy, etag: this.nextEtag() }, effectiveAt: 0 }]);
  }

  /** setIamPolicy: a present etag must match the current one (409 ABORTED otherwise). */
  write(key: string, policy: Policy): Policy {
    const current = this.read(key);
    if (policy.etag !== undefined && policy.etag !== '' && policy.etag !== current.etag) throw new StaleEtagError();
    const stored: Policy = { ...structuredClone(policy), etag: this.nextEtag() };
    const list = this.versions.get(key) ?? [];
    list.push({ policy: stored, effectiveAt: this.now() + this.propagationDelayMs });
    // Keep what is still pending plus the one before it, which is what checks see until then.
    const t = this.now();
    while (list.length > 2 && (list[1]?.effectiveAt ?? Infinity) <= t) list.shift();
    this.versions.set(key, list);
    return structuredClone(stored);
  }

  /** Rewrites members in place in every version (account deletion turns members into `deleted:` forms). */
  rewriteMembers(fn: (member: string) => string): void {
    for (const list of this.versions.values()) {
      for (const v of list) {
        for (const b of v.policy.bindings ?? []) b.members = (b.members ?? []).map(fn);
      }
    }
  }

  drop(key: string): void {
    this.versions.delete(key);
  }

  private emptyEtag(): string {
    return 'ACAB';
  }

  private nextEtag(): string {
    this.counter += 1;
    const buf = Buffer.alloc(8);
    buf.writeUInt32BE(0x07059c00, 0);
    buf.writeUInt32BE(this.counter, 4);
    return buf.toString('base64');
  }
}
