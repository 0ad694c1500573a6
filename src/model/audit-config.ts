// Whether a policy turns on the Data Access audit logs that record token generation. IAM Credentials'
// GenerateAccessToken entries are Data Access logs of permission type ADMIN_READ; they exist only when an audit
// config enables ADMIN_READ for `iam.googleapis.com` or `allServices` (they cannot be enabled for
// iamcredentials.googleapis.com alone); DATA_READ alone is not enough. Security Token Service's ExchangeToken
// entries are ADMIN_READ too, enabled for `sts.googleapis.com` (or `allServices`). Sources: Google's "IAM audit
// logging" and "Security Token Service audit logging" pages (docs/logs.md).

import type { Policy } from './gcp.js';

export const IAM_SERVICE = 'iam.googleapis.com';
export const STS_SERVICE = 'sts.googleapis.com';

export interface AdminReadState {
  on: boolean;
  /** The audit config's service that turns it on (`allServices` or the service itself). */
  via?: string;
  /** Members whose calls are not logged. */
  exemptedMembers: string[];
  /** DATA_READ (or DATA_WRITE) is on for the service but ADMIN_READ is not: the usual near miss. */
  otherTypesOnly: string[];
}

/** ADMIN_READ for `service` (or allServices) in one policy. */
export function adminReadState(policy: Policy, service: string = IAM_SERVICE): AdminReadState {
  const exempted = new Set<string>();
  const others = new Set<string>();
  let via: string | undefined;
  for (const config of policy.auditConfigs ?? []) {
    if (config.service !== service && config.service !== 'allServices') continue;
    for (const log of config.auditLogConfigs ?? []) {
      if (log.logType === 'ADMIN_READ') {
        via ??= config.service;
        for (const m of log.exemptedMembers ?? []) exempted.add(m);
      } else if (log.logType !== undefined) others.add(log.logType);
    }
  }
  return {
    on: via !== undefined,
    ...(via !== undefined ? { via } : {}),
    exemptedMembers: [...exempted],
    otherTypesOnly: via === undefined ? [...others] : [],
  };
}
