// Many clusters in one run (`--clusters projects/P|ALL_CONTEXTS|FILE`): which clusters, how to reach each one's
// Kubernetes API, and one collector per cluster under one budget. Every collector shares one CallRunner (the
// `--concurrency` budget counts calls in flight across all clusters) and one cache of Google reads (a GSA, project
// or asset search read for one cluster is not read again for another). At most `clusterConcurrency` clusters are
// collected at once, and each cluster's input is handed over as soon as it is complete, so memory holds a few
// clusters, never the fleet.

import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../../engine/errors.js';
import type { ClusterRef } from '../../model/facts.js';
import { clusterResourceName } from '../../model/facts.js';
import type { BundleInput } from '../bundle/facts.js';
import { paths } from '../bundle/layout.js';
import type { CallOutcome, CallRunner } from './calls.js';
import type { CollectRequest } from './collect.js';
import { collectLive, kindsFor } from './collect.js';
import type { GoogleCredentials } from './credentials.js';
import { loadKubeConfig, parseGkeContextName } from './credentials.js';
import type { GoogleApi } from './google.js';
import { KubeApi } from './kube.js';

/** One cluster of the fleet: how it was named, and either how to reach it or why it cannot be. */
export interface FleetCluster {
  /** As the user will read it: the kubeconfig context name, or `gke_PROJECT_LOCATION_CLUSTER`. */
  label: string;
  ref?: ClusterRef;
  /** A kubeconfig context to use (else the API is reached through the cluster's endpoint). */
  context?: string;
  /** The cluster as `clusters.list` returned it: no `clusters.get` needed. */
  listed?: unknown;
  /** Why this cluster cannot be collected: it is reported unknown and the run goes on. */
  error?: string;
}

export type ClustersSpec =
  | { kind: 'project'; project: string }
  | { kind: 'scope'; scope: string }
  | { kind: 'contexts' }
  | { kind: 'file'; path: string };

const PROJECT_SPEC = /^projects\/([a-z][-a-z0-9.:]*[a-z0-9])$/;
const CLUSTER_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)$/;
const WIDE_SCOPE = /^(?:organizations|folders)\/\d+$/;
/** A cluster's Cloud Asset Inventory name (zonal clusters may be named with `zones/`). */
const ASSET_CLUSTER =
  /^\/\/container\.googleapis\.com\/projects\/([^/]+)\/(?:locations|zones)\/([^/]+)\/clusters\/([^/]+)$/;

export function parseClustersFlag(value: string): ClustersSpec {
  if (value === 'ALL_CONTEXTS') return { kind: 'contexts' };
  const project = PROJECT_SPEC.exec(value)?.[1];
  if (project !== undefined) return { kind: 'project', project };
  if (WIDE_SCOPE.test(value)) return { kind: 'scope', scope: value };
  if (value.trim() === '') {
    throw new UsageError('--clusters: expected projects/PROJECT, organizations/N, folders/N, ALL_CONTEXTS or a file');
  }
  return { kind: 'file', path: value };
}

/** The context name `gcloud container clusters get-credentials` writes for a cluster: its label in a fleet. */
export const labelOf = (ref: ClusterRef): string => `gke_${ref.project}_${ref.location}_${ref.name}`;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface ResolveArgs {
  spec: ClustersSpec;
  google: GoogleApi;
  /** Kubeconfig flags; a missing kubeconfig is fine for `projects/P` (endpoints come from GKE). */
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
}

/** The kubeconfig's contexts, or none when there is no kubeconfig (only `projects/P` works without one). */
function contexts(kubeconfig: string | undefined, env: NodeJS.ProcessEnv, required: boolean): string[] {
  try {
    const kc = loadKubeConfig({ ...(kubeconfig !== undefined ? { kubeconfig } : {}) }, env);
    return kc.getContexts().map((c) => c.name);
  } catch (e) {
    if (required) throw e;
    return [];
  }
}

/** Every cluster the spec names, in its order; a name that cannot be resolved becomes an entry with `error`. */
export async function resolveFleet(args: ResolveArgs): Promise<FleetCluster[]> {
  const { spec, google, env } = args;
  if (spec.kind === 'contexts') {
    const names = contexts(args.kubeconfig, env, true);
    if (names.length === 0) throw new UsageError('--clusters ALL_CONTEXTS: the kubeconfig has no contexts');
    return names.map((name) => byContext(name));
  }
  const known = new Set(contexts(args.kubeconfig, env, false));
  if (spec.kind === 'project') return listProject(google, spec.project, known);
  if (spec.kind === 'scope') return searchScope(google, spec.scope, known);
  let text: string;
  try {
    text = readFileSync(spec.path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `--clusters ${spec.path}: not projects/PROJECT or ALL_CONTEXTS, and not a readable file (${(e as Error).message})`,
    );
  }
  const out: FleetCluster[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const project = PROJECT_SPEC.exec(line)?.[1];
    const m = CLUSTER_NAME.exec(line);
    if (project !== undefined) out.push(...(await listProject(google, project, known)));
    else if (WIDE_SCOPE.test(line)) out.push(...(await searchScope(google, line, known)));
    else if (m) {
      const ref = { project: m[1] ?? '', location: m[2] ?? '', name: m[3] ?? '' };
      out.push({ label: labelOf(ref), ref, ...(known.has(labelOf(ref)) ? { context: labelOf(ref) } : {}) });
    } else if (known.has(line)) out.push(byContext(line));
    else {
      throw new UsageError(
        `--clusters ${spec.path}:${i + 1}: ${JSON.stringify(line)} is no kubeconfig context, projects/PROJECT, organizations/N, folders/N or projects/P/locations/L/clusters/C`,
      );
    }
  }
  if (out.length === 0) throw new UsageError(`--clusters ${spec.path}: names no cluster`);
  const seen = new Set<string>();
  return out.filter((c) => !seen.has(c.label) && seen.add(c.label));
}

function byContext(name: string): FleetCluster {
  const ref = parseGkeContextName(name);
  return ref !== undefined
    ? { label: name, ref, context: name }
    : { label: name, context: name, error: `the context \`${name}\` is not named gke_PROJECT_LOCATION_CLUSTER` };
}

/** Every GKE cluster in an organization or folder: one paged Cloud Asset Inventory search, not a list per project. */
async function searchScope(google: GoogleApi, scope: string, known: ReadonlySet<string>): Promise<FleetCluster[]> {
  const found = await google.searchAllResources(scope, ['container.googleapis.com/Cluster']);
  if (!found.ok) {
    return [{ label: scope, error: `the clusters of ${scope} could not be searched: ${found.message}` }];
  }
  return found.value.results.flatMap((r): FleetCluster[] => {
    const m = isRecord(r) && typeof r.name === 'string' ? ASSET_CLUSTER.exec(r.name) : null;
    if (!m) return [];
    const ref = { project: m[1] ?? '', location: m[2] ?? '', name: m[3] ?? '' };
    return [{ label: labelOf(ref), ref, ...(known.has(labelOf(ref)) ? { context: labelOf(ref) } : {}) }];
  });
}

async function listProject(google: GoogleApi, project: string, known: ReadonlySet<string>): Promise<FleetCluster[]> {
  const listed = await google.clusters(project);
  if (!listed.ok) {
    return [
      {
        label: `projects/${project}`,
        error: `the clusters of project ${project} could not be listed: ${listed.message}`,
      },
    ];
  }
  return listed.value.flatMap((c): FleetCluster[] => {
    if (!isRecord(c) || typeof c.name !== 'string' || typeof c.location !== 'string') return [];
    const ref = { project, location: c.location, name: c.name };
    return [{ label: labelOf(ref), ref, listed: c, ...(known.has(labelOf(ref)) ? { context: labelOf(ref) } : {}) }];
  });
}

/**
 * A KubeConfig for a cluster: its kubeconfig context when there is one, else the GKE endpoint with the cluster's
 * CA and a Google access token (what gke-gcloud-auth-plugin hands kubectl).
 */
export async function kubeConfigFor(
  cluster: FleetCluster,
  describe: unknown,
  credentials: GoogleCredentials,
  kubeconfig: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<KubeConfig> {
  if (cluster.context !== undefined) {
    return loadKubeConfig({ context: cluster.context, ...(kubeconfig !== undefined ? { kubeconfig } : {}) }, env);
  }
  const endpoint = isRecord(describe) && typeof describe.endpoint === 'string' ? describe.endpoint : '';
  const auth = isRecord(describe) && isRecord(describe.masterAuth) ? describe.masterAuth : {};
  const ca = typeof auth.clusterCaCertificate === 'string' ? auth.clusterCaCertificate : undefined;
  if (endpoint === '') throw new Error('the cluster has no endpoint (is it still being created?)');
  const token = await accessToken(credentials);
  const name = cluster.label;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name, server: `https://${endpoint}`, skipTLSVerify: false, ...(ca !== undefined ? { caData: ca } : {}) },
    ],
    users: [{ name, token }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return kc;
}

async function accessToken(credentials: GoogleCredentials): Promise<string> {
  const got: unknown = await credentials.client.getAccessToken();
  const token = typeof got === 'string' ? got : isRecord(got) && typeof got.token === 'string' ? got.token : undefined;
  if (token === undefined || token === '') throw new Error('no Google access token for the cluster endpoint');
  return token;
}

export interface FleetSources {
  google: GoogleApi;
  runner: CallRunner;
  credentials: GoogleCredentials;
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
}

/**
 * One cluster's collection: its bundle input (for a cluster that could not be reached, one whose Kubernetes
 * kinds and, when it failed, cluster describe are errors: every subject and check of it is then unknown), or, for
 * a name that is no cluster at all, why.
 */
export type FleetCollection =
  | { cluster: FleetCluster; ok: true; input: BundleInput; gsas: string[]; unreachable?: string }
  | { cluster: FleetCluster; ok: false; error: string };

/** What a cluster that cannot be reached gives: every kind it would have listed is an error naming why. */
function unreachableInput(ref: ClusterRef, request: CollectRequest, message: string, now: Date): BundleInput {
  const errors: Record<string, string> = { [paths.cluster]: message };
  for (const kind of kindsFor(request)) errors[`k8s:${kind}`] = message;
  return {
    manifest: { format: 'wi-doctor-bundle/1', cluster: ref, collectedAt: now.toISOString(), k8sKinds: [], errors },
    files: new Map(),
    notes: [`the cluster ${labelOf(ref)} could not be reached: ${message}`],
  };
}

/** Collect one cluster with the shared Google API and runner. Never throws: a failure is the cluster's result. */
export async function collectCluster(
  cluster: FleetCluster,
  sources: FleetSources,
  request: CollectRequest,
): Promise<FleetCollection> {
  const ref = cluster.ref;
  if (cluster.error !== undefined || ref === undefined) {
    return { cluster, ok: false, error: cluster.error ?? 'the cluster is not known' };
  }
  const now = (sources.now ?? (() => new Date()))();
  const unreachable = (message: string): FleetCollection => ({
    cluster,
    ok: true,
    input: unreachableInput(ref, request, message, now),
    gsas: [],
    unreachable: message,
  });
  try {
    if (cluster.listed !== undefined) {
      sources.google.prime('container', 'GET', `v1/${clusterResourceName(ref)}`, cluster.listed);
    }
    let describe: unknown;
    if (cluster.context === undefined) {
      const outcome: CallOutcome<unknown> = await sources.google.cluster(ref);
      if (!outcome.ok) return unreachable(`the cluster could not be described: ${outcome.message}`);
      describe = outcome.value;
    }
    let kc: KubeConfig;
    try {
      kc = await kubeConfigFor(cluster, describe, sources.credentials, sources.kubeconfig, sources.env);
    } catch (e) {
      return unreachable(`no way to its Kubernetes API: ${e instanceof Error ? e.message : String(e)}`);
    }
    const result = await collectLive(
      {
        cluster: ref,
        google: sources.google,
        kube: new KubeApi(kc, sources.runner),
        stats: sources.runner.stats,
        ...(sources.now !== undefined ? { now: sources.now } : {}),
      },
      request,
    );
    return { cluster, ok: true, input: result.input, gsas: result.serviceAccounts };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { cluster, ok: false, error: message };
  }
}

/**
 * Collect every cluster, at most `clusterConcurrency` at once, handing each result to `onCluster` as soon as it
 * is complete (in completion order); the run goes on whatever one cluster does.
 */
export async function collectFleet(
  clusters: readonly FleetCluster[],
  sources: FleetSources,
  request: CollectRequest,
  clusterConcurrency: number,
  onCluster: (result: FleetCollection) => Promise<void> | void,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < clusters.length) {
      const cluster = clusters[next++];
      if (cluster === undefined) return;
      await onCluster(await collectCluster(cluster, sources, request));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(clusterConcurrency, clusters.length)) }, worker));
}
