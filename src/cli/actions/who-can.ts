// `wi-doctor who-can --gsa EMAIL [--clusters …|--context …]` and `who-can --ksa NS/KSA [--context …]`: collect
// the facts (the account's policy chain, the clusters' KSAs, one Cloud Asset Inventory search per scope), then
// answer from them with the same evaluation `check` uses (src/engine/who-can.ts).

import { CHECKS } from '../../checks/index.js';
import { readBundle } from '../../collect/bundle/read.js';
import { factsFromFiles } from '../../collect/bundle/facts.js';
import type { BundleInput } from '../../collect/bundle/facts.js';
import { paths } from '../../collect/bundle/layout.js';
import { autoScope, fleetSearch, memberSearch, parseScopeFlag } from '../../collect/live/asset.js';
import { CallRunner } from '../../collect/live/calls.js';
import type { AssetSearchRequest } from '../../collect/live/collect.js';
import { googleCredentials, loadKubeConfig, resolveClusterRef } from '../../collect/live/credentials.js';
import { parseEndpointFlags, resolveEndpoints } from '../../collect/live/endpoints.js';
import type { FleetCluster, FleetCollection } from '../../collect/live/fleet.js';
import { collectCluster, collectFleet, labelOf, parseClustersFlag, resolveFleet } from '../../collect/live/fleet.js';
import { GoogleApi } from '../../collect/live/google.js';
import type { LiveOptions } from '../../collect/live/live.js';
import { requiredFacts } from '../../collect/live/live.js';
import { collectServiceAccountChain, projectOfEmail } from '../../collect/live/who-can.js';
import { UsageError } from '../../engine/errors.js';
import { resolveSubjects } from '../../engine/subjects.js';
import type { Subject } from '../../engine/subject.js';
import { whoCanGsa, whoCanKsa } from '../../engine/who-can.js';
import type { Facts } from '../../model/facts.js';
import { createRoleResolver } from '../../model/iam/roles.js';
import { isServiceAccountEmail } from '../../model/identifiers.js';
import { renderWhoCanGsaText, renderWhoCanJson, renderWhoCanKsaText } from '../../report/who-can.js';
import type { Io } from '../output.js';
import { emit, warn } from '../output.js';
import { liveHooks } from './collect.js';

export interface WhoCanOptions extends LiveOptions {
  /** An evidence bundle to answer from instead of the live APIs. */
  from?: string;
  gsa?: string;
  ksa?: string;
  clusters?: string;
  scope?: string;
  format: 'text' | 'json';
  output?: string;
}

function setup(options: WhoCanOptions, io: Io) {
  const hooks = liveHooks(io, options);
  const endpoints = resolveEndpoints(parseEndpointFlags(options.endpoint), io.env);
  const credentials = googleCredentials(options, io.env);
  const runner = new CallRunner({
    concurrency: options.concurrency ?? 8,
    timeoutMs: (options.timeout ?? 20) * 1000,
    ...(hooks.onTrace ? { onTrace: hooks.onTrace } : {}),
    onSettled: (done, started) => hooks.onProgress?.({ phase: 'who-can', done, started }),
  });
  const google = new GoogleApi(credentials, endpoints, runner, new Map());
  return { hooks, credentials, runner, google };
}

async function searchesFor(
  options: WhoCanOptions,
  google: GoogleApi,
  project: string | undefined,
  notes: string[],
): Promise<string | undefined> {
  const flag = parseScopeFlag(options.scope, 'auto');
  if (flag.kind === 'none') return undefined;
  if (flag.kind === 'scope') return flag.scope;
  if (project === undefined) {
    notes.push('no project to start from: Cloud Asset Inventory was not searched (give --scope)');
    return undefined;
  }
  const found = await autoScope(google, project);
  if (found.note !== undefined) notes.push(found.note);
  return found.scope;
}

export async function runWhoCanCommand(options: WhoCanOptions, io: Io): Promise<number> {
  if ((options.gsa === undefined) === (options.ksa === undefined)) {
    throw new UsageError('who-can needs exactly one of --gsa EMAIL or --ksa NS/KSA');
  }
  if (options.gsa !== undefined && !isServiceAccountEmail(options.gsa)) {
    throw new UsageError(
      `--gsa ${JSON.stringify(options.gsa)}: not a service-account email (NAME@PROJECT.iam.gserviceaccount.com)`,
    );
  }
  if (
    options.ksa !== undefined &&
    !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(options.ksa)
  ) {
    throw new UsageError(`--ksa ${JSON.stringify(options.ksa)}: expected NAMESPACE/NAME`);
  }
  if (options.ksa !== undefined && options.clusters !== undefined) {
    throw new UsageError('--clusters goes with --gsa; a KSA lives in one cluster: give --context');
  }
  if (options.from !== undefined) return answerFromBundle(options, options.from, io);
  // Usage errors before any call.
  parseScopeFlag(options.scope, 'auto');
  const spec = options.clusters !== undefined ? parseClustersFlag(options.clusters) : undefined;
  const { hooks, credentials, runner, google } = setup(options, io);
  const notes: string[] = [];
  try {
    const text =
      options.gsa !== undefined
        ? await gsaAnswer(options, options.gsa, io, { credentials, runner, google }, spec, notes)
        : await ksaAnswer(options, options.ksa ?? '', io, { credentials, runner, google }, notes);
    hooks.finish();
    for (const note of notes) warn(io, note);
    emit(io, text, options.output);
  } finally {
    hooks.finish();
  }
  return 0;
}

/**
 * The same answers from an evidence bundle: its one cluster's KSAs, and the policies and Cloud Asset Inventory
 * searches it holds (`collect --audit` reads what who-can reads). Nothing is called.
 */
async function answerFromBundle(options: WhoCanOptions, from: string, io: Io): Promise<number> {
  // A flag that says where or how to read live would be ignored: refused, so that nobody believes it was used.
  for (const [flag, given] of [
    ['--clusters', options.clusters],
    ['--scope', options.scope],
    ['--context', options.context],
    ['--kubeconfig', options.kubeconfig],
    ['--cluster', options.cluster],
    ['--project', options.project],
    ['--location', options.location],
    ['--access-token-file', options.accessTokenFile],
    ['--billing-project', options.billingProject],
    ['--endpoint', options.endpoint],
  ] as const) {
    if (given !== undefined)
      throw new UsageError(`${flag} reads live APIs; with --from the bundle is all that is read`);
  }
  const { facts, notes } = await readBundle(from);
  for (const note of notes) warn(io, note);
  const roles = createRoleResolver(facts);
  let text: string;
  if (options.gsa !== undefined) {
    // As live: a cluster whose KSAs cannot be read is named in a note, and the grants are answered without them.
    const label = labelOf(facts.clusterRef);
    const clusters: { label: string; facts: Facts; subjects: readonly Subject[] }[] = [];
    try {
      clusters.push({ label, facts, subjects: resolveSubjects(facts, { all: true }) });
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      warn(io, `${label}: its KSAs are unknown: ${e.message}`);
    }
    const answer = whoCanGsa(facts, roles, options.gsa, clusters);
    if (answer.exists === 'no') {
      throw new UsageError(`--gsa ${options.gsa}: no such service account in ${from} (it was read as not found)`);
    }
    text = options.format === 'json' ? renderWhoCanJson(answer) : renderWhoCanGsaText(answer, clusters.length, 1);
  } else {
    const ksa = options.ksa ?? '';
    const [subject] = resolveSubjects(facts, { ksa: [ksa] });
    if (subject === undefined || subject.ksa.status === 'absent') {
      throw new UsageError(`--ksa ${ksa}: no such KSA in ${from}`);
    }
    const email = subject.gsaEmail;
    // Live, who-can --ksa also searches the scope for every binding naming the GSA; a bundle may hold no such search.
    if (email !== undefined && !facts.assetSearches.some((search) => search.query.includes(`"${email}"`))) {
      warn(
        io,
        `${from} holds no Cloud Asset Inventory search for ${email}: what it reaches was looked for only in the policies the bundle holds`,
      );
    }
    const answer = whoCanKsa(facts, roles, subject);
    text = options.format === 'json' ? renderWhoCanJson(answer) : renderWhoCanKsaText(answer);
  }
  emit(io, text, options.output);
  return 0;
}

interface Shared {
  credentials: ReturnType<typeof googleCredentials>;
  runner: CallRunner;
  google: GoogleApi;
}

/** The cluster of `--context` (or the current context), as a one-cluster fleet entry. */
function singleCluster(options: WhoCanOptions, env: NodeJS.ProcessEnv): FleetCluster {
  const kc = loadKubeConfig(
    {
      ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
      ...(options.context !== undefined ? { context: options.context } : {}),
    },
    env,
  );
  const context = kc.getCurrentContext();
  const ref = resolveClusterRef(options, context || undefined);
  return { label: context || labelOf(ref), ref, context };
}

async function gsaAnswer(
  options: WhoCanOptions,
  email: string,
  io: Io,
  shared: Shared,
  spec: ReturnType<typeof parseClustersFlag> | undefined,
  notes: string[],
): Promise<string> {
  const { google } = shared;
  const scope = await searchesFor(options, google, projectOfEmail(email), notes);
  const searches: AssetSearchRequest[] = scope !== undefined ? [fleetSearch(scope)] : [];
  const chainRead = collectServiceAccountChain(google, email, searches, new Date());
  let clusters: FleetCluster[] = [];
  if (spec !== undefined) {
    clusters = await resolveFleet({
      spec,
      google,
      ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
      env: io.env,
    });
  } else if (options.context !== undefined || options.cluster !== undefined) {
    clusters = [singleCluster(options, io.env)];
  }
  const read: { label: string; facts: Facts; subjects: readonly Subject[] }[] = [];
  await collectFleet(
    clusters,
    { ...shared, ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}), env: io.env },
    {
      requires: ['cluster', 'project', 'k8s:serviceaccounts'],
      targets: { all: true },
      options: {},
      assetSearches: searches,
    },
    4,
    (result: FleetCollection) => {
      if (!result.ok || result.unreachable !== undefined) {
        notes.push(`${result.cluster.label}: not read: ${result.ok ? (result.unreachable ?? '') : result.error}`);
        return;
      }
      const facts = factsFromFiles(result.input);
      try {
        read.push({ label: result.cluster.label, facts, subjects: resolveSubjects(facts, { all: true }) });
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        notes.push(`${result.cluster.label}: its KSAs are unknown: ${e.message}`);
      }
    },
  );
  const { input, searchFailed } = await chainRead;
  if (searchFailed) {
    notes.push(
      `the Cloud Asset Inventory search failed: fell back to the policies read one by one (the account's, ${projectOfEmail(email) ?? 'its project'}'s, the folders' and organization's above)`,
    );
  }
  const facts = factsFromFiles(input);
  const answer = whoCanGsa(facts, createRoleResolver(facts), email, read);
  // An unknown target is a usage error (exit 2), as for check --ksa: nobody can mint tokens of no account.
  if (answer.exists === 'no') {
    const annotated = answer.ksas.filter((k) => k.annotated).map((k) => `${k.cluster} ${k.ksa}`);
    throw new UsageError(
      `--gsa ${email}: no such service account (IAM answered 404 for it)${annotated.length > 0 ? `; annotated with it anyway: ${annotated.join(', ')}` : ''}`,
    );
  }
  return options.format === 'json'
    ? renderWhoCanJson(answer)
    : renderWhoCanGsaText(answer, read.length, clusters.length);
}

async function ksaAnswer(
  options: WhoCanOptions,
  ksa: string,
  io: Io,
  shared: Shared,
  notes: string[],
): Promise<string> {
  const { google } = shared;
  const cluster = singleCluster(options, io.env);
  const scope = await searchesFor(options, google, cluster.ref?.project, notes);
  const searches: AssetSearchRequest[] = scope !== undefined ? [fleetSearch(scope)] : [];
  const result = await collectCluster(
    cluster,
    { ...shared, ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}), env: io.env },
    {
      requires: requiredFacts(CHECKS),
      targets: { ksa: [ksa] },
      options: {},
      assetSearches: searches,
    },
  );
  if (!result.ok) throw new UsageError(`${cluster.label}: ${result.error}`);
  if (result.unreachable !== undefined) throw new UsageError(`${cluster.label}: ${result.unreachable}`);
  const input: BundleInput = result.input;
  let facts = factsFromFiles(input);
  const [subject] = resolveSubjects(facts, { ksa: [ksa] });
  if (subject === undefined) throw new UsageError(`--ksa ${ksa}: not found`);
  if (subject.ksa.status === 'absent') throw new UsageError(`--ksa ${ksa}: no such KSA in ${cluster.label}`);
  // What the GSA reaches anywhere in the scope: every binding naming it.
  if (subject.gsaEmail !== undefined && scope !== undefined) {
    const search = memberSearch(scope, subject.gsaEmail);
    const path = paths.assetSearch(search.scope, search.label);
    const o = await google.searchAllIamPolicies(search.scope, search.query);
    if (o.ok) input.files.set(path, { json: { scope: search.scope, query: search.query, ...o.value } });
    else {
      input.manifest.errors = { ...input.manifest.errors, [path]: o.message };
      notes.push(
        `the Cloud Asset Inventory search for ${subject.gsaEmail} failed (${o.message}): its grants were looked for only in the policies read one by one`,
      );
    }
    facts = factsFromFiles(input);
  }
  const [again] = resolveSubjects(facts, { ksa: [ksa] });
  const answer = whoCanKsa(facts, createRoleResolver(facts), again ?? subject);
  return options.format === 'json' ? renderWhoCanJson(answer) : renderWhoCanKsaText(answer);
}
