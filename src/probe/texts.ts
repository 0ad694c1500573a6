// What the metadata server, IAM and STS say, recognised and explained (FACTS §1, §2).

export interface Explained {
  /** A stable name for tests and for the lead's join: missing-binding, gsa-disabled, … */
  kind: string;
  cause: string;
}

const MISSING_BINDING = /Permission '(iam\.serviceAccounts\.(?:getAccessToken|getOpenIdToken))' denied on resource/;

/** A non-2xx answer of the metadata server's token or identity endpoint. */
export function explainMetadataError(status: number, body: string, gsa: string | undefined, who: string): Explained {
  const text = body.trim();
  const account = gsa ?? 'the annotated GSA';
  const m = MISSING_BINDING.exec(text);
  if (m) {
    const bindingHint = /missing IAM policy binding/.test(text) ? ' (the metadata server says so itself)' : '';
    return {
      kind: 'missing-binding',
      cause:
        `IAM refused ${m[1] ?? 'the permission'} on ${account}${bindingHint}: ${who} is missing ` +
        `roles/iam.workloadIdentityUser on that GSA, or the GSA does not exist — IAM answers the same for both. ` +
        'A binding added in the last minutes may still be propagating.',
    };
  }
  if (
    /IAM Service Account Credentials API has not been used|iamcredentials\.googleapis\.com.*(?:disabled|not been used)/s.test(
      text,
    )
  ) {
    return {
      kind: 'iamcredentials-disabled',
      cause:
        'the IAM Service Account Credentials API (iamcredentials.googleapis.com) is disabled in the cluster project',
    };
  }
  if (/Precondition check failed|FAILED_PRECONDITION/.test(text)) {
    return {
      kind: 'gsa-disabled',
      cause: `IAM refused with FAILED_PRECONDITION: ${account} is most likely disabled (UNVERIFIED wording; check it with gcloud iam service-accounts describe)`,
    };
  }
  if (/GKE Metadata Server: Internal Server Error/.test(text)) {
    return {
      kind: 'metadata-server-unhealthy',
      cause:
        'the GKE metadata server answers 500 Internal Server Error: its pod on this node is unhealthy (look at kube-system/gke-metadata-server)',
    };
  }
  if (/metadata server is concealed|metadata endpoint is concealed/.test(text)) {
    return {
      kind: 'metadata-concealment',
      cause: 'the node pool uses the legacy metadata concealment, which is incompatible with Workload Identity',
    };
  }
  if (status === 404) {
    return {
      kind: 'not-found',
      cause: `the metadata server answered 404: it has no service account for this pod (${text || 'Not Found'})`,
    };
  }
  if (status >= 500) return { kind: 'server-error', cause: `the metadata server answered ${status}: ${text}` };
  return { kind: 'other', cause: `the metadata server answered ${status}: ${text}` };
}

export const COMPUTE_DEFAULT_SA = /^(\d+)-compute@developer\.gserviceaccount\.com$/i;
