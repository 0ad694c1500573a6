// The error texts wi-doctor recognises: what Google's APIs, the GKE metadata server, STS and the client libraries
// (Python, Go, Java, Node), gcloud and curl print when Workload Identity fails. Each signature lists the likely
// causes, most likely first, with the catalog check ids that confirm or rule each one out, the in-pod probe's checks
// where only the pod can tell, and the command to run next.
// Every pattern was written against a real, public error text: test/fixtures/errors/ holds them with their source.

import type { ProbeCheckId } from '../probe/types.js';

export interface Cause {
  cause: string;
  /** Ids of the check catalog (`wi-doctor checks`, `wi-doctor explain ID`) that confirm or rule this cause out. */
  checks: string[];
  /** The in-pod probe's checks that settle it (only a probe running in the pod sees them; docs/probe.md). */
  probe?: ProbeCheckId[];
  /** The command to run next (for probe checks: how to run the probe, and which of its results to read). */
  next: string;
}

export interface Signature {
  id: string;
  /** Signatures that, when they match the same text, already explain it: this one is then left out. */
  suppressedBy?: string[];
  /** What the text means, in one line. */
  title: string;
  /** Matched against the text; the first match's line is quoted. */
  pattern: RegExp;
  /** Higher is more specific: a specific signature outranks a generic one that matches the same text. */
  weight: number;
  causes: Cause[];
}

const CHECK = 'wi-doctor check --ksa NS/KSA';
const PROBE = 'wi-doctor probe-pod --workload NS/KIND/NAME, then run the probe in the pod';

/** `next` for a cause the in-pod probe settles: how to run it and which of its results to read, after `first`. */
function probeNext(ids: readonly ProbeCheckId[], first?: string): string {
  const read = `read its ${ids.join(', ')} result (in-pod probe ${ids.length === 1 ? 'check' : 'checks'}, docs/probe.md)`;
  return first === undefined ? `${PROBE}; ${read}` : `${first}; in the pod: ${PROBE}; ${read}`;
}

export const SIGNATURES: readonly Signature[] = [
  {
    id: 'get-access-token-denied',
    title: "IAM denied iam.serviceAccounts.getAccessToken on the GSA: the pod's KSA may not impersonate it",
    pattern:
      /Permission \\?'?iam\.serviceAccounts\.getAccessToken\\?'? denied|getAccessToken[^\n]{0,80}IAM_PERMISSION_DENIED/,
    weight: 90,
    causes: [
      {
        cause: 'no binding lets the KSA mint tokens for the GSA (missing, or for another namespace, KSA or pool)',
        checks: ['wi-binding'],
        next: CHECK,
      },
      {
        cause: 'the annotation names a GSA that does not exist (IAM answers the same for a missing account)',
        checks: ['gsa-exists', 'ksa-annotation'],
        next: CHECK,
      },
      {
        cause: 'the grant is roles/iam.serviceAccountUser (actAs), which mints no token',
        checks: ['wi-binding', 'cross-project-impersonation'],
        next: CHECK,
      },
      {
        cause: 'a binding made minutes ago is still propagating (2 to 7 minutes)',
        checks: ['wi-binding'],
        next: 'wait a few minutes and retry; wi-doctor logs --ksa NS/KSA --since 1h',
      },
      {
        cause: 'a leftover annotation on a KSA meant for direct binding makes GKE impersonate',
        checks: ['ksa-annotation'],
        next: CHECK,
      },
    ],
  },
  {
    id: 'gaia-id-not-found',
    title: 'IAM answered 404 "Gaia id not found": the service account named does not exist',
    pattern: /Gaia id not found for email/i,
    weight: 95,
    causes: [
      {
        cause: 'the iam.gke.io/gcp-service-account annotation names a wrong email (typo, another project)',
        checks: ['gsa-exists', 'ksa-annotation'],
        next: CHECK,
      },
      {
        cause: 'the GSA was deleted (within 30 days it can be undeleted)',
        checks: ['gsa-exists', 'wi-binding-stale'],
        next: CHECK,
      },
    ],
  },
  {
    id: 'service-disabled',
    title: 'An API is disabled in the project that calls it ("has not been used in project … or it is disabled")',
    pattern:
      /API has not been used in project \S+ before or it is disabled|\bSERVICE_DISABLED\b|\baccessNotConfigured\b/,
    weight: 85,
    causes: [
      {
        cause:
          'the IAM Service Account Credentials API (iamcredentials.googleapis.com) is disabled in the cluster project: the metadata server cannot mint GSA tokens',
        checks: ['iamcredentials-api-enabled'],
        next: CHECK,
      },
      {
        cause: 'the API the application calls is disabled in the project it bills to: no Workload Identity problem',
        checks: ['gsa-permission'],
        next: 'gcloud services enable SERVICE --project PROJECT',
      },
    ],
  },
  {
    id: 'gke-metadata-server-token-error',
    title: 'The GKE metadata server relayed an IAM error while minting the GSA token (the KSA impersonates a GSA)',
    pattern: /Unable to generate access token; IAM returned \d{3}/,
    weight: 60,
    causes: [
      {
        cause: 'the impersonation chain is broken at the binding, the account or the API (the relayed text says which)',
        checks: ['wi-binding', 'gsa-exists', 'gsa-enabled', 'iamcredentials-api-enabled'],
        next: CHECK,
      },
    ],
  },
  {
    id: 'default-credentials-not-found',
    title: 'The client library found no credentials at all (no key file, no metadata server answer)',
    pattern:
      /Could not automatically determine credentials|could not find default credentials|Could not load the default credentials|Application Default Credentials are not available|Your default credentials were not found/i,
    weight: 70,
    causes: [
      {
        cause:
          'the pod asked before the GKE metadata server knew it (startup race): the library gives up after a short timeout',
        checks: ['metadata-server-healthy'],
        probe: ['metadata-server-reachable'],
        next: probeNext(['metadata-server-reachable']),
      },
      {
        cause: 'a NetworkPolicy blocks egress to the metadata server',
        checks: ['network-policy-metadata'],
        probe: ['metadata-server-reachable'],
        next: probeNext(['metadata-server-reachable'], CHECK),
      },
      {
        cause: 'the gke-metadata-server pod on the node is not running or not ready',
        checks: ['metadata-server-healthy'],
        next: CHECK,
      },
      {
        cause: 'DNS for metadata.google.internal fails in the pod (set GCE_METADATA_HOST=169.254.169.254)',
        checks: [],
        probe: ['metadata-server-reachable'],
        next: probeNext(['metadata-server-reachable']),
      },
    ],
  },
  {
    id: 'metadata-flavor-missing',
    title: 'The request to the metadata server lacked the "Metadata-Flavor: Google" header',
    pattern: /Missing required header "?Metadata-Flavor"?/,
    weight: 80,
    causes: [
      {
        cause:
          'the client (an old library, a hand-written call, curl without -H "Metadata-Flavor: Google") omits the header: no Workload Identity problem',
        checks: [],
        probe: ['metadata-server-reachable'],
        next: probeNext(['metadata-server-reachable']),
      },
    ],
  },
  {
    id: 'metadata-server-timeout',
    title: 'The metadata server did not answer in time (timeout, refused, unreachable)',
    pattern:
      /Compute Engine ?[Mm]etadata server unavailable|169\.254\.169\.254[^\n]{0,120}(?:i\/o timeout|timed out|connection refused|Connection refused|ECONNREFUSED|EHOSTUNREACH)|metadata\.google\.internal[^\n]{0,120}(?:timed out|timeout)|net\/http: timeout awaiting response headers|context deadline exceeded|\(gsutil\) timed out|error sending request for url \(http:\/\/(?:metadata\.google\.internal|169\.254\.169\.254)/,
    weight: 65,
    causes: [
      {
        cause: "a NetworkPolicy blocks egress to the metadata server for the cluster's datapath",
        checks: ['network-policy-metadata'],
        next: CHECK,
      },
      {
        cause: 'the gke-metadata-server pod on the node is down, crash-looping or overloaded',
        checks: ['metadata-server-healthy'],
        next: CHECK,
      },
      {
        cause: 'the pod asked during its first seconds (startup race): retry',
        checks: [],
        probe: ['metadata-server-reachable'],
        next: probeNext(['metadata-server-reachable']),
      },
      {
        cause: 'an egress proxy or sidecar intercepts 169.254.169.254',
        checks: [],
        probe: ['metadata-server-reachable'],
        next: probeNext(['metadata-server-reachable']),
      },
    ],
  },
  {
    id: 'metadata-dns',
    title: "The metadata server's name did not resolve in the pod",
    pattern:
      /Could not resolve host: metadata(?:\.google\.internal)?\b|ENOTFOUND metadata\.google\.internal|lookup metadata\.google\.internal/,
    weight: 75,
    causes: [
      {
        cause: 'cluster DNS fails or the pod uses a custom resolver: set GCE_METADATA_HOST=169.254.169.254 to skip DNS',
        checks: [],
        probe: ['metadata-server-reachable'],
        next: probeNext(['metadata-server-reachable']),
      },
    ],
  },
  {
    id: 'metadata-not-found',
    title: 'The metadata server answered 404 for a path the client asked for',
    pattern: /metadata: GCE metadata \\?"[^\n]*?" not defined|Compute Engine ?metadata service\. Status: 404/,
    weight: 55,
    causes: [
      {
        cause:
          'the library asked for an endpoint the GKE metadata server does not serve (…/service-accounts/default/?recursive=true answers 404 on GKE): update the library',
        checks: [],
        probe: ['metadata-server-reachable'],
        next: probeNext(['metadata-server-reachable']),
      },
      {
        cause: 'the KSA has no usable Google identity (no annotation, a typo in its key)',
        checks: ['ksa-annotation', 'pod-service-account'],
        next: CHECK,
      },
    ],
  },
  {
    id: 'gke-metadata-server-error',
    title: 'The GKE metadata server itself failed (500)',
    pattern:
      /GKE Metadata Server: Internal Server Error|GKE Metadata Server encountered an error(?!: Missing required header)/,
    weight: 70,
    causes: [
      {
        cause: 'the gke-metadata-server pod on the node is unhealthy (OOM above ~3,000 KSAs, crash loop)',
        checks: ['metadata-server-healthy'],
        next: CHECK,
      },
    ],
  },
  {
    id: 'sts-invalid-target',
    title: 'STS rejected the audience: the workload identity pool or provider does not exist or is disabled',
    pattern: /invalid_target/,
    weight: 85,
    causes: [
      {
        cause:
          'federation: the credential configuration names a pool or provider that is deleted, disabled or misspelt',
        checks: [],
        probe: ['credential-config'],
        next: probeNext(['credential-config']),
      },
      {
        cause: 'GKE: the cluster has no workload pool (Workload Identity off) or the audience names another pool',
        checks: ['cluster-workload-pool', 'token-claims'],
        next: CHECK,
      },
    ],
  },
  {
    id: 'sts-invalid-request-audience',
    title: 'STS rejected the "audience" value as malformed',
    pattern: /Invalid value for \\?"audience\\?"/,
    weight: 85,
    causes: [
      {
        cause: "the credential configuration's audience is not the full resource name of the provider",
        checks: [],
        probe: ['credential-config'],
        next: probeNext(['credential-config']),
      },
    ],
  },
  {
    id: 'invalid-grant',
    title: 'The token endpoint refused the grant (invalid_grant)',
    pattern: /invalid_grant/,
    weight: 75,
    causes: [
      {
        cause:
          'a service-account key file is used (deleted or disabled key, deleted account, clock skew): Workload Identity is bypassed',
        checks: ['credential-override', 'gsa-user-managed-keys'],
        next: CHECK,
      },
      {
        cause: 'federation: the subject token is expired, or its audience or issuer does not match the provider',
        checks: ['token-claims'],
        probe: ['credential-config'],
        next: probeNext(['credential-config'], 'wi-doctor token decode TOKEN_FILE'),
      },
    ],
  },
  {
    id: 'sts-throttled',
    title: 'Security Token Service throttled the token exchanges (rate limit)',
    pattern: /\[Security Token Service\] The request was throttled/,
    weight: 90,
    causes: [
      {
        cause: 'too many exchanges at once (many pods starting, tokens not cached): retry with backoff',
        checks: [],
        next: 'wi-doctor logs --ksa NS/KSA --since 1h',
      },
    ],
  },
  {
    id: 'quota-exceeded',
    title: 'A quota was exceeded (429 / RESOURCE_EXHAUSTED)',
    pattern: /Quota exceeded for quota metric|\bRESOURCE_EXHAUSTED\b|\b429 Too Many Requests\b/,
    weight: 50,
    causes: [
      {
        cause:
          'the API the application calls rate-limits its project: no Workload Identity problem (the call was authenticated)',
        checks: ['gsa-permission'],
        next: 'gcloud services quota list (or the Quotas page) for the named metric',
      },
      {
        cause: 'token requests themselves are limited (iamcredentials or STS named in the text): tokens are not cached',
        checks: [],
        next: 'wi-doctor logs --ksa NS/KSA --since 1h',
      },
    ],
  },
  {
    id: 'scope-insufficient',
    title: 'The access token lacks the OAuth scope the API needs',
    pattern: /insufficient authentication scopes|ACCESS_TOKEN_SCOPE_INSUFFICIENT|Insufficient Permission/,
    weight: 80,
    causes: [
      {
        cause:
          "the pod got the node's token, limited to the node pool's access scopes: its pool does not run the GKE metadata server, or the pod uses hostNetwork",
        checks: ['nodepool-gke-metadata', 'host-network'],
        probe: ['pod-identity'],
        next: probeNext(['pod-identity'], CHECK),
      },
      {
        cause: "the application (or the caller's token) asks for narrower scopes than the API accepts",
        checks: [],
        probe: ['pod-access-token'],
        next: probeNext(['pod-access-token']),
      },
    ],
  },
  {
    id: 'unauthenticated',
    title: 'The API rejected the credentials as invalid or expired (401 / UNAUTHENTICATED)',
    pattern:
      /Request had invalid authentication credentials|\bUNAUTHENTICATED\b|\bACCESS_TOKEN_EXPIRED\b|ACCESS_TOKEN_TYPE_UNSUPPORTED|\b401 Unauthorized\b|Error 401\b|"invalid_token"/,
    weight: 60,
    causes: [
      {
        cause: 'the application keeps a token past its expiry (federation: it read the token file once at start)',
        checks: ['token-claims'],
        probe: ['credential-config'],
        next: probeNext(['credential-config']),
      },
      {
        cause: 'direct binding: a federated token reached an API that does not accept one',
        checks: ['ksa-annotation', 'end-to-end-token'],
        next: CHECK,
      },
      {
        cause: 'a key file of a deleted account or a revoked key is used',
        checks: ['credential-override'],
        next: CHECK,
      },
    ],
  },
  {
    id: 'pool-identity-used',
    title: 'The call was made as the workload pool itself, not as a GSA (the KSA impersonates nothing)',
    pattern:
      /\/namespaces\/[a-z][-a-z0-9]*\.svc\.id\.goog with additional claims|Invalid form of account ID [a-z][-a-z0-9]*\.svc\.id\.goog/,
    weight: 88,
    causes: [
      {
        cause: 'the KSA has no annotation (or a misspelt key), so GKE uses direct binding',
        checks: ['ksa-annotation', 'pod-service-account'],
        next: CHECK,
      },
      {
        cause: "direct binding is intended, but the KSA's principal lacks the role on the resource",
        checks: ['gsa-permission'],
        next: 'wi-doctor check --ksa NS/KSA --need PERMISSION --on RESOURCE',
      },
      {
        cause:
          'an operation needs a service-account email (signing a URL): annotate iam.gke.io/return-principal-id-as-email, or use a GSA',
        checks: ['ksa-annotation'],
        next: CHECK,
      },
    ],
  },
  {
    id: 'target-permission-denied',
    // A getAccessToken denial or a scope error also says PERMISSION_DENIED: those explain it better.
    suppressedBy: ['get-access-token-denied', 'scope-insufficient'],
    title: 'The identity is authenticated but lacks a permission on the resource it called',
    pattern:
      /does not have [a-z]+\.[a-zA-Z]+\.[a-zA-Z]+ access to|Permission '?(?!iam\.serviceAccounts\.getAccessToken)[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+'? denied|\bPERMISSION_DENIED\b/,
    weight: 40,
    causes: [
      {
        cause: "the GSA (or, under direct binding, the KSA's principal) lacks a role with that permission there",
        checks: ['gsa-permission'],
        probe: ['target-permission'],
        next: probeNext(['target-permission'], 'wi-doctor check --ksa NS/KSA --need PERMISSION --on RESOURCE'),
      },
      {
        cause: "the pod is not the identity you think: the node's, another GSA, or the pool",
        checks: ['nodepool-gke-metadata', 'ksa-annotation'],
        probe: ['pod-identity'],
        next: probeNext(['pod-identity']),
      },
    ],
  },
  {
    id: 'identity-pool-does-not-exist',
    title: 'The workload pool of the project does not exist yet',
    pattern: /Identity Pool does not exist/,
    weight: 90,
    causes: [
      {
        cause: 'no cluster of the project has Workload Identity on yet: the pool is created with the first one',
        checks: ['cluster-workload-pool'],
        next: CHECK,
      },
    ],
  },
  {
    id: 'set-iam-policy-denied',
    title: "Whoever tried to grant the binding may not change the service account's policy",
    pattern: /Permission iam\.serviceAccounts\.setIamPolicy is required/,
    weight: 90,
    causes: [
      {
        cause: 'the person or pipeline applying the binding lacks iam.serviceAccounts.setIamPolicy: no pod problem',
        checks: [],
        next: 'wi-doctor permissions',
      },
    ],
  },
  {
    id: 'domain-restricted-sharing',
    title: 'An organization policy refused a member from outside the organization',
    pattern: /do not belong to a permitted customer/,
    weight: 90,
    causes: [
      {
        cause: 'the domain-restricted sharing constraint forbids the member: grant an identity of the organization',
        checks: [],
        next: 'gcloud resource-manager org-policies describe iam.allowedPolicyMemberDomains --project PROJECT',
      },
    ],
  },
  {
    id: 'no-credentialed-accounts',
    title: 'gcloud in the pod found no identity',
    pattern: /No credentialed accounts\./,
    weight: 55,
    causes: [
      {
        cause:
          'the metadata server did not answer (not ready, blocked, or the pool not on GKE_METADATA with concealment)',
        checks: ['metadata-server-healthy', 'network-policy-metadata'],
        probe: ['metadata-server-reachable'],
        next: probeNext(['metadata-server-reachable'], CHECK),
      },
    ],
  },
];
