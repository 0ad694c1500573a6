// Direct binding (no annotation): the KSA's own principal is its Google identity, and the grants it holds can sit
// on any resource's policy (a bucket, a dataset, a topic, another project). wi-doctor reads the policies the
// checks need, not every policy of the organization, so "no grant in the policies read" proves nothing: it is
// `unknown`, with the policies that were read and the one search that settles it. Cloud Asset Inventory searches
// every allow policy of a scope: `gcloud asset search-all-iam-policies --scope=SCOPE --query='policy:"MEMBER"'`
// (scope `organizations/N`, `folders/N` or `projects/P`; needs `cloudasset.assets.searchAllIamPolicies`, in
// `roles/cloudasset.viewer`, on the scope).

import type { Subject } from '../../engine/subject.js';
import type { Facts } from '../../model/facts.js';
import { ksaMembers } from '../../model/identifiers.js';
import type { PolicyLevel } from '../../model/iam/evaluate.js';
import type { CheckOutcome } from '../define.js';
import { collectedPolicies } from './gsa.js';
import type { GrantScan } from './grants.js';

/** How many policies are named one by one before "and N more". */
const NAMED_POLICIES = 4;

export interface GrantSearch {
  /** Resources whose policy was read (present), in collection order. */
  read: string[];
  /** The member a search looks for: the KSA's `principal://` form (legacy form when the pool's number is unknown). */
  member: string;
  /** `organizations/N` when an organization policy was collected, else the cluster's project. */
  scope: string;
  /** The Cloud Asset Inventory command that lists every allow policy naming the member in the scope. */
  command: string;
  /** The same search for every form that names the pool (namespace and cluster principal sets, KSA uids). */
  poolCommand: string | undefined;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function assetSearchCommand(scope: string, member: string): string {
  return `gcloud asset search-all-iam-policies --scope=${scope} --query=${shellQuote(`policy:"${member}"`)}`;
}

const LEVEL_ORDER: Record<PolicyLevel, number> = {
  resource: 0,
  project: 1,
  folder: 2,
  organization: 3,
  'service-account': 4,
};

/** The resources whose policy was read, the same for every subject of a run: listed once per facts. */
const readCache = new WeakMap<Facts, string[]>();

function readPolicies(facts: Facts): string[] {
  let read = readCache.get(facts);
  if (read === undefined) {
    // Where direct grants usually sit first: resources and projects, then folders and the organization, then
    // service accounts (whose policies mostly hold impersonation grants).
    read = collectedPolicies(facts)
      .filter((p) => p.policy.status === 'present')
      .sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level])
      .map((p) => p.resource);
    readCache.set(facts, read);
  }
  return read;
}

export function grantSearch(facts: Facts, subject: Subject): GrantSearch {
  const members = ksaMembers(subject.principal);
  const member = members.principal ?? members.legacy;
  const organization = facts.ancestorPolicies
    .map((a) => a.resource)
    .find((resource) => resource.startsWith('organizations/'));
  const scope = organization ?? `projects/${subject.cluster.project}`;
  const pool = subject.principal.pool;
  return {
    read: readPolicies(facts),
    member,
    scope,
    command: assetSearchCommand(scope, member),
    poolCommand: pool !== undefined ? assetSearchCommand(scope, pool) : undefined,
  };
}

/** `projects/a, //storage…/b and 3 more` */
export function namePolicies(resources: readonly string[]): string {
  if (resources.length === 0) return 'none';
  const named = resources.slice(0, NAMED_POLICIES).map((r) => `\`${r}\``);
  const more = resources.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}

/**
 * The `unknown` of a direct-binding KSA with no grant in the policies read: which policies those were, the
 * search that finds grants anywhere in the scope, and the flags that decide it for the resource the workload uses.
 */
export function noGrantSeenOutcome(
  facts: Facts,
  subject: Subject,
  scan: GrantScan,
  location: string,
  extraNotes: readonly string[] = [],
): CheckOutcome {
  const ksa = `\`${subject.namespace}/${subject.ksaName}\``;
  const search = grantSearch(facts, subject);
  const unreadable = scan.unreadable.length;
  const read = `${search.read.length} ${search.read.length === 1 ? 'policy' : 'policies'} read`;
  const need = `wi-doctor check --ksa ${subject.namespace}/${subject.ksaName} --need PERMISSION --on RESOURCE`;
  return {
    status: 'unknown',
    cause:
      `KSA ${ksa} has no annotation, so its pods use direct binding (its own principal); no grant to that ` +
      `principal is in the ${read} (${namePolicies(search.read)})` +
      (unreadable > 0 ? ` and ${unreadable} could not be read` : '') +
      `, and grants on other resources (buckets, datasets, other projects) were not read: whether it can reach ` +
      `what it needs is not known`,
    evidence: {
      expected: `grants to \`${search.member}\` on the resources the workload uses`,
      actual: `none in the ${read}`,
      notes: [
        // Named, not all listed: a large run has hundreds, and every direct-binding KSA would repeat them.
        `policies read: ${namePolicies(search.read)}`,
        ...scan.unreadable.map((u) => `policy not readable, a grant may hide there: ${u}`),
        `search every allow policy of \`${search.scope}\` for the principal: ${search.command}`,
        ...(search.poolCommand !== undefined
          ? [`grants to the namespace or cluster (principalSet) or to the KSA's uid: ${search.poolCommand}`]
          : []),
        `or decide it for the resource the workload uses: ${need}`,
        ...extraNotes,
      ],
    },
    missing: [
      `grants to the KSA's principal outside the policies read: ${search.command}`,
      `or name what the workload needs: --need PERMISSION_OR_ROLE --on RESOURCE`,
    ],
    location,
  };
}
