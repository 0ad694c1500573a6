// The probe's flags and environment, resolved once into ProbeOptions. Every address it dials can be
// changed (flags, then WI_DOCTOR_* variables, then the GCE_METADATA_* variables client libraries honour), so
// tests point it at the sandbox. Also a tiny argv parser for the single-file build, which has no commander.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ProbeOptions } from './types.js';

/** What the user typed: strings, as a parser hands them over. */
export interface ProbeFlags {
  format?: string;
  timeout?: string | number;
  attempts?: string | number;
  retryWindow?: string | number;
  metadataHost?: string;
  metadataIp?: string;
  dnsName?: string;
  stsUrl?: string;
  iamcredentialsUrl?: string;
  crmUrl?: string;
  storageUrl?: string;
  expectGsa?: string;
  nodeSa?: string;
  audience?: string;
  need?: string[];
  on?: string;
  pod?: string;
  subject?: string;
  node?: string;
  credentials?: string;
  hidePass?: boolean;
}

export class ProbeUsageError extends Error {}

export const DEFAULT_METADATA_IP = '169.254.169.254';
export const METADATA_DNS_NAME = 'metadata.google.internal';
const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** Flag name (kebab case) → field, and whether it takes a value. */
const FLAGS: Record<string, { key: keyof ProbeFlags; value: boolean; list?: boolean }> = {
  format: { key: 'format', value: true },
  timeout: { key: 'timeout', value: true },
  attempts: { key: 'attempts', value: true },
  'retry-window': { key: 'retryWindow', value: true },
  'metadata-host': { key: 'metadataHost', value: true },
  'metadata-ip': { key: 'metadataIp', value: true },
  'dns-name': { key: 'dnsName', value: true },
  'sts-url': { key: 'stsUrl', value: true },
  'iamcredentials-url': { key: 'iamcredentialsUrl', value: true },
  'crm-url': { key: 'crmUrl', value: true },
  'storage-url': { key: 'storageUrl', value: true },
  'expect-gsa': { key: 'expectGsa', value: true },
  'node-sa': { key: 'nodeSa', value: true },
  audience: { key: 'audience', value: true },
  need: { key: 'need', value: true, list: true },
  on: { key: 'on', value: true },
  pod: { key: 'pod', value: true },
  subject: { key: 'subject', value: true },
  node: { key: 'node', value: true },
  credentials: { key: 'credentials', value: true },
  'hide-pass': { key: 'hidePass', value: false },
};

export const PROBE_USAGE = `Usage: wi-doctor-probe [options]   (run inside a pod; Node 18+, no dependencies)

Checks what this pod sees of Workload Identity: the metadata server (or an external_account credential
file), the identity it gets, a token, and with --need/--on a permission on a resource.

  --format text|json          output (default text); json joins a bundle's probe/ folder
  --expect-gsa EMAIL          the Google service account the pod should get
  --node-sa EMAIL             the node's service account, to name a fallback to node identity
  --audience AUD              also ask for an identity token for this audience
  --need PERM[,PERM] --on RES testIamPermissions on a project or bucket (full resource name)
  --pod NS/NAME --node NAME   name the pod and node in the report (default: POD_NAMESPACE/POD_NAME, NODE_NAME)
  --subject NS/KIND/NAME      report as this workload (what probe-pod sets; default: the pod)
  --credentials FILE          credential file (default: GOOGLE_APPLICATION_CREDENTIALS)
  --timeout SECONDS           per request (default 3); --attempts N (5) over --retry-window SECONDS (5)
  --metadata-host HOST[:PORT] (default: GCE_METADATA_HOST, GCE_METADATA_IP, ${DEFAULT_METADATA_IP})
  --metadata-ip IP --dns-name NAME   what ${METADATA_DNS_NAME} should resolve to, and the name
  --sts-url URL --iamcredentials-url URL --crm-url URL --storage-url URL   API base URLs
                              (default: WI_DOCTOR_<API>_ENDPOINT, else the public Google APIs)
  --hide-pass                 omit passing steps from the text checklist
Exit: 0 no failure, 1 a check failed, 2 usage error.
`;

/** argv (without node and script) → flags; `--help` returns 'help'. */
export function parseProbeArgv(argv: readonly string[]): ProbeFlags | 'help' {
  const flags: ProbeFlags = {};
  const record = flags as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) throw new ProbeUsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = FLAGS[name];
    if (!spec) throw new ProbeUsageError(`unknown option --${name}`);
    if (!spec.value) {
      record[spec.key] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new ProbeUsageError(`--${name} needs a value`);
    if (spec.list) {
      const items = value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      record[spec.key] = [...((record[spec.key] as string[] | undefined) ?? []), ...items];
    } else record[spec.key] = value;
  }
  return flags;
}

function positive(name: string, raw: string | number | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new ProbeUsageError(`--${name} expects a positive number, got ${String(raw)}`);
  return n;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function baseUrl(name: string, raw: string | undefined): string | undefined {
  const v = nonEmpty(raw);
  if (v === undefined) return undefined;
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ProbeUsageError(`${name} expects an http(s) URL, got ${JSON.stringify(v)}`);
  }
  return v.replace(/\/+$/, '');
}

function podFrom(flags: ProbeFlags, env: Record<string, string | undefined>): ProbeOptions['pod'] {
  const raw = nonEmpty(flags.pod);
  if (raw !== undefined) {
    const m = /^([^/\s]+)\/([^/\s]+)$/.exec(raw);
    if (!m) throw new ProbeUsageError(`--pod expects NAMESPACE/NAME, got ${JSON.stringify(raw)}`);
    return { namespace: m[1] ?? '', name: m[2] ?? '' };
  }
  let namespace = nonEmpty(env.POD_NAMESPACE);
  if (namespace === undefined) {
    try {
      namespace = nonEmpty(readFileSync(SA_NAMESPACE_FILE, 'utf8'));
    } catch {
      // Not in a pod with a mounted service-account token: the namespace stays unknown.
    }
  }
  const name = nonEmpty(env.POD_NAME) ?? (namespace !== undefined ? (nonEmpty(env.HOSTNAME) ?? hostname()) : undefined);
  return namespace !== undefined && name !== undefined ? { namespace, name } : undefined;
}

export function resolveProbeOptions(
  flags: ProbeFlags,
  env: Record<string, string | undefined>,
  now: () => number = Date.now,
): ProbeOptions {
  const format = flags.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new ProbeUsageError(`--format expects text or json, got ${format}`);
  let metadataHost = nonEmpty(flags.metadataHost);
  let metadataHostSource: ProbeOptions['metadataHostSource'] = 'flag';
  if (metadataHost === undefined && nonEmpty(env.GCE_METADATA_HOST) !== undefined) {
    metadataHost = nonEmpty(env.GCE_METADATA_HOST);
    metadataHostSource = 'GCE_METADATA_HOST';
  } else if (metadataHost === undefined && nonEmpty(env.GCE_METADATA_IP) !== undefined) {
    metadataHost = nonEmpty(env.GCE_METADATA_IP);
    metadataHostSource = 'GCE_METADATA_IP';
  }
  if (metadataHost === undefined) {
    metadataHost = DEFAULT_METADATA_IP;
    metadataHostSource = 'default';
  }
  if (/[/\s]/.test(metadataHost))
    throw new ProbeUsageError(`the metadata host is HOST[:PORT], got ${JSON.stringify(metadataHost)}`);
  const on = nonEmpty(flags.on);
  const need = flags.need ?? [];
  if (need.length > 0 && on === undefined) throw new ProbeUsageError('--need needs --on RESOURCE');
  if (on !== undefined && need.length === 0) throw new ProbeUsageError('--on needs --need PERMISSION');
  const stsBase = baseUrl('--sts-url', flags.stsUrl ?? env.WI_DOCTOR_STS_ENDPOINT);
  return {
    format,
    timeoutMs: positive('timeout', flags.timeout, 3) * 1000,
    attempts: Math.max(1, Math.floor(positive('attempts', flags.attempts, 5))),
    retryWindowMs: positive('retry-window', flags.retryWindow, 5) * 1000,
    metadataHost,
    metadataHostSource,
    metadataIp: nonEmpty(flags.metadataIp) ?? nonEmpty(env.WI_DOCTOR_METADATA_IP) ?? DEFAULT_METADATA_IP,
    dnsName: nonEmpty(flags.dnsName) ?? nonEmpty(env.WI_DOCTOR_METADATA_DNS_NAME) ?? METADATA_DNS_NAME,
    stsUrl: stsBase,
    iamCredentialsUrl: baseUrl(
      '--iamcredentials-url',
      flags.iamcredentialsUrl ?? env.WI_DOCTOR_IAMCREDENTIALS_ENDPOINT,
    ),
    crmUrl:
      baseUrl('--crm-url', flags.crmUrl ?? env.WI_DOCTOR_CLOUDRESOURCEMANAGER_ENDPOINT) ??
      'https://cloudresourcemanager.googleapis.com',
    storageUrl:
      baseUrl('--storage-url', flags.storageUrl ?? env.WI_DOCTOR_STORAGE_ENDPOINT) ?? 'https://storage.googleapis.com',
    expectGsa: nonEmpty(flags.expectGsa)?.toLowerCase(),
    nodeSa: nonEmpty(flags.nodeSa)?.toLowerCase(),
    audience: nonEmpty(flags.audience),
    need,
    on,
    pod: podFrom(flags, env),
    subject: nonEmpty(flags.subject) ?? nonEmpty(env.WI_DOCTOR_PROBE_SUBJECT),
    node: nonEmpty(flags.node) ?? nonEmpty(env.NODE_NAME),
    credentialsFile: nonEmpty(flags.credentials) ?? nonEmpty(env.GOOGLE_APPLICATION_CREDENTIALS),
    env: {
      HTTP_PROXY: env.HTTP_PROXY,
      http_proxy: env.http_proxy,
      HTTPS_PROXY: env.HTTPS_PROXY,
      https_proxy: env.https_proxy,
      NO_PROXY: env.NO_PROXY,
      no_proxy: env.no_proxy,
      GCE_METADATA_HOST: env.GCE_METADATA_HOST,
      GCE_METADATA_IP: env.GCE_METADATA_IP,
      METADATA_SERVER_DETECTION: env.METADATA_SERVER_DETECTION,
    },
    hidePass: flags.hidePass === true,
    now,
  };
}
