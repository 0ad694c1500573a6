// The collected log entries, read once per facts, and what the collected queries prove about a time window.

import type { Facts, LogQuery } from '../../model/facts.js';
import { parseLogEntries } from '../../model/audit-log.js';
import type { ParsedLogs } from '../../model/audit-log.js';

const parsedCache = new WeakMap<Facts, ParsedLogs | undefined>();

/** Token events and changes of the collected logs; undefined when no log was collected. */
export function parsedLogs(facts: Facts): ParsedLogs | undefined {
  if (parsedCache.has(facts)) return parsedCache.get(facts);
  const parsed = facts.logEntries.status === 'present' ? parseLogEntries(facts.logEntries.value) : undefined;
  parsedCache.set(facts, parsed);
  return parsed;
}

/**
 * A complete query that covered GenerateAccessToken entries of this account from `since` to the collection time:
 * the only thing that lets "no entry" mean "none happened" (given the logs were on).
 */
export function coveringQuery(facts: Facts, email: string, since: Date): LogQuery | undefined {
  const wanted = email.toLowerCase();
  return facts.logQueries.find(
    (q) =>
      q.complete &&
      Date.parse(q.since) <= since.getTime() &&
      Date.parse(q.until) >= facts.now.getTime() - 60_000 &&
      /GenerateAccessToken|iamcredentials/.test(q.filter) &&
      (q.serviceAccounts === undefined || q.serviceAccounts.some((e) => e.toLowerCase() === wanted)),
  );
}
