// Where each Google API lives. google-auth-library and the @googleapis/* clients read no endpoint override
// by themselves, so wi-doctor resolves one base URL per API here: a flag, then WI_DOCTOR_<API>_ENDPOINT,
// then gcloud's CLOUDSDK_API_ENDPOINT_OVERRIDES_<API> (one env file can serve both tools), then Google's.

import { UsageError } from '../../engine/errors.js';

export const GOOGLE_APIS = [
  'container',
  'iam',
  'cloudresourcemanager',
  'serviceusage',
  'iamcredentials',
  'sts',
  'logging',
  'storage',
  'cloudasset',
  'policyanalyzer',
] as const;
export type GoogleApiName = (typeof GOOGLE_APIS)[number];

export type Endpoints = Readonly<Record<GoogleApiName, string>>;

export const DEFAULT_ENDPOINTS: Endpoints = {
  container: 'https://container.googleapis.com/',
  iam: 'https://iam.googleapis.com/',
  cloudresourcemanager: 'https://cloudresourcemanager.googleapis.com/',
  serviceusage: 'https://serviceusage.googleapis.com/',
  iamcredentials: 'https://iamcredentials.googleapis.com/',
  sts: 'https://sts.googleapis.com/',
  logging: 'https://logging.googleapis.com/',
  storage: 'https://storage.googleapis.com/',
  cloudasset: 'https://cloudasset.googleapis.com/',
  policyanalyzer: 'https://policyanalyzer.googleapis.com/',
};

export const envNameOf = (api: GoogleApiName): string => `WI_DOCTOR_${api.toUpperCase()}_ENDPOINT`;
export const gcloudEnvNameOf = (api: GoogleApiName): string => `CLOUDSDK_API_ENDPOINT_OVERRIDES_${api.toUpperCase()}`;

function isApi(name: string): name is GoogleApiName {
  return (GOOGLE_APIS as readonly string[]).includes(name);
}

/** A base URL ending in "/", so paths join under any prefix it carries. */
function normalize(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${where}: ${JSON.stringify(value)} is not a URL (expected e.g. https://iam.googleapis.com/)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${where}: ${JSON.stringify(value)} must be an http or https URL`);
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** `--endpoint API=URL` values (repeatable) into a map; unknown API names are a usage error. */
export function parseEndpointFlags(values: readonly string[] | undefined): Partial<Record<GoogleApiName, string>> {
  const out: Partial<Record<GoogleApiName, string>> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    const name = eq > 0 ? value.slice(0, eq).trim().toLowerCase() : '';
    if (!isApi(name)) {
      throw new UsageError(
        `--endpoint ${JSON.stringify(value)}: expected API=URL with API one of ${GOOGLE_APIS.join(', ')}`,
      );
    }
    out[name] = normalize(value.slice(eq + 1).trim(), `--endpoint ${name}`);
  }
  return out;
}

export function resolveEndpoints(flags: Partial<Record<GoogleApiName, string>>, env: NodeJS.ProcessEnv): Endpoints {
  const resolved = { ...DEFAULT_ENDPOINTS };
  for (const api of GOOGLE_APIS) {
    const flag = flags[api];
    const own = env[envNameOf(api)];
    const gcloud = env[gcloudEnvNameOf(api)];
    if (flag !== undefined) resolved[api] = normalize(flag, `--endpoint ${api}`);
    else if (own) resolved[api] = normalize(own, envNameOf(api));
    else if (gcloud) resolved[api] = normalize(gcloud, gcloudEnvNameOf(api));
  }
  return resolved;
}
