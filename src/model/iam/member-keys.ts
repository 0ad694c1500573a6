// Keys that file policy members by the principal they can name, so that looking up one principal's grants in a
// large policy reads a few entries instead of every member. A key only narrows the search: whether a member found
// under a key really names the principal is still decided by matchMember.
//
// Members that can name a KSA: its legacy and principal:// subject forms (pool, namespace, name), its uid form,
// its namespace's and its cluster's principal sets. Members that can name a service account: `serviceAccount:EMAIL`
// (compared without case, as IAM does). `allUsers` and `allAuthenticatedUsers` name everybody and have no key:
// callers look at them for every principal.

import type { KsaPrincipal } from '../../engine/subject.js';
import type { Member, Principal } from '../identifiers.js';

/** Index keys under which a policy member can match a principal (none for members no key can find). */
export function keysOfMember(member: Member): string[] {
  switch (member.type) {
    case 'wi-legacy':
    case 'wi-subject':
      return [`ksa|${member.pool}|${member.namespace}|${member.ksa}`];
    case 'wi-uid':
      return [`uid|${member.pool}|${member.uid}`];
    case 'wi-namespace':
      return [`ns|${member.pool}|${member.namespace}`];
    case 'wi-cluster':
      return [`cluster|${member.pool}|${member.clusterUrl}`];
    case 'serviceAccount':
      return [`sa|${member.email.toLowerCase()}`];
    default:
      return [];
  }
}

/**
 * The keys of the last KSA principal asked about: a subject's KSA is looked up in several policies by several
 * checks in a row, and a key made once is hashed once. Only the last is kept, so nothing is held for the whole
 * run. Principals are not changed once made.
 */
let lastKsa: KsaPrincipal | undefined;
let lastKeys: readonly string[] = [];

/** Index keys of the members that can match this principal. */
export function keysOfPrincipal(principal: Principal): readonly string[] {
  if (principal.type === 'serviceAccount') return [`sa|${principal.email.toLowerCase()}`];
  if (principal.ksa !== lastKsa) {
    lastKeys = keysOfKsa(principal.ksa);
    lastKsa = principal.ksa;
  }
  return lastKeys;
}

function keysOfKsa(ksa: KsaPrincipal): string[] {
  const { pool, namespace, name, uid, clusterUrl } = ksa;
  // Without the cluster's pool no Workload Identity member can name the KSA (they all name a pool).
  if (pool === undefined) return [];
  // In this order: the identity graph lists a principal's bindings key by key.
  const keys = [`ksa|${pool}|${namespace}|${name}`];
  if (uid !== undefined) keys.push(`uid|${pool}|${uid}`);
  keys.push(`ns|${pool}|${namespace}`, `cluster|${pool}|${clusterUrl}`);
  return keys;
}

/**
 * Entries (one per policy member) filed under the keys of their member, plus those every lookup visits, numbered
 * in the order they were added so that a lookup lists them in policy order.
 */
export class MemberIndex<T extends { order: number }> {
  private readonly byKey = new Map<string, T[]>();
  private readonly always: T[] = [];
  /**
   * The kinds of key filed so far, one bit per kind (a key's first letter tells its kind: k, u, n, c, s): a lookup
   * skips the kinds no member has. A KSA is looked up under four keys and most policies name KSAs one by one, so
   * most lookups are one instead of four misses in a large map.
   */
  private kinds = 0;

  /** Files `entry` under the keys of `member`; `always`: every lookup visits it too. */
  add(entry: T, member: Member, always: boolean): void {
    if (always) this.always.push(entry);
    for (const key of keysOfMember(member)) {
      this.kinds |= kindBit(key);
      const list = this.byKey.get(key);
      if (list === undefined) this.byKey.set(key, [entry]);
      else list.push(entry);
    }
  }

  /** The entries that can name a principal with these keys (`keysOfPrincipal`), in the order they were added. */
  candidates(keys: readonly string[]): readonly T[] {
    let found: readonly T[] = this.always;
    let merged = false;
    for (const key of keys) {
      if ((this.kinds & kindBit(key)) === 0) continue;
      const list = this.byKey.get(key);
      if (list === undefined) continue;
      if (found.length === 0) found = list;
      else {
        found = [...found, ...list];
        merged = true;
      }
    }
    return merged ? [...found].sort((a, b) => a.order - b.order) : found;
  }
}

/** A key's kind as a bit: its first letter (k, u, n, c or s) modulo 32, which keeps the five apart. */
const kindBit = (key: string): number => 1 << (key.charCodeAt(0) & 31);
