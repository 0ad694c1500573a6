// The Cloud Logging queries wi-doctor sends (Logging query language: AND, OR, NOT, parentheses, `=`, `:` for
// "has", `>=`/`<=` on timestamp, quoted strings) and the Logs Explorer link that opens the same query.
// Link format: https://console.cloud.google.com/logs/query;query=ENCODED;timeRange=START%2FEND?project=P, as
// built by the vvakame/gcplogurl library (logurl.go, timerange.go) and used in many public runbooks (docs/logs.md).

/** A quoted string literal of the query language. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

const dataAccessLog = (project: string): string => `projects/${project}/logs/cloudaudit.googleapis.com%2Fdata_access`;
const activityLog = (project: string): string => `projects/${project}/logs/cloudaudit.googleapis.com%2Factivity`;

function anyOf(terms: readonly string[]): string {
  return terms.length === 1 ? (terms[0] ?? '') : `(${terms.join(' OR ')})`;
}

function window(since: Date, until?: Date): string[] {
  return [`timestamp>=${quote(since.toISOString())}`, ...(until ? [`timestamp<=${quote(until.toISOString())}`] : [])];
}

/** Terms joined with AND, one per line, as the Logs Explorer shows a query. */
export function joinTerms(terms: readonly string[]): string {
  return terms.join('\nAND ');
}

/** GenerateAccessToken entries for these accounts in their project's Data Access log. */
export function generateAccessTokenFilter(args: {
  project: string;
  emails: readonly string[];
  since: Date;
  until?: Date;
  /** Successful calls only (failures are logged with severity ERROR). */
  successOnly?: boolean;
}): string {
  return joinTerms([
    `logName=${quote(dataAccessLog(args.project))}`,
    `protoPayload.serviceName="iamcredentials.googleapis.com"`,
    `protoPayload.methodName:"GenerateAccessToken"`,
    anyOf(args.emails.map((e) => `resource.labels.email_id=${quote(e)}`)),
    ...(args.successOnly === true ? ['severity<ERROR'] : []),
    ...window(args.since, args.until),
  ]);
}

/** STS ExchangeToken entries of one KSA in the pool project's Data Access log. */
export function stsExchangeFilter(args: {
  project: string;
  namespace: string;
  ksa: string;
  since: Date;
  until?: Date;
}): string {
  return joinTerms([
    `logName=${quote(dataAccessLog(args.project))}`,
    `protoPayload.serviceName="sts.googleapis.com"`,
    anyOf([
      `protoPayload.authenticationInfo.principalSubject=${quote(`system:serviceaccount:${args.namespace}:${args.ksa}`)}`,
      `protoPayload.metadata.mapped_principal:${quote(`/subject/ns/${args.namespace}/sa/${args.ksa}`)}`,
    ]),
    ...window(args.since, args.until),
  ]);
}

/** Admin Activity methods that can break Workload Identity for a GSA. */
export const CHANGE_METHODS = [
  'google.iam.admin.v1.SetIAMPolicy',
  'google.iam.admin.v1.DeleteServiceAccount',
  'google.iam.admin.v1.DisableServiceAccount',
  'google.iam.admin.v1.CreateServiceAccount',
  'google.iam.admin.v1.EnableServiceAccount',
  'google.iam.admin.v1.UndeleteServiceAccount',
  'SetIamPolicy',
];

/**
 * Admin Activity entries about these accounts (by email and by unique id, since resource names may carry either)
 * and the project's own policy changes.
 */
export function adminActivityFilter(args: {
  project: string;
  emails: readonly string[];
  uniqueIds: readonly string[];
  since: Date;
}): string {
  return joinTerms([
    `logName=${quote(activityLog(args.project))}`,
    anyOf(CHANGE_METHODS.map((m) => `protoPayload.methodName=${quote(m)}`)),
    anyOf([
      ...args.emails.map((e) => `resource.labels.email_id=${quote(e)}`),
      ...args.uniqueIds.map((id) => `protoPayload.resourceName:${quote(id)}`),
      `protoPayload.resourceName=${quote(`projects/${args.project}`)}`,
    ]),
    ...window(args.since),
  ]);
}

/** The Logs Explorer page running this query over this window, in this project. */
export function logsExplorerUrl(project: string, filter: string, since: Date, until: Date): string {
  const range = `${since.toISOString()}%2F${until.toISOString()}`;
  return `https://console.cloud.google.com/logs/query;query=${encodeURIComponent(filter)};timeRange=${range}?project=${encodeURIComponent(project)}`;
}

/** `7d`, `12h`, `30m`, `90d` → milliseconds; undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || n <= 0) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

/** Where to look for the change that broke a subject: a project's Admin Activity log, about these accounts. */
export interface ChangeTarget {
  project: string;
  emails: string[];
  uniqueIds: string[];
}

/** How far back Admin Activity is searched: its retention (400 days). */
export const ADMIN_ACTIVITY_DAYS = 400;
