// CONTRACT STUB — implemented by the model helper. Signatures are fixed; bodies to be written.
// Members and principals of IAM policies (FACTS §3), service-account emails and workload pools.

import type { KsaPrincipal } from '../engine/subject.js';

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

export declare function parseMember(raw: string): Member;
export declare function tryParseMember(raw: string): { ok: true; member: Member } | { ok: false; error: string };
export declare function formatMember(member: Member): string;

/** The workload pool of a project: `PROJECT_ID.svc.id.goog`. */
export declare function poolOf(projectId: string): string;
/** The project id of a pool, or undefined when the string is no workload pool. */
export declare function projectOfPool(pool: string): string | undefined;

export type ServiceAccountEmailKind =
  | 'user-managed'
  | 'compute-default'
  | 'app-engine-default'
  | 'service-agent'
  | 'workload-pool';

export interface ServiceAccountEmail {
  email: string;
  kind: ServiceAccountEmailKind;
  /** Project id when the email says it (user-managed, App Engine default). */
  projectId?: string;
  /** Project number when the email says it (Compute default, service agents). */
  projectNumber?: string;
  accountId: string;
}

export declare function parseServiceAccountEmail(email: string): ServiceAccountEmail;
export declare function isServiceAccountEmail(email: string): boolean;

/** Who is asking for a permission. */
export type Principal =
  | { type: 'ksa'; ksa: KsaPrincipal }
  | { type: 'serviceAccount'; email: string; uniqueId?: string };

export type MemberMatch =
  | { match: true; how: string }
  /** Not a match; `nearMiss` explains a member that was probably meant for this principal. */
  | { match: false; nearMiss?: string };

export declare function matchMember(member: Member, principal: Principal): MemberMatch;

/** The member strings that name this KSA (legacy and principal forms), for fixes and searches. */
export declare function ksaMembers(ksa: KsaPrincipal): { legacy: string; principal?: string };
