// Cloud Audit Logs as the sandbox writes them: Admin Activity entries for every SetIamPolicy,
// always; Data Access entries for token generation only when the project's auditConfigs turn ADMIN_READ on
// for iam.googleapis.com or allServices (DATA_READ alone is not enough).

import type { LogEntry, Policy } from '../model/gcp.js';

export class AuditLog {
  private readonly entries: LogEntry[] = [];
  private seq = 0;

  constructor(private readonly now: () => number) {}

  add(
    projectId: string,
    kind: 'activity' | 'data_access',
    entry: Omit<LogEntry, 'logName' | 'timestamp' | 'insertId'>,
  ): void {
    this.seq += 1;
    const ts = new Date(this.now()).toISOString();
    this.entries.push({
      logName: `projects/${projectId}/logs/cloudaudit.googleapis.com%2F${kind}`,
      timestamp: ts,
      receiveTimestamp: ts,
      insertId: `sandbox${String(this.seq).padStart(8, '0')}`,
      ...entry,
    });
  }

  all(): readonly LogEntry[] {
    return this.entries;
  }
}

/** Whether a project's policy turns on the Data Access logs that cover IAM Credentials for `member`. */
export function adminReadLogged(policy: Policy, member: string | undefined): boolean {
  return (policy.auditConfigs ?? []).some(
    (ac) =>
      (ac.service === 'allServices' || ac.service === 'iam.googleapis.com') &&
      (ac.auditLogConfigs ?? []).some(
        (c) => c.logType === 'ADMIN_READ' && !(member !== undefined && (c.exemptedMembers ?? []).includes(member)),
      ),
  );
}
