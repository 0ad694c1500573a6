// Credentials exactly as users have them. Google: Application Default Credentials through
// google-auth-library (user ADC, impersonated, metadata server, external_account), or an explicit access
// token as gcloud takes one (`--access-token-file`, CLOUDSDK_AUTH_ACCESS_TOKEN). Kubernetes: kubeconfig or
// in-cluster config through @kubernetes/client-node, whose exec plugins (gke-gcloud-auth-plugin) run as usual.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { UsageError } from '../../engine/errors.js';
import type { ClusterRef } from '../../model/facts.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** What the Google transports need: something with gaxios' `request`, plus headers for every call. */
export interface GoogleCredentials {
  client: GoogleAuth | OAuth2Client;
  /** `adc` or `access-token`: shown with --debug. */
  kind: 'adc' | 'access-token';
  /** Sent with every Google call (`x-goog-user-project` for --billing-project). */
  headers: Record<string, string>;
}

export interface GoogleCredentialOptions {
  accessTokenFile?: string;
  billingProject?: string;
}

export function googleCredentials(options: GoogleCredentialOptions, env: NodeJS.ProcessEnv): GoogleCredentials {
  const headers: Record<string, string> = {};
  if (options.billingProject) headers['x-goog-user-project'] = options.billingProject;
  let token: string | undefined;
  if (options.accessTokenFile) {
    try {
      token = readFileSync(options.accessTokenFile, 'utf8').trim();
    } catch (e) {
      throw new UsageError(`--access-token-file ${options.accessTokenFile}: ${(e as Error).message}`);
    }
    if (token === '') throw new UsageError(`--access-token-file ${options.accessTokenFile}: the file is empty`);
  } else if (env.CLOUDSDK_AUTH_ACCESS_TOKEN) {
    token = env.CLOUDSDK_AUTH_ACCESS_TOKEN.trim();
  }
  if (token !== undefined) {
    // No refresh token and no expiry: the library sends it as is, and a 401 says it expired.
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token });
    return { client, kind: 'access-token', headers };
  }
  return { client: new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }), kind: 'adc', headers };
}

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
}

/** Hosts NO_PROXY exempts (`.example.com`, `example.com`, `*`), as kubectl reads it. */
function exemptFromProxy(host: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase();
  return noProxy
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '')
    .some(
      (entry) =>
        entry === '*' || h === entry.replace(/^\./, '') || h.endsWith(entry.startsWith('.') ? entry : `.${entry}`),
    );
}

/** Where a pod's service account token is mounted: there, with no kubeconfig, the in-cluster config is used. */
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

const NO_KUBECONFIG =
  'no kubeconfig: KUBECONFIG is not set, ~/.kube/config does not exist and this is not a pod; give --kubeconfig FILE, ' +
  'write one with `gcloud container clusters get-credentials CLUSTER --location LOCATION --project PROJECT`, ' +
  'or read an evidence bundle with --from DIR';

/**
 * `~/.kube/config` when it exists (the home folder as kubectl finds it: HOME, else the Windows variables, else the
 * account's home when HOME is not set).
 */
function homeKubeconfig(env: NodeJS.ProcessEnv): string | undefined {
  const homes = [
    env.HOME,
    env.HOMEDRIVE && env.HOMEPATH ? env.HOMEDRIVE + env.HOMEPATH : undefined,
    env.USERPROFILE,
    env.HOME === undefined ? homedir() : undefined,
  ];
  return homes
    .filter((home): home is string => home !== undefined && home !== '')
    .map((home) => join(home, '.kube', 'config'))
    .find((file) => existsSync(file));
}

/**
 * Load kubeconfig: `--kubeconfig`, else KUBECONFIG (colon-separated, merged like kubectl), else
 * ~/.kube/config, else the in-cluster service account. `--context` picks a context. With none of them it is a
 * usage error: client-node would make up a cluster at http://localhost:8080 (context `loaded-context`), and the
 * run would fail on it later, or blame that context's name.
 */
export function loadKubeConfig(options: KubeOptions, env: NodeJS.ProcessEnv): KubeConfig {
  const kc = new KubeConfig();
  const files = options.kubeconfig
    ? [options.kubeconfig]
    : (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  const home = files.length === 0 ? homeKubeconfig(env) : undefined;
  if (files.length === 0 && home === undefined && !existsSync(IN_CLUSTER_TOKEN)) {
    throw new UsageError(NO_KUBECONFIG);
  }
  try {
    if (files.length > 0) {
      kc.loadFromFile(files[0] ?? '');
      for (const file of files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more);
      }
    } else {
      if (home !== undefined) kc.loadFromFile(home);
      else kc.loadFromCluster();
    }
  } catch (e) {
    throw new UsageError(
      `cannot load kubeconfig${files.length > 0 ? ` ${files.join(delimiter)}` : ''}: ${(e as Error).message}`,
    );
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new UsageError(
        `--context ${options.context}: no such context in kubeconfig${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new UsageError('kubeconfig has no current cluster: give --context or --kubeconfig');
  // client-node honours a cluster's `proxy-url` but not HTTPS_PROXY; kubectl honours both, so do we.
  const proxy = env.HTTPS_PROXY ?? env.https_proxy;
  if (!cluster.proxyUrl && proxy && cluster.server.startsWith('https:')) {
    const host = new URL(cluster.server).hostname;
    if (!exemptFromProxy(host, env.NO_PROXY ?? env.no_proxy)) {
      kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, proxyUrl: proxy } : c));
    }
  }
  return kc;
}

export interface ClusterFlags {
  project?: string;
  location?: string;
  cluster?: string;
}

/** `gke_PROJECT_LOCATION_CLUSTER`, the context name `gcloud container clusters get-credentials` writes. */
export function parseGkeContextName(name: string): ClusterRef | undefined {
  const m = /^gke_([a-z][-a-z0-9.:]*[a-z0-9])_([a-z]+-[a-z]+\d+(?:-[a-z])?)_([a-z](?:[-a-z0-9]*[a-z0-9])?)$/.exec(name);
  if (!m) return undefined;
  return { project: m[1] ?? '', location: m[2] ?? '', name: m[3] ?? '' };
}

/** The cluster to diagnose: flags win, else the GKE context name; all three are needed. */
export function resolveClusterRef(flags: ClusterFlags, contextName: string | undefined): ClusterRef {
  const fromContext = contextName !== undefined ? parseGkeContextName(contextName) : undefined;
  // A gke_PROJECT_LOCATION_CLUSTER context reaches that cluster's API server: a flag naming another cluster would
  // read the Kubernetes objects of one cluster and the Google facts of another (a typo, most often).
  if (fromContext !== undefined && contextName !== undefined) {
    const given = [
      ['--project', flags.project, fromContext.project],
      ['--location', flags.location, fromContext.location],
      ['--cluster', flags.cluster, fromContext.name],
    ] as const;
    for (const [flag, value, inContext] of given) {
      if (value !== undefined && value !== inContext)
        throw new UsageError(
          `${flag} ${value} contradicts the kubeconfig context \`${contextName}\` (${flag.slice(2)} ${inContext}), whose API server would be read: drop ${flag}, or choose the cluster's context with --context`,
        );
    }
  }
  const ref = {
    project: flags.project ?? fromContext?.project,
    location: flags.location ?? fromContext?.location,
    name: flags.cluster ?? fromContext?.name,
  };
  const missing = (['project', 'location', 'cluster'] as const).filter(
    (k) => ref[k === 'cluster' ? 'name' : k] === undefined,
  );
  if (missing.length > 0 || ref.project === undefined || ref.location === undefined || ref.name === undefined) {
    const context = contextName
      ? `the kubeconfig context \`${contextName}\` is not named gke_PROJECT_LOCATION_CLUSTER`
      : 'no kubeconfig context';
    throw new UsageError(`which cluster? ${context}: give ${missing.map((m) => `--${m}`).join(', ')}`);
  }
  return { project: ref.project, location: ref.location, name: ref.name };
}
