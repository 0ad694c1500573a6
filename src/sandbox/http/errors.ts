// Error bodies as Google and Kubernetes write them, texts as seen from the real APIs.

import type { SandboxResponse } from './router.js';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export function googleError(
  code: number,
  message: string,
  status = STATUS_NAMES[code] ?? 'UNKNOWN',
  details?: unknown[],
): SandboxResponse {
  const error: Record<string, unknown> = { code, message, status };
  if (details) error.details = details;
  return { status: code, json: { error } };
}

/** The IAM-style denial, word for word (google-github-actions/auth#340). */
export function permissionDenied(permission: string, domain = 'iam.googleapis.com'): SandboxResponse {
  return googleError(403, `Permission '${permission}' denied on resource (or it may not exist).`, 'PERMISSION_DENIED', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'IAM_PERMISSION_DENIED',
      domain,
      metadata: { permission },
    },
  ]);
}

export const UNAUTHENTICATED_MISSING =
  'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
export const UNAUTHENTICATED_INVALID =
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

export function googleNotFoundRoute(api: string, method: string, path: string): SandboxResponse {
  return googleError(404, `The sandbox's ${api} API has no route for ${method} ${path}.`, 'NOT_FOUND');
}

export function kubeStatus(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): SandboxResponse {
  const body: Record<string, unknown> = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) body.details = details;
  return { status: code, json: body };
}

export function kubeNotFound(resource: string, name: string, group = ''): SandboxResponse {
  const qualified = group ? `${resource}.${group}` : resource;
  return kubeStatus(404, 'NotFound', `${qualified} "${name}" not found`, {
    name,
    group: group || undefined,
    kind: resource,
  });
}

/** STS (RFC 8693) errors are OAuth-shaped, not google.rpc-shaped. */
export function stsError(status: number, error: string, description: string): SandboxResponse {
  return { status, json: { error, error_description: description } };
}
