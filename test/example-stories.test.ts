// The example bundles tell one story each: their token logs agree with their Admin Activity logs. A binding
// removed at T leaves no successful GenerateAccessToken for that account after T (a success after the removal
// would say the binding still worked, contradicting the diagnosis the example is for).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const examples = join(import.meta.dirname, '..', 'examples');

interface Entry {
  timestamp: string;
  protoPayload: {
    methodName?: string;
    status?: { code?: number };
    resourceName?: string;
    request?: { name?: string };
    serviceData?: { policyDelta?: { bindingDeltas?: { action: string; role: string }[] } };
  };
  resource?: { labels?: { email_id?: string } };
}

const read = (dir: string, file: string): Entry[] =>
  existsSync(join(examples, dir, file)) ? (JSON.parse(readFileSync(join(examples, dir, file), 'utf8')) as Entry[]) : [];

const withLogs = readdirSync(examples).filter((d) => existsSync(join(examples, d, 'gcp/logs/admin-activity.json')));

describe('example token logs agree with their Admin Activity logs', () => {
  it('finds examples with both logs', () => {
    expect(withLogs).toContain('missing-binding');
  });

  it.each(withLogs)('%s: no token minted for an account after its last workloadIdentityUser removal', (dir) => {
    const removals = new Map<string, string>();
    for (const e of read(dir, 'gcp/logs/admin-activity.json')) {
      const deltas = e.protoPayload.serviceData?.policyDelta?.bindingDeltas ?? [];
      const email = e.resource?.labels?.email_id;
      if (email === undefined) continue;
      const removed = deltas.some((d) => d.action === 'REMOVE' && d.role === 'roles/iam.workloadIdentityUser');
      const added = deltas.some((d) => d.action === 'ADD' && d.role === 'roles/iam.workloadIdentityUser');
      if (removed && !added && e.timestamp > (removals.get(email) ?? '')) removals.set(email, e.timestamp);
      if (added) removals.delete(email);
    }
    const contradictions = read(dir, 'gcp/logs/iamcredentials.json')
      .filter((e) => e.protoPayload.methodName === 'GenerateAccessToken' && (e.protoPayload.status?.code ?? 0) === 0)
      .filter((e) => {
        const removedAt = removals.get(e.resource?.labels?.email_id ?? '');
        return removedAt !== undefined && e.timestamp > removedAt;
      })
      .map((e) => `${e.resource?.labels?.email_id ?? '?'} minted at ${e.timestamp}`);
    expect(contradictions).toEqual([]);
  });
});
