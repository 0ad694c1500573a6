// Members and principals of IAM policies, service-account emails and workload pools.
// Parsing is strict about the Workload Identity forms (a typo there is the bug we are looking for) and lenient
// about everything else IAM accepts (other prefixes are kept verbatim so a real policy never fails to load).

import type { KsaPrincipal } from '../engine/subject.js';
import { editDistance } from './edit-distance.js';

/** A malformed identifier; the message names what was wrong and where. */
export class IdentifierError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentifierError';
  }
}

export type Member =
  | { type: 'user' | 'group' | 'domain'; value: string }
  | { type: 'serviceAccount'; email: string }
  | { type: 'allUsers' }
  | { type: 'allAuthenticatedUsers' }
  /** `deleted:serviceAccount:EMAIL?uid=N` (and deleted user/group forms): inert, explains delete-and-recreate. */
  | { type: 'deleted'; member: Member; uid: string }
  /** `serviceAccount:POOL[NS/KSA]` */
  | { type: 'wi-legacy'; pool: string; namespace: string; ksa: string }
  /** `principal://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/subject/ns/NS/sa/KSA` */
  | { type: 'wi-subject'; projectNumber: string; pool: string; namespace: string; ksa: string }
  /** `principal://…/workloadIdentityPools/POOL/kubernetes.serviceaccount.uid/UID` */
  | { type: 'wi-uid'; projectNumber: string; pool: string; uid: string }
  /** `principalSet://…/workloadIdentityPools/POOL/namespace/NS` */
  | { type: 'wi-namespace'; projectNumber: string; pool: string; namespace: string }
  /** `principalSet://…/workloadIdentityPools/POOL/kubernetes.cluster/https://container.googleapis.com/v1/projects/P/locations/L/clusters/C` */
  | { type: 'wi-cluster'; projectNumber: string; pool: string; clusterUrl: string }
  /** Any other principal:// or principalSet:// (other federation pools, workforce pools): kept verbatim. */
  | { type: 'principal' | 'principalSet'; uri: string }
  /** Legacy convenience values (`projectOwner:p`, …) and other prefixes: kept verbatim. */
  | { type: 'other'; raw: string };

// ---------------------------------------------------------------------------------------------------------
// Name rules

const PROJECT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
const PROJECT_NUMBER = /^[0-9]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const POOL_SUFFIX = '.svc.id.goog';
const CLUSTER_URL = /^https:\/\/container\.googleapis\.com\/v1\/projects\/[^/]+\/locations\/[^/]+\/clusters\/[^/]+$/;
const IAM_HOST_PREFIX = '//iam.googleapis.com/projects/';

function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && DNS_SUBDOMAIN.test(s);
}

/** The workload pool of a project: `PROJECT_ID.svc.id.goog`. */
export function poolOf(projectId: string): string {
  return `${projectId}${POOL_SUFFIX}`;
}

/** The project id of a pool, or undefined when the string is no workload pool. */
export function projectOfPool(pool: string): string | undefined {
  if (!pool.endsWith(POOL_SUFFIX)) return undefined;
  const project = pool.slice(0, -POOL_SUFFIX.length);
  return PROJECT_ID.test(project) ? project : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Members

const SIMPLE_PREFIXES = ['user', 'group', 'domain'] as const;
const KNOWN_PREFIXES = ['user', 'group', 'domain', 'serviceAccount', 'deleted', 'principal', 'principalSet'];

function fail(raw: string, why: string): never {
  throw new IdentifierError(`member \`${raw}\`: ${why}`);
}

function checkPool(raw: string, pool: string): void {
  if (!pool.endsWith(POOL_SUFFIX)) fail(raw, `pool \`${pool}\` is not a workload pool (PROJECT_ID${POOL_SUFFIX})`);
  if (projectOfPool(pool) === undefined) {
    fail(
      raw,
      `pool \`${pool}\` does not start with a valid project id (6–30 characters: lowercase letters, digits, hyphens; starts with a letter)`,
    );
  }
}

function checkNamespace(raw: string, namespace: string): void {
  if (!isDnsLabel(namespace)) {
    fail(raw, `namespace \`${namespace}\` is not a valid Kubernetes namespace (DNS-1123 label: a-z, 0-9, '-', ≤ 63)`);
  }
}

function checkKsa(raw: string, ksa: string): void {
  if (!isDnsSubdomain(ksa)) {
    fail(raw, `KSA name \`${ksa}\` is not a valid Kubernetes name (DNS-1123 subdomain: a-z, 0-9, '-', '.', ≤ 253)`);
  }
}

function checkProjectNumber(raw: string, projectNumber: string): void {
  if (!PROJECT_NUMBER.test(projectNumber)) {
    fail(
      raw,
      `\`projects/${projectNumber}\` must name the project NUMBER (digits), not the project id; the pool name carries the id`,
    );
  }
}

function parseLegacy(raw: string, value: string): Member {
  const open = value.indexOf('[');
  const pool = value.slice(0, open);
  if (!value.endsWith(']')) fail(raw, 'the workload identity form needs [NAMESPACE/KSA] and a closing `]`');
  const inner = value.slice(open + 1, -1);
  const parts = inner.split('/');
  if (parts.length !== 2) fail(raw, 'the workload identity form needs [NAMESPACE/KSA]');
  const [namespace = '', ksa = ''] = parts;
  checkPool(raw, pool);
  checkNamespace(raw, namespace);
  checkKsa(raw, ksa);
  return { type: 'wi-legacy', pool, namespace, ksa };
}

function parseServiceAccountMember(raw: string, value: string): Member {
  if (value.includes('[')) return parseLegacy(raw, value);
  if (value.endsWith(POOL_SUFFIX)) fail(raw, 'the workload identity form needs [NAMESPACE/KSA]');
  const at = value.indexOf('@');
  if (at <= 0 || at === value.length - 1 || value.indexOf('@', at + 1) !== -1) {
    fail(raw, `\`${value}\` is not a service-account email`);
  }
  return { type: 'serviceAccount', email: value };
}

function parseDeleted(raw: string, value: string): Member {
  const q = value.lastIndexOf('?uid=');
  if (q === -1) fail(raw, 'a deleted member ends with `?uid=UNIQUE_ID`');
  const inner = value.slice(0, q);
  const uid = value.slice(q + '?uid='.length);
  if (!PROJECT_NUMBER.test(uid)) fail(raw, `uid \`${uid}\` must be digits`);
  const colon = inner.indexOf(':');
  const kind = colon === -1 ? inner : inner.slice(0, colon);
  if (kind !== 'serviceAccount' && kind !== 'user' && kind !== 'group') {
    fail(raw, `\`deleted:\` is followed by \`${kind}\`; expected serviceAccount:, user: or group:`);
  }
  const member = parseMember(inner);
  if (member.type !== 'serviceAccount' && member.type !== 'user' && member.type !== 'group') {
    fail(raw, 'a deleted member names an email, not a workload identity');
  }
  return { type: 'deleted', member, uid };
}

/** `principal://` and `principalSet://` URIs: Workload Identity pools parsed, anything else kept verbatim. */
function parseFederated(raw: string, kind: 'principal' | 'principalSet'): Member {
  const rest = raw.slice(kind.length + 1);
  const verbatim: Member = { type: kind, uri: raw };
  if (!rest.startsWith(IAM_HOST_PREFIX)) return verbatim;
  const path = rest.slice(IAM_HOST_PREFIX.length);
  // N/locations/global/workloadIdentityPools/POOL/TAIL
  const m = /^([^/]+)\/locations\/([^/]+)\/workloadIdentityPools\/([^/]+)\/(.*)$/.exec(path);
  if (!m) return verbatim;
  const [, projectNumber = '', location = '', pool = '', tail = ''] = m;
  // Only GKE pools are ours to parse; other federation pools are someone else's business.
  if (!pool.endsWith(POOL_SUFFIX)) return verbatim;
  checkPool(raw, pool);
  checkProjectNumber(raw, projectNumber);
  if (location !== 'global') fail(raw, `location \`${location}\` must be \`global\``);

  if (kind === 'principal') {
    if (tail.startsWith('subject/')) {
      const s = /^subject\/ns\/([^/]*)\/sa\/([^/]*)$/.exec(tail);
      if (!s) fail(raw, 'the subject must be `subject/ns/NAMESPACE/sa/KSA`');
      const [, namespace = '', ksa = ''] = s;
      checkNamespace(raw, namespace);
      checkKsa(raw, ksa);
      return { type: 'wi-subject', projectNumber, pool, namespace, ksa };
    }
    if (tail.startsWith('kubernetes.serviceaccount.uid/')) {
      const uid = tail.slice('kubernetes.serviceaccount.uid/'.length);
      if (!/^[0-9a-f-]{1,64}$/i.test(uid)) fail(raw, `KSA uid \`${uid}\` is not a Kubernetes uid`);
      return { type: 'wi-uid', projectNumber, pool, uid };
    }
    fail(raw, 'expected `subject/ns/NAMESPACE/sa/KSA` or `kubernetes.serviceaccount.uid/UID` after the pool');
  }
  if (tail.startsWith('namespace/')) {
    const namespace = tail.slice('namespace/'.length);
    checkNamespace(raw, namespace);
    return { type: 'wi-namespace', projectNumber, pool, namespace };
  }
  if (tail.startsWith('kubernetes.cluster/')) {
    const clusterUrl = tail.slice('kubernetes.cluster/'.length);
    if (!CLUSTER_URL.test(clusterUrl)) {
      fail(
        raw,
        `cluster \`${clusterUrl}\` must be https://container.googleapis.com/v1/projects/P/locations/L/clusters/C`,
      );
    }
    return { type: 'wi-cluster', projectNumber, pool, clusterUrl };
  }
  // Other principal sets of a GKE pool (e.g. `/*`): valid IAM, not a form we interpret.
  return verbatim;
}

/** Parse an IAM policy member. Throws IdentifierError naming the bad part. */
export function parseMember(raw: string): Member {
  if (raw === '') throw new IdentifierError('member is empty');
  if (/\s/.test(raw)) fail(raw, 'contains whitespace');
  if (raw === 'allUsers') return { type: 'allUsers' };
  if (raw === 'allAuthenticatedUsers') return { type: 'allAuthenticatedUsers' };
  if (raw.startsWith('principal://')) return parseFederated(raw, 'principal');
  if (raw.startsWith('principalSet://')) return parseFederated(raw, 'principalSet');

  const colon = raw.indexOf(':');
  if (colon === -1) {
    if (raw.toLowerCase() === 'allusers' || raw.toLowerCase() === 'allauthenticatedusers') {
      fail(raw, 'spelled `allUsers` / `allAuthenticatedUsers` exactly');
    }
    fail(raw, 'has no type prefix (e.g. `serviceAccount:`, `user:`, `group:`)');
  }
  const prefix = raw.slice(0, colon);
  const value = raw.slice(colon + 1);
  if (!KNOWN_PREFIXES.includes(prefix)) {
    const meant = KNOWN_PREFIXES.find((p) => p.toLowerCase() === prefix.toLowerCase());
    if (meant !== undefined) fail(raw, `prefix \`${prefix}:\` must be spelled \`${meant}:\``);
    return { type: 'other', raw };
  }
  if (value === '') fail(raw, `nothing follows \`${prefix}:\``);
  switch (prefix) {
    case 'serviceAccount':
      return parseServiceAccountMember(raw, value);
    case 'deleted':
      return parseDeleted(raw, value);
    case 'principal':
    case 'principalSet':
      fail(raw, `\`${prefix}:\` must be followed by \`//iam.googleapis.com/…\``);
  }
  const simple = SIMPLE_PREFIXES.find((p) => p === prefix);
  if (simple === undefined) return { type: 'other', raw };
  return { type: simple, value };
}

type ParseOutcome = { ok: true; member: Member } | { ok: false; error: string };

/** Policies repeat the same members across many bindings and subjects: parse each string once. */
const parsedMembers = new Map<string, ParseOutcome>();
const PARSED_MEMBERS_LIMIT = 200_000;

export function tryParseMember(raw: string): ParseOutcome {
  let outcome = parsedMembers.get(raw);
  if (outcome === undefined) {
    try {
      outcome = { ok: true, member: parseMember(raw) };
    } catch (e) {
      if (!(e instanceof IdentifierError)) throw e;
      outcome = { ok: false, error: e.message };
    }
    if (parsedMembers.size >= PARSED_MEMBERS_LIMIT) parsedMembers.clear();
    parsedMembers.set(raw, outcome);
  }
  return outcome;
}

function poolPath(projectNumber: string, pool: string): string {
  return `//iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${pool}`;
}

export function formatMember(member: Member): string {
  switch (member.type) {
    case 'user':
    case 'group':
    case 'domain':
      return `${member.type}:${member.value}`;
    case 'serviceAccount':
      return `serviceAccount:${member.email}`;
    case 'allUsers':
    case 'allAuthenticatedUsers':
      return member.type;
    case 'deleted':
      return `deleted:${formatMember(member.member)}?uid=${member.uid}`;
    case 'wi-legacy':
      return `serviceAccount:${member.pool}[${member.namespace}/${member.ksa}]`;
    case 'wi-subject':
      return `principal:${poolPath(member.projectNumber, member.pool)}/subject/ns/${member.namespace}/sa/${member.ksa}`;
    case 'wi-uid':
      return `principal:${poolPath(member.projectNumber, member.pool)}/kubernetes.serviceaccount.uid/${member.uid}`;
    case 'wi-namespace':
      return `principalSet:${poolPath(member.projectNumber, member.pool)}/namespace/${member.namespace}`;
    case 'wi-cluster':
      return `principalSet:${poolPath(member.projectNumber, member.pool)}/kubernetes.cluster/${member.clusterUrl}`;
    case 'principal':
    case 'principalSet':
      return member.uri;
    case 'other':
      return member.raw;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Service-account emails

export type ServiceAccountEmailKind =
  'user-managed' | 'compute-default' | 'app-engine-default' | 'service-agent' | 'workload-pool';

export interface ServiceAccountEmail {
  email: string;
  kind: ServiceAccountEmailKind;
  /** Project id when the email says it (user-managed, App Engine default, workload pool). */
  projectId?: string;
  /** Project number when the email says it (Compute default, service agents). */
  projectNumber?: string;
  /** The part before `@`; for a workload pool (no `@`), the pool itself. */
  accountId: string;
}

const ACCOUNT_ID = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function emailError(email: string, why: string): never {
  throw new IdentifierError(`service-account email \`${email}\`: ${why}`);
}

/**
 * Classify a service-account email. Case-insensitive (IAM is); the returned email is lowercase.
 * The workload pool pseudo-email (`PROJECT_ID.svc.id.goog`, what the metadata server answers in direct
 * mode) parses as kind 'workload-pool' — it is NOT an account (see isServiceAccountEmail).
 */
export function parseServiceAccountEmail(email: string): ServiceAccountEmail {
  let outcome = parsedEmails.get(email);
  if (outcome === undefined) {
    try {
      outcome = Object.freeze(classifyServiceAccountEmail(email));
    } catch (e) {
      if (!(e instanceof IdentifierError)) throw e;
      outcome = { error: e.message };
    }
    if (parsedEmails.size >= PARSED_EMAILS_LIMIT) parsedEmails.clear();
    parsedEmails.set(email, outcome);
  }
  if ('error' in outcome) throw new IdentifierError(outcome.error);
  return outcome;
}

/**
 * Every subject of a GSA names the same email, and several checks classify it: each string is classified once
 * (the answer is frozen, as callers share it). Bounded so a huge run stays flat.
 */
const parsedEmails = new Map<string, Readonly<ServiceAccountEmail> | { error: string }>();
const PARSED_EMAILS_LIMIT = 50_000;

function classifyServiceAccountEmail(email: string): ServiceAccountEmail {
  if (email === '') throw new IdentifierError('service-account email is empty');
  if (/\s/.test(email)) emailError(email, 'contains whitespace');
  const lower = email.toLowerCase();
  const at = lower.indexOf('@');
  if (at === -1) {
    const projectId = projectOfPool(lower);
    if (projectId !== undefined) return { email: lower, kind: 'workload-pool', projectId, accountId: lower };
    emailError(email, 'has no `@`');
  }
  const local = lower.slice(0, at);
  const domain = lower.slice(at + 1);
  if (local === '') emailError(email, 'nothing before `@`');

  const compute = /^([0-9]+)-compute$/.exec(local);
  if (domain === 'developer.gserviceaccount.com') {
    if (!compute?.[1]) emailError(email, 'a Compute Engine default account is `PROJECT_NUMBER-compute@…`');
    return { email: lower, kind: 'compute-default', projectNumber: compute[1], accountId: local };
  }
  if (domain === 'appspot.gserviceaccount.com') {
    if (!PROJECT_ID.test(local)) emailError(email, `\`${local}\` is not a project id (App Engine default account)`);
    return { email: lower, kind: 'app-engine-default', projectId: local, accountId: local };
  }
  const agent = /^service-([0-9]+)$/.exec(local);
  if (domain.endsWith('.iam.gserviceaccount.com')) {
    const project = domain.slice(0, -'.iam.gserviceaccount.com'.length);
    // Service agents live in Google-owned pseudo-projects (gcp-sa-*, compute-system, container-engine-robot…).
    if (agent?.[1] !== undefined) {
      return { email: lower, kind: 'service-agent', projectNumber: agent[1], accountId: local };
    }
    if (project.startsWith('gcp-sa-')) emailError(email, 'a service agent is `service-PROJECT_NUMBER@gcp-sa-…`');
    if (!PROJECT_ID.test(project)) {
      emailError(email, `\`${project}\` is not a project id (6–30 characters: a-z, 0-9, '-', starts with a letter)`);
    }
    // Creation requires 6–30 characters (accountIdProblem), but reading is lenient about short ids: the shared
    // example world (and older accounts) use them, and refusing a real account would hide everything else.
    if (local.length > 30) emailError(email, `account id \`${local}\` is longer than 30 characters (${local.length})`);
    if (!ACCOUNT_ID.test(local)) {
      emailError(email, `account id \`${local}\` may use only a-z, 0-9 and '-', start with a letter, not end with '-'`);
    }
    return { email: lower, kind: 'user-managed', projectId: project, accountId: local };
  }
  // Google-managed accounts of older services: NUMBER@cloudservices.gserviceaccount.com, NUMBER@cloudbuild…
  const legacyAgent = /^([0-9]+)$/.exec(local);
  if (legacyAgent?.[1] !== undefined && /^[a-z][-a-z0-9]*\.gserviceaccount\.com$/.test(domain)) {
    return { email: lower, kind: 'service-agent', projectNumber: legacyAgent[1], accountId: local };
  }
  if (domain.endsWith('.svc.id.goog')) {
    emailError(email, 'a workload pool is not a service account; a KSA member is `serviceAccount:POOL[NAMESPACE/KSA]`');
  }
  return emailError(email, 'expected ACCOUNT_ID@PROJECT_ID.iam.gserviceaccount.com');
}

/** Why an account id cannot be created (`accountId` 6–30 characters, `[a-z]([-a-z0-9]*[a-z0-9])`), or undefined. */
export function accountIdProblem(accountId: string): string | undefined {
  if (accountId.length < 6 || accountId.length > 30) {
    return `account id \`${accountId}\` must be 6–30 characters (it has ${accountId.length})`;
  }
  if (!ACCOUNT_ID.test(accountId)) {
    return `account id \`${accountId}\` may use only a-z, 0-9 and '-', start with a letter, not end with '-'`;
  }
  return undefined;
}

/** A real service-account email (the workload pool pseudo-email is not one). */
export function isServiceAccountEmail(email: string): boolean {
  try {
    return parseServiceAccountEmail(email).kind !== 'workload-pool';
  } catch (e) {
    if (e instanceof IdentifierError) return false;
    throw e;
  }
}

const USER_MANAGED_DOMAIN = 'iam.gserviceaccount.com';

/**
 * The user-managed email a malformed value was probably meant to be, when only its domain is a few typos off
 * (`cart-gsa@acme-shop.iam.gserviceacount.com` → `cart-gsa@acme-shop.iam.gserviceaccount.com`); else undefined.
 * A guess to look up, never a fact: whether that account exists is read, not assumed.
 */
export function repairedServiceAccountEmail(value: string): string | undefined {
  const m = /^([^@\s]+)@([a-z][-a-z0-9]*[a-z0-9])\.([^@\s]+)$/i.exec(value.trim());
  const [, account = '', project = '', domain = ''] = m ?? [];
  const lower = domain.toLowerCase();
  if (m === null || lower === USER_MANAGED_DOMAIN || editDistance(lower, USER_MANAGED_DOMAIN, 3) > 3) return undefined;
  const email = `${account}@${project}.${USER_MANAGED_DOMAIN}`.toLowerCase();
  try {
    return parseServiceAccountEmail(email).kind === 'user-managed' ? email : undefined;
  } catch (e) {
    if (e instanceof IdentifierError) return undefined;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Matching members to principals

/** Who is asking for a permission. */
export type Principal =
  { type: 'ksa'; ksa: KsaPrincipal } | { type: 'serviceAccount'; email: string; uniqueId?: string };

export type MemberMatch =
  | { match: true; how: string }
  /** Not a match; `nearMiss` explains a member that was probably meant for this principal. */
  | { match: false; nearMiss?: string };

const NO_MATCH: MemberMatch = { match: false };

/** Near misses between a KSA-naming member (pool, namespace, ksa) and the KSA: exactly one part differs. */
function ksaNearMiss(k: KsaPrincipal, pool: string, namespace: string, ksa: string | undefined): string | undefined {
  const samePool = k.pool === pool;
  const sameNs = k.namespace === namespace;
  const sameKsa = ksa === undefined || k.name === ksa;
  if (samePool && !sameNs && sameKsa) {
    return `binding is for namespace \`${namespace}\`, the pod runs in \`${k.namespace}\``;
  }
  if (samePool && sameNs && !sameKsa) {
    return `binding is for KSA \`${namespace}/${ksa ?? ''}\`, the pod runs as \`${k.namespace}/${k.name}\``;
  }
  if (!samePool && sameNs && sameKsa) {
    if (k.pool === undefined) {
      return `member uses pool \`${pool}\`, but the cluster's workload pool is unknown (Workload Identity disabled?)`;
    }
    return `member uses pool \`${pool}\` (the GSA project's pool?); the cluster's pool is \`${k.pool}\``;
  }
  return undefined;
}

function matchKsa(member: Member, k: KsaPrincipal, explain: boolean): MemberMatch {
  switch (member.type) {
    case 'allUsers':
      return { match: true, how: '`allUsers` (anyone)' };
    case 'allAuthenticatedUsers':
      return { match: true, how: '`allAuthenticatedUsers` (any authenticated identity)' };
    case 'wi-legacy': {
      if (k.pool === member.pool && k.namespace === member.namespace && k.name === member.ksa) {
        return { match: true, how: `names the KSA \`${k.namespace}/${k.name}\` in pool \`${k.pool}\`` };
      }
      if (!explain) return NO_MATCH;
      const nearMiss = ksaNearMiss(k, member.pool, member.namespace, member.ksa);
      return nearMiss === undefined ? NO_MATCH : { match: false, nearMiss };
    }
    case 'wi-subject': {
      if (k.pool === member.pool && k.namespace === member.namespace && k.name === member.ksa) {
        if (k.poolProjectNumber === undefined) {
          return {
            match: true,
            how: `names the KSA \`${k.namespace}/${k.name}\` in pool \`${member.pool}\` (project number \`${member.projectNumber}\` not verified: the pool's project number is unknown)`,
          };
        }
        if (k.poolProjectNumber === member.projectNumber) {
          return { match: true, how: `names the KSA \`${k.namespace}/${k.name}\` in pool \`${member.pool}\`` };
        }
        return {
          match: false,
          nearMiss: `member names project number \`${member.projectNumber}\`, but pool \`${member.pool}\` belongs to project number \`${k.poolProjectNumber}\``,
        };
      }
      if (!explain) return NO_MATCH;
      const nearMiss = ksaNearMiss(k, member.pool, member.namespace, member.ksa);
      return nearMiss === undefined ? NO_MATCH : { match: false, nearMiss };
    }
    case 'wi-uid': {
      if (k.uid !== undefined && k.uid === member.uid) {
        if (k.pool === member.pool) return { match: true, how: `names the KSA's uid \`${member.uid}\`` };
        return {
          match: false,
          nearMiss: `member names the KSA's uid but pool \`${member.pool}\`; the cluster's pool is \`${k.pool ?? 'unknown'}\``,
        };
      }
      if (k.uid === undefined && k.pool === member.pool) {
        return {
          match: false,
          nearMiss: `member names KSA uid \`${member.uid}\`; the KSA's uid is unknown, so this may be it`,
        };
      }
      return NO_MATCH;
    }
    case 'wi-namespace': {
      if (k.pool === member.pool && k.namespace === member.namespace) {
        return { match: true, how: `names every KSA of namespace \`${member.namespace}\` in pool \`${member.pool}\`` };
      }
      if (!explain) return NO_MATCH;
      const nearMiss = ksaNearMiss(k, member.pool, member.namespace, undefined);
      return nearMiss === undefined ? NO_MATCH : { match: false, nearMiss };
    }
    case 'wi-cluster': {
      if (k.pool === member.pool && k.clusterUrl === member.clusterUrl) {
        return { match: true, how: `names every KSA of cluster \`${member.clusterUrl}\`` };
      }
      if (k.pool === member.pool) {
        return {
          match: false,
          nearMiss: `principal set is for cluster \`${member.clusterUrl}\`, the pod runs in \`${k.clusterUrl}\``,
        };
      }
      return NO_MATCH;
    }
    default:
      // serviceAccount:EMAIL, users, groups, domains, deleted members and other pools never name a KSA.
      return NO_MATCH;
  }
}

function matchServiceAccount(member: Member, email: string, uniqueId: string | undefined): MemberMatch {
  switch (member.type) {
    case 'allUsers':
      return { match: true, how: '`allUsers` (anyone)' };
    case 'allAuthenticatedUsers':
      return { match: true, how: '`allAuthenticatedUsers` (any authenticated identity)' };
    case 'serviceAccount':
      return member.email.toLowerCase() === email.toLowerCase() ? { match: true, how: `names \`${email}\`` } : NO_MATCH;
    case 'deleted': {
      const inner = member.member;
      if (inner.type !== 'serviceAccount' || inner.email.toLowerCase() !== email.toLowerCase()) return NO_MATCH;
      const which =
        uniqueId !== undefined && uniqueId !== member.uid
          ? ` (uid \`${member.uid}\`; the current account's uid is \`${uniqueId}\`)`
          : '';
      return {
        match: false,
        nearMiss: `member was deleted: \`${formatMember(member)}\` refers to an account deleted and possibly recreated${which}; grant again`,
      };
    }
    default:
      // Groups may contain the account, but membership cannot be resolved here: no match, no claim.
      return NO_MATCH;
  }
}

/**
 * Does the member name the principal? When not, `nearMiss` explains a member probably meant for it (only
 * where `explain` is left on: the most common near misses of a KSA are then not worded, for speed).
 */
export function matchMember(member: Member, principal: Principal, explain = true): MemberMatch {
  return principal.type === 'ksa'
    ? matchKsa(member, principal.ksa, explain)
    : matchServiceAccount(member, principal.email, principal.uniqueId);
}

/**
 * The member strings that name this KSA (legacy and principal forms), for fixes and searches.
 * Throws IdentifierError when the cluster's pool is unknown: no member can name the KSA then.
 */
export function ksaMembers(ksa: KsaPrincipal): { legacy: string; principal?: string } {
  if (ksa.pool === undefined) {
    throw new IdentifierError(
      `KSA \`${ksa.namespace}/${ksa.name}\`: the cluster's workload pool is unknown, so no IAM member can name it`,
    );
  }
  const legacy = formatMember({ type: 'wi-legacy', pool: ksa.pool, namespace: ksa.namespace, ksa: ksa.name });
  if (ksa.poolProjectNumber === undefined) return { legacy };
  const principal = formatMember({
    type: 'wi-subject',
    projectNumber: ksa.poolProjectNumber,
    pool: ksa.pool,
    namespace: ksa.namespace,
    ksa: ksa.name,
  });
  return { legacy, principal };
}
