// Cloud Audit Logs as the sandbox writes them. Admin Activity entries (always on) for every call that
// changes something: service accounts and their keys, IAM policies (with the binding deltas), services,
// clusters and node pools. Data Access entries for token minting (IAM Credentials, STS) only when the
// project's auditConfigs turn ADMIN_READ on for iam.googleapis.com or allServices (DATA_READ alone is not
// enough). Shapes: google/cloud/audit/audit_log.proto, google/iam/v1/logging/audit_data.proto and the
// LogEntry of google/logging/v2/log_entry.proto; docs/sandbox-apis.md lists what each entry holds.

import type { AuditConfig, Binding, Policy } from '../model/gcp.js';
import type { SandboxRequest } from './http/router.js';
import { describePrincipal, type Principal } from './iam/principal.js';

/** A log entry as entries:list returns it (JSON of google.logging.v2.LogEntry). */
export interface AuditEntry {
  logName: string;
  timestamp: string;
  receiveTimestamp: string;
  insertId: string;
  severity: 'NOTICE' | 'INFO' | 'ERROR';
  resource: { type: string; labels: Record<string, string> };
  protoPayload: Record<string, unknown>;
  operation?: { id: string; producer: string; first?: boolean; last?: boolean };
}

export type LogKind = 'activity' | 'data_access';

/** What a handler tells the log about one call. */
export interface AuditCall {
  projectId: string;
  /** `folders/N` or `organizations/N` for changes to those (their own logs); default `projects/<projectId>`. */
  logParent?: string;
  serviceName: string;
  methodName: string;
  resourceName: string;
  resource: { type: string; labels: Record<string, string> };
  caller: Principal;
  /** The HTTP request: caller IP and the caller's own User-Agent come from it. */
  req?: SandboxRequest;
  /** For calls the sandbox makes on a caller's behalf (the GKE metadata server's own user agent). */
  userAgent?: string;
  /** The permission checked, recorded as authorizationInfo. */
  permission?: string;
  granted?: boolean;
  request?: Record<string, unknown>;
  response?: Record<string, unknown>;
  serviceData?: Record<string, unknown>;
  /** google.rpc.Status of a failed call; absent (`{}`) on success. */
  status?: { code: number; message: string };
  operation?: AuditEntry['operation'];
}

export class AuditLog {
  private readonly entries: AuditEntry[] = [];
  private seq = 0;

  constructor(private readonly now: () => number) {}

  /** An Admin Activity entry (severity NOTICE, or ERROR for a failed call). */
  activity(call: AuditCall): AuditEntry {
    return this.write('activity', call, call.status ? 'ERROR' : 'NOTICE');
  }

  /** A Data Access entry; the caller decides whether the project logs it (adminReadLogged). */
  dataAccess(call: AuditCall): AuditEntry {
    return this.write('data_access', call, call.status ? 'ERROR' : 'INFO');
  }

  all(): readonly AuditEntry[] {
    return this.entries;
  }

  private write(kind: LogKind, call: AuditCall, severity: AuditEntry['severity']): AuditEntry {
    this.seq += 1;
    const ts = new Date(this.now()).toISOString();
    const payload: Record<string, unknown> = {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      status: call.status ?? {},
      // A refused caller is not named (failed GenerateAccessToken entries have an empty authenticationInfo).
      authenticationInfo: call.status ? {} : principalInfo(call.caller),
      requestMetadata: {
        callerIp: callerIp(call.req),
        callerSuppliedUserAgent: call.userAgent ?? headerOf(call.req, 'user-agent'),
        requestAttributes: { time: ts, auth: {} },
        destinationAttributes: {},
      },
      serviceName: call.serviceName,
      methodName: call.methodName,
    };
    if (call.permission !== undefined) {
      payload.authorizationInfo = [
        {
          resource: call.resourceName,
          permission: call.permission,
          granted: call.granted ?? !call.status,
          resourceAttributes: {},
        },
      ];
    }
    payload.resourceName = call.resourceName;
    if (call.serviceData) payload.serviceData = call.serviceData;
    if (call.request) payload.request = call.request;
    if (call.response) payload.response = call.response;
    const entry: AuditEntry = {
      protoPayload: payload,
      insertId: `sandbox${String(this.seq).padStart(8, '0')}`,
      resource: call.resource,
      timestamp: ts,
      severity,
      logName: `${call.logParent ?? `projects/${call.projectId}`}/logs/cloudaudit.googleapis.com%2F${kind}`,
      receiveTimestamp: ts,
    };
    if (call.operation) entry.operation = call.operation;
    this.entries.push(entry);
    return entry;
  }
}

function headerOf(req: SandboxRequest | undefined, name: string): string {
  const v = req?.headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

/** The socket's address; IPv4 peers that Node reports as IPv4-mapped IPv6 are written as IPv4. */
function callerIp(req: SandboxRequest | undefined): string {
  const ip = req?.remoteAddress ?? '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice('::ffff:'.length) : ip;
}

/** principalEmail for users and service accounts; principalSubject for federated (KSA) identities. */
export function principalInfo(p: Principal): Record<string, string> {
  return p.kind === 'ksa' ? { principalSubject: describePrincipal(p) } : { principalEmail: p.email };
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

export interface BindingDelta {
  action: 'ADD' | 'REMOVE';
  role: string;
  member: string;
  condition?: Binding['condition'];
}

/**
 * The policy delta of AuditData: one member per delta, REMOVE before ADD, a conditional binding's member
 * carrying its condition (google/iam/v1/policy.proto BindingDelta).
 */
export function bindingDeltas(before: Policy, after: Policy): BindingDelta[] {
  const key = (role: string, member: string, c: Binding['condition']): string =>
    JSON.stringify([role, member, c?.expression ?? null, c?.title ?? null]);
  const index = (p: Policy): Map<string, BindingDelta> => {
    const m = new Map<string, BindingDelta>();
    for (const b of p.bindings ?? [])
      for (const member of b.members ?? []) {
        const d: BindingDelta = { action: 'ADD', role: b.role, member };
        if (b.condition) d.condition = b.condition;
        m.set(key(b.role, member, b.condition), d);
      }
    return m;
  };
  const a = index(before);
  const b = index(after);
  const out: BindingDelta[] = [];
  for (const [k, d] of a) if (!b.has(k)) out.push({ ...d, action: 'REMOVE' });
  for (const [k, d] of b) if (!a.has(k)) out.push(d);
  return out;
}

export interface AuditConfigDelta {
  action: 'ADD' | 'REMOVE';
  service: string;
  logType: string;
  exemptedMember?: string;
}

/** auditConfigDeltas of AuditData: one per (service, log type) or exempted member added or removed. */
export function auditConfigDeltas(
  before: AuditConfig[] | undefined,
  after: AuditConfig[] | undefined,
): AuditConfigDelta[] {
  const flat = (list: AuditConfig[] | undefined): Map<string, AuditConfigDelta> => {
    const m = new Map<string, AuditConfigDelta>();
    for (const ac of list ?? [])
      for (const c of ac.auditLogConfigs ?? []) {
        const logType = c.logType ?? 'LOG_TYPE_UNSPECIFIED';
        m.set(JSON.stringify([ac.service, logType]), { action: 'ADD', service: ac.service, logType });
        for (const e of c.exemptedMembers ?? [])
          m.set(JSON.stringify([ac.service, logType, e]), {
            action: 'ADD',
            service: ac.service,
            logType,
            exemptedMember: e,
          });
      }
    return m;
  };
  const a = flat(before);
  const b = flat(after);
  const out: AuditConfigDelta[] = [];
  for (const [k, d] of a) if (!b.has(k)) out.push({ ...d, action: 'REMOVE' });
  for (const [k, d] of b) if (!a.has(k)) out.push(d);
  return out;
}
