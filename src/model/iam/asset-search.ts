// Cloud Asset Inventory `searchAllIamPolicies` results as policies wi-doctor evaluates like any other.
//
// A search result holds only the bindings of a resource's policy that match the query, so it is a *partial*
// policy: it can prove a grant (every binding in it is real), and it proves the absence of a grant only for what
// the query covers. wi-doctor's queries are OR-joined terms of two kinds, and coverage follows from them:
//   policy:X                  every binding with a member containing X is returned. Every member that can name
//                             a KSA contains its pool (`serviceAccount:POOL[NS/KSA]`,
//                             `principal://…/workloadIdentityPools/POOL/…`), so `policy:svc.id.goog` covers every
//                             GKE pool; `policy:EMAIL` covers the service account EMAIL.
//   policy.role.permissions:P every binding whose role holds P is returned, whoever its members: complete for
//                             evaluating P for anybody.
// Public members (allUsers, allAuthenticatedUsers) and groups are covered by neither member term: a grant through
// them is not seen unless its role holds a searched permission.

import type { Policy } from '../gcp.js';
import type { KsaPrincipal } from '../../engine/subject.js';
import type { PolicyLevel } from './evaluate.js';

/** One `IamPolicySearchResult` as the API returns it (only the fields read). */
export interface IamPolicySearchResult {
  /** Full resource name: `//cloudresourcemanager.googleapis.com/projects/NUMBER`, `//iam.googleapis.com/projects/P/serviceAccounts/UNIQUE_ID`, `//storage.googleapis.com/B`, … */
  resource: string;
  assetType?: string;
  /** `projects/NUMBER` of the project holding the resource; absent for folders and the organization. */
  project?: string;
  folders?: string[];
  organization?: string;
  /** Only the bindings that matched the query. */
  policy?: Policy;
}

/** A search result, named the way the rest of wi-doctor names policies. */
export interface AssetPolicy {
  /** `projects/ID` (or `projects/NUMBER` when the id is unknown), `folders/N`, `organizations/N`, `projects/-/serviceAccounts/EMAIL` (or `projects/P/serviceAccounts/UNIQUE_ID`), `//storage.googleapis.com/projects/_/buckets/B`, else the full resource name. */
  resource: string;
  level: PolicyLevel;
  fullResourceName: string;
  assetType: string;
  /** Only the bindings that matched the query. */
  policy: Policy;
}

export interface SearchCoverage {
  /** `policy:X` terms: every binding with a member containing X (case-insensitive) was returned. */
  memberTerms: string[];
  /** `policy.role.permissions:P` terms: every binding whose role holds P was returned. */
  permissions: string[];
}

/** The members of Workload Identity: every GKE pool is `PROJECT.svc.id.goog`; other pools are `workloadIdentityPools/…`. */
export const WI_MEMBER_TERMS = ['svc.id.goog', 'workloadIdentityPools'] as const;

/**
 * Permissions that let a principal act as a service account by getting credentials for it: an access or ID
 * token, a signed JWT or blob (a self-signed assertion), a delegated token, or a key. `actAs` is not one of them:
 * it attaches the account to a resource and mints nothing by itself.
 */
export const TOKEN_PERMISSIONS = [
  'iam.serviceAccounts.getAccessToken',
  'iam.serviceAccounts.getOpenIdToken',
  'iam.serviceAccounts.signBlob',
  'iam.serviceAccounts.signJwt',
  'iam.serviceAccounts.implicitDelegation',
  'iam.serviceAccountKeys.create',
] as const;

/** The query of a search for these member terms and permissions: OR-joined terms, as Cloud Asset parses them. */
export function searchQuery(coverage: SearchCoverage): string {
  return [
    ...coverage.memberTerms.map((t) => `policy:"${t}"`),
    ...coverage.permissions.map((p) => `policy.role.permissions:${p}`),
  ].join(' OR ');
}

/** The search wi-doctor runs over a scope: every Workload Identity member, every token-minting role. */
export const FLEET_COVERAGE: SearchCoverage = {
  memberTerms: [...WI_MEMBER_TERMS],
  permissions: [...TOKEN_PERMISSIONS],
};

const TERM = /^policy:"?([^"\s()]+)"?$|^policy\.role\.permissions:"?([^"\s()*]+)"?$/;

/**
 * What a query covers, when it is OR-joined `policy:X` and `policy.role.permissions:P` terms only; anything else
 * (AND, NOT, other fields, wildcards) covers nothing: its results still prove grants, never an absence.
 */
export function coverageOfQuery(query: string): SearchCoverage {
  const none: SearchCoverage = { memberTerms: [], permissions: [] };
  const terms = query.trim() === '' ? [] : query.trim().split(/\s+OR\s+/);
  const out: SearchCoverage = { memberTerms: [], permissions: [] };
  for (const term of terms) {
    const m = TERM.exec(term.trim());
    if (!m) return none;
    if (m[1] !== undefined) out.memberTerms.push(m[1]);
    else if (m[2] !== undefined) out.permissions.push(m[2]);
  }
  return out;
}

/** Does a search with this coverage return every binding that names this KSA (in any member form)? */
export function coversKsa(coverage: SearchCoverage, ksa: Pick<KsaPrincipal, 'pool'>): boolean {
  const pool = ksa.pool?.toLowerCase();
  return pool !== undefined && coverage.memberTerms.some((t) => pool.includes(t.toLowerCase()));
}

/** Does it return every binding that names `serviceAccount:EMAIL`? */
export function coversServiceAccount(coverage: SearchCoverage, email: string): boolean {
  const member = `serviceaccount:${email.toLowerCase()}`;
  return coverage.memberTerms.some((t) => member.includes(t.toLowerCase()));
}

/** Does it return every binding whose role holds the permission? */
export function coversPermission(coverage: SearchCoverage, permission: string): boolean {
  return coverage.permissions.includes(permission);
}

/** What the facts know to name results with: project number → id, service-account unique id → email. */
export interface AssetNaming {
  projectIdOfNumber(number: string): string | undefined;
  emailOfUniqueId(uniqueId: string): string | undefined;
}

const LEVEL_OF_TYPE: Record<string, PolicyLevel> = {
  'cloudresourcemanager.googleapis.com/Organization': 'organization',
  'cloudresourcemanager.googleapis.com/Folder': 'folder',
  'cloudresourcemanager.googleapis.com/Project': 'project',
  'iam.googleapis.com/ServiceAccount': 'service-account',
};

/** A result under the name the facts give the same policy when it is read one by one. */
export function assetPolicyOf(result: IamPolicySearchResult, naming: AssetNaming): AssetPolicy {
  const full = result.resource;
  const assetType = result.assetType ?? '';
  const policy = result.policy ?? {};
  let resource = full;
  const crm = /^\/\/cloudresourcemanager\.googleapis\.com\/((?:projects|folders|organizations)\/[^/]+)$/.exec(full);
  const sa = /^\/\/iam\.googleapis\.com\/projects\/([^/]+)\/serviceAccounts\/([^/]+)$/.exec(full);
  const bucket = /^\/\/storage\.googleapis\.com\/([^/]+)$/.exec(full);
  if (crm?.[1] !== undefined) {
    resource = crm[1];
    const number = /^projects\/(\d+)$/.exec(resource)?.[1];
    const id = number !== undefined ? naming.projectIdOfNumber(number) : undefined;
    if (id !== undefined) resource = `projects/${id}`;
  } else if (sa?.[1] !== undefined && sa[2] !== undefined) {
    const email = sa[2].includes('@') ? sa[2] : naming.emailOfUniqueId(sa[2]);
    resource =
      email !== undefined ? `projects/-/serviceAccounts/${email}` : `projects/${sa[1]}/serviceAccounts/${sa[2]}`;
  } else if (bucket?.[1] !== undefined) {
    resource = `//storage.googleapis.com/projects/_/buckets/${bucket[1]}`;
  }
  const level =
    LEVEL_OF_TYPE[assetType] ??
    (resource.startsWith('organizations/')
      ? 'organization'
      : resource.startsWith('folders/')
        ? 'folder'
        : /^projects\/[^/]+$/.test(resource)
          ? 'project'
          : 'resource');
  return { resource, level, fullResourceName: full, assetType, policy };
}
