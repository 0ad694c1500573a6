// Cloud Audit Log entries, read into the two kinds of events wi-doctor uses: token events (IAM Credentials'
// GenerateAccessToken, Security Token Service's ExchangeToken: Data Access logs) and changes (Admin Activity:
// SetIamPolicy with its policy delta, service-account delete/disable/…, key create/delete). The entry shapes are
// recorded with their public sources in docs/logs.md. An entry of an unexpected shape is skipped and counted,
// never a crash; an entry of a method wi-doctor does not read is ignored.

import type { LogEntry } from './gcp.js';

export interface Caller {
  principalEmail?: string;
  principalSubject?: string;
  callerIp?: string;
  userAgent?: string;
}

export interface TokenEvent {
  kind: 'generate-access-token' | 'generate-id-token' | 'sts-exchange';
  /** RFC 3339 time of the entry. */
  at: string;
  ok: boolean;
  /** google.rpc.Status of a failure: code 7 = PERMISSION_DENIED, … */
  status?: { code?: number; message?: string };
  /** The account a token was asked for (GenerateAccessToken). */
  gsa?: { email?: string; uniqueId?: string };
  /** STS: the federated principal (`protoPayload.metadata.mapped_principal`). */
  mappedPrincipal?: string;
  /** The project whose log holds the entry. */
  project?: string;
  caller: Caller;
  insertId?: string;
}

export type ChangeKind =
  | 'binding-added'
  | 'binding-removed'
  | 'account-created'
  | 'account-deleted'
  | 'account-disabled'
  | 'account-enabled'
  | 'account-undeleted'
  | 'key-created'
  | 'key-deleted';

export interface ChangeEvent {
  kind: ChangeKind;
  at: string;
  /** The changed resource as logged (`projects/-/serviceAccounts/UNIQUE_ID`, `projects/P`, …). */
  resourceName: string;
  /** Service account the change is about, from the entry's resource labels or request (when logged). */
  email?: string;
  uniqueId?: string;
  /** Policy changes: one member per delta (FACTS: `policyDelta.bindingDeltas[]`). */
  role?: string;
  member?: string;
  condition?: { expression?: string; title?: string };
  /** Failed calls change nothing; they are kept apart. */
  ok: boolean;
  caller: Caller;
  /** gcloud, Terraform, the console, or the first word of the user agent. */
  tool: string;
  project?: string;
  insertId?: string;
}

export interface ParsedLogs {
  tokens: TokenEvent[];
  changes: ChangeEvent[];
  /** Entries that were not objects, or lacked the fields their method needs. */
  skipped: number;
  /** Why, for the first few skipped entries. */
  skippedReasons: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The tool behind a user agent: `gcloud`, `Terraform`, `console` (a browser), else its first word. */
export function toolOf(userAgent: string | undefined): string {
  if (userAgent === undefined || userAgent === '') return 'unknown';
  if (/google-cloud-sdk|\bgcloud\//i.test(userAgent)) return 'gcloud';
  if (/terraform/i.test(userAgent)) return 'Terraform';
  if (/gke-metadata-server/i.test(userAgent)) return 'gke-metadata-server';
  if (/pulumi/i.test(userAgent)) return 'Pulumi';
  if (/config-connector|cnrm/i.test(userAgent)) return 'Config Connector';
  if (/kubectl/i.test(userAgent)) return 'kubectl';
  // UNVERIFIED: the exact user agent the Cloud console sends; a browser's is the best sign available.
  if (/^Mozilla\//.test(userAgent)) return 'console (a browser)';
  if (/wi-doctor/i.test(userAgent)) return 'wi-doctor';
  return userAgent.split(/[\s,;]/)[0] ?? userAgent;
}

function callerOf(payload: Record<string, unknown>): Caller {
  const auth = isRecord(payload.authenticationInfo) ? payload.authenticationInfo : {};
  const meta = isRecord(payload.requestMetadata) ? payload.requestMetadata : {};
  const caller: Caller = {};
  const email = str(auth.principalEmail);
  const subject = str(auth.principalSubject);
  const ip = str(meta.callerIp);
  const agent = str(meta.callerSuppliedUserAgent);
  if (email !== undefined) caller.principalEmail = email;
  if (subject !== undefined) caller.principalSubject = subject;
  if (ip !== undefined) caller.callerIp = ip;
  if (agent !== undefined) caller.userAgent = agent;
  return caller;
}

function statusOf(payload: Record<string, unknown>): { ok: boolean; status?: { code?: number; message?: string } } {
  const status = isRecord(payload.status) ? payload.status : undefined;
  const code = typeof status?.code === 'number' ? status.code : undefined;
  if (code === undefined || code === 0) return { ok: true };
  const message = str(status?.message);
  return { ok: false, status: { code, ...(message !== undefined ? { message } : {}) } };
}

/** `projects/P/logs/…` → P. */
function projectOfLog(logName: string | undefined): string | undefined {
  return /^projects\/([^/]+)\/logs\//.exec(logName ?? '')?.[1];
}

/** The numeric id in `projects/X/serviceAccounts/ID`; undefined for an email there. */
function uniqueIdOf(resourceName: string): string | undefined {
  return /\/serviceAccounts\/(\d+)$/.exec(resourceName)?.[1];
}

function emailOfName(name: unknown): string | undefined {
  const m = /\/serviceAccounts\/([^/]+@[^/]+)$/.exec(str(name) ?? '');
  return m?.[1];
}

const TOKEN_METHODS: Record<string, TokenEvent['kind']> = {
  GenerateAccessToken: 'generate-access-token',
  'google.iam.credentials.v1.IAMCredentials.GenerateAccessToken': 'generate-access-token',
  GenerateIdToken: 'generate-id-token',
  'google.iam.credentials.v1.IAMCredentials.GenerateIdToken': 'generate-id-token',
  'google.identity.sts.v1.SecurityTokenService.ExchangeToken': 'sts-exchange',
  'google.identity.sts.v1beta.SecurityTokenService.ExchangeToken': 'sts-exchange',
};

const ACCOUNT_METHODS: Record<string, ChangeKind> = {
  'google.iam.admin.v1.CreateServiceAccount': 'account-created',
  'google.iam.admin.v1.DeleteServiceAccount': 'account-deleted',
  'google.iam.admin.v1.DisableServiceAccount': 'account-disabled',
  'google.iam.admin.v1.EnableServiceAccount': 'account-enabled',
  'google.iam.admin.v1.UndeleteServiceAccount': 'account-undeleted',
  'google.iam.admin.v1.CreateServiceAccountKey': 'key-created',
  'google.iam.admin.v1.DeleteServiceAccountKey': 'key-deleted',
};

/** IAM's method name for service-account policies, and Resource Manager's for project policies. */
const SET_POLICY = new Set(['google.iam.admin.v1.SetIAMPolicy', 'SetIamPolicy']);

type Outcome<T> = { ok: true; value: T[] } | { ok: false; reason: string } | { ok: true; value: [] };

function tokenEvent(entry: LogEntry, payload: Record<string, unknown>, kind: TokenEvent['kind']): Outcome<TokenEvent> {
  const at = str(entry.timestamp);
  if (at === undefined) return { ok: false, reason: 'no timestamp' };
  const labels = isRecord(entry.resource) && isRecord(entry.resource.labels) ? entry.resource.labels : {};
  const resourceName = str(payload.resourceName) ?? '';
  const request = isRecord(payload.request) ? payload.request : {};
  const email = str(labels.email_id) ?? emailOfName(request.name) ?? emailOfName(resourceName);
  const uniqueId = str(labels.unique_id) ?? uniqueIdOf(resourceName);
  const metadata = isRecord(payload.metadata) ? payload.metadata : {};
  const mapped = str(metadata.mapped_principal) ?? str(metadata.mappedPrincipal);
  const project = projectOfLog(entry.logName);
  const event: TokenEvent = {
    kind,
    at,
    ...statusOf(payload),
    ...(email !== undefined || uniqueId !== undefined
      ? { gsa: { ...(email !== undefined ? { email } : {}), ...(uniqueId !== undefined ? { uniqueId } : {}) } }
      : {}),
    ...(mapped !== undefined ? { mappedPrincipal: mapped } : {}),
    ...(project !== undefined ? { project } : {}),
    caller: callerOf(payload),
    ...(entry.insertId !== undefined ? { insertId: entry.insertId } : {}),
  };
  if (kind !== 'sts-exchange' && event.gsa === undefined) return { ok: false, reason: 'no service account named' };
  return { ok: true, value: [event] };
}

function changeBase(entry: LogEntry, payload: Record<string, unknown>): Omit<ChangeEvent, 'kind'> | string {
  const at = str(entry.timestamp);
  if (at === undefined) return 'no timestamp';
  const resourceName = str(payload.resourceName);
  if (resourceName === undefined) return 'no resourceName';
  const labels = isRecord(entry.resource) && isRecord(entry.resource.labels) ? entry.resource.labels : {};
  const request = isRecord(payload.request) ? payload.request : {};
  const email = str(labels.email_id) ?? emailOfName(request.name) ?? emailOfName(resourceName);
  const uniqueId = str(labels.unique_id) ?? uniqueIdOf(resourceName);
  const caller = callerOf(payload);
  const project = projectOfLog(entry.logName) ?? str(labels.project_id);
  return {
    at,
    resourceName,
    ...(email !== undefined ? { email } : {}),
    ...(uniqueId !== undefined ? { uniqueId } : {}),
    ok: statusOf(payload).ok,
    caller,
    tool: toolOf(caller.userAgent),
    ...(project !== undefined ? { project } : {}),
    ...(entry.insertId !== undefined ? { insertId: entry.insertId } : {}),
  };
}

function policyChanges(entry: LogEntry, payload: Record<string, unknown>): Outcome<ChangeEvent> {
  const base = changeBase(entry, payload);
  if (typeof base === 'string') return { ok: false, reason: base };
  const data = isRecord(payload.serviceData) ? payload.serviceData : undefined;
  const delta = isRecord(data?.policyDelta) ? data.policyDelta : undefined;
  // A failed call (or one that changed only audit configs) has no binding deltas: nothing to report.
  if (delta === undefined) return { ok: true, value: [] };
  const deltas = delta.bindingDeltas;
  if (deltas === undefined) return { ok: true, value: [] };
  if (!Array.isArray(deltas)) return { ok: false, reason: 'policyDelta.bindingDeltas is not an array' };
  const out: ChangeEvent[] = [];
  for (const d of deltas) {
    if (!isRecord(d)) return { ok: false, reason: 'a binding delta is not an object' };
    const action = str(d.action);
    const role = str(d.role);
    const member = str(d.member);
    if ((action !== 'ADD' && action !== 'REMOVE') || role === undefined || member === undefined) {
      return { ok: false, reason: 'a binding delta lacks action (ADD|REMOVE), role or member' };
    }
    const condition = isRecord(d.condition) ? d.condition : undefined;
    out.push({
      ...base,
      kind: action === 'ADD' ? 'binding-added' : 'binding-removed',
      role,
      member,
      ...(condition !== undefined
        ? {
            condition: {
              ...(str(condition.expression) !== undefined ? { expression: str(condition.expression) } : {}),
              ...(str(condition.title) !== undefined ? { title: str(condition.title) } : {}),
            },
          }
        : {}),
    });
  }
  return { ok: true, value: out };
}

/** Read entries into token events and changes; other methods are ignored, malformed entries counted. */
export function parseLogEntries(entries: readonly unknown[]): ParsedLogs {
  const out: ParsedLogs = { tokens: [], changes: [], skipped: 0, skippedReasons: [] };
  const skip = (i: number, reason: string): void => {
    out.skipped++;
    if (out.skippedReasons.length < 5) out.skippedReasons.push(`entry ${i}: ${reason}`);
  };
  entries.forEach((raw, i) => {
    if (!isRecord(raw)) return skip(i, 'not an object');
    const entry = raw as LogEntry;
    const payload = raw.protoPayload;
    if (!isRecord(payload)) return skip(i, 'no protoPayload');
    const method = str(payload.methodName);
    if (method === undefined) return skip(i, 'no protoPayload.methodName');
    let outcome: Outcome<TokenEvent> | Outcome<ChangeEvent> | undefined;
    const tokenKind = TOKEN_METHODS[method];
    if (tokenKind !== undefined) {
      const t = tokenEvent(entry, payload, tokenKind);
      if (t.ok) out.tokens.push(...t.value);
      outcome = t;
    } else if (SET_POLICY.has(method)) {
      const c = policyChanges(entry, payload);
      if (c.ok) out.changes.push(...c.value);
      outcome = c;
    } else {
      const kind = ACCOUNT_METHODS[method];
      if (kind === undefined) return; // a method wi-doctor does not read
      const base = changeBase(entry, payload);
      if (typeof base === 'string') outcome = { ok: false, reason: base };
      else {
        out.changes.push({ ...base, kind });
        outcome = { ok: true, value: [] };
      }
    }
    if (!outcome.ok) skip(i, `${method}: ${outcome.reason}`);
  });
  out.tokens.sort((a, b) => b.at.localeCompare(a.at));
  out.changes.sort((a, b) => b.at.localeCompare(a.at));
  return out;
}

/**
 * The KSA (`ns/ksa`) a token event came from, when its caller names one: a federated principal
 * `principal://…/workloadIdentityPools/POOL/subject/ns/NS/sa/KSA`, the legacy `serviceAccount:POOL[NS/KSA]`, or
 * (STS) the Kubernetes token's subject `system:serviceaccount:NS:KSA`. With a pool, only members of that pool count.
 * UNVERIFIED: which of these forms GKE's own calls log; all are accepted.
 */
export function ksaOfTokenEvent(event: TokenEvent, pool?: string): string | undefined {
  const candidates = [event.caller.principalSubject, event.mappedPrincipal, event.caller.principalEmail];
  for (const raw of candidates) {
    if (raw === undefined) continue;
    const sub = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(raw);
    if (sub?.[1] !== undefined && sub[2] !== undefined) return `${sub[1]}/${sub[2]}`;
    const legacy = /^(?:serviceAccount:)?([a-z][-a-z0-9.]*\.svc\.id\.goog)\[([^/\]]+)\/([^\]]+)\]$/.exec(raw);
    if (legacy?.[1] !== undefined && (pool === undefined || legacy[1] === pool))
      return `${legacy[2] ?? ''}/${legacy[3] ?? ''}`;
    const principal = /\/workloadIdentityPools\/([^/]+)\/subject\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(raw);
    if (principal?.[1] !== undefined && (pool === undefined || principal[1] === pool)) {
      return `${principal[2] ?? ''}/${principal[3] ?? ''}`;
    }
  }
  return undefined;
}
