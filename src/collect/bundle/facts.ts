// The in-memory core of the bundle reader: bundle-relative paths and their parsed JSON in, Facts out.
// No filesystem here, so tests and the live collector's bundle writer can build Facts from memory.
// Every fact says where it came from and, when missing, which file (and which command) would supply it.

import { absent, factError, notCollected, present } from '../../model/facts.js';
import type {
  AncestorPolicy,
  AssetSearch,
  ClusterRef,
  E2eResult,
  Fact,
  Facts,
  LogQuery,
  ResourcePolicy,
  TokenFile,
} from '../../model/facts.js';
import type {
  CustomRole,
  GkeCluster,
  LogEntry,
  Policy,
  Project,
  ServiceAccount,
  ServiceAccountActivity,
  ServiceAccountKey,
  ServiceState,
} from '../../model/gcp.js';
import { assetPolicyOf } from '../../model/iam/asset-search.js';
import type { AssetNaming, IamPolicySearchResult } from '../../model/iam/asset-search.js';
import { K8sIndex, toK8sKind } from './k8s-index.js';
import { classifyPath, commands, paths } from './layout.js';
import type { Schema } from './schemas.js';
import {
  clusterSchema,
  customRoleSchema,
  e2eResultSchema,
  logEntrySchema,
  logQuerySchema,
  policySchema,
  probeResultSchema,
  projectSchema,
  resourcePolicySchema,
  serviceAccountActivitySchema,
  serviceAccountKeySchema,
  serviceAccountSchema,
  serviceStateSchema,
} from './schemas.js';
import { decodeTokenText } from './token.js';
import { exceedsDepth, failureOf, firstItemProblem, jsonType, problemOf, tooDeep, validatorOf } from './validate.js';

export interface BundleManifest {
  format: 'wi-doctor-bundle/1';
  cluster: ClusterRef;
  /** RFC 3339 time of collection: the checks' clock. */
  collectedAt: string;
  /** Kubernetes kinds collected across all namespaces (plural resource names). */
  k8sKinds?: string[];
  /** Files the API answered "does not exist" for. */
  absent?: string[];
  /** Files (or `k8s:KIND`) that could not be read, with the reason. */
  errors?: Record<string, string>;
  /**
   * The queries behind the `gcp/logs/` files: their filter and time window (what the logs cover), as LogQuery
   * objects. Checked by `factsFromFiles`: a malformed entry is dropped with a note, never a reason to reject the bundle.
   */
  logQueries?: unknown;
}

/** A file's parsed content, or why it could not be parsed. Tokens (`token/*.jwt`) come as `{json: rawText}`. */
export type FileEntry = { json: unknown } | { error: string };

export interface BundleInput {
  manifest: BundleManifest;
  /** Keyed by bundle-relative POSIX path, e.g. `gcp/cluster.json`, `k8s/pods.json`. */
  files: Map<string, FileEntry>;
  /** Notes from whoever read the files (invalid JSON, …), kept ahead of the core's own. */
  notes?: string[];
}

/**
 * What a file of the bundle must hold: one object of a schema, or a list of them (gcloud prints a bare array;
 * the REST API wraps it, `{"accounts": […], "nextPageToken": …}`, and omits it when empty).
 */
export interface FileSpec {
  shape: 'object' | 'array';
  schema: Schema;
  listKey?: string;
}

const SPECS = {
  cluster: { shape: 'object', schema: clusterSchema },
  project: { shape: 'object', schema: projectSchema },
  policy: { shape: 'object', schema: policySchema },
  projectServices: { shape: 'array', schema: serviceStateSchema, listKey: 'services' },
  projectServiceAccounts: { shape: 'array', schema: serviceAccountSchema, listKey: 'accounts' },
  projectClusters: { shape: 'array', schema: clusterSchema, listKey: 'clusters' },
  serviceAccount: { shape: 'object', schema: serviceAccountSchema },
  serviceAccountKeys: { shape: 'array', schema: serviceAccountKeySchema, listKey: 'keys' },
  customRole: { shape: 'object', schema: customRoleSchema },
  projectActivity: { shape: 'array', schema: serviceAccountActivitySchema, listKey: 'activities' },
} as const satisfies Record<string, FileSpec>;

/** The spec of each file role read through `fileFact`. */
export const SPEC_OF_ROLE: Partial<Record<string, FileSpec>> = {
  cluster: SPECS.cluster,
  project: SPECS.project,
  projectPolicy: SPECS.policy,
  serviceAccountPolicy: SPECS.policy,
  ancestorPolicy: SPECS.policy,
  projectServices: SPECS.projectServices,
  projectServiceAccounts: SPECS.projectServiceAccounts,
  projectClusters: SPECS.projectClusters,
  serviceAccount: SPECS.serviceAccount,
  serviceAccountKeys: SPECS.serviceAccountKeys,
  customRole: SPECS.customRole,
  projectActivity: SPECS.projectActivity,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A REST list answer: it holds the list key (or is `{}`, or only a page token: the API omits empty lists). */
function isRestList(value: Record<string, unknown>, listKey: string): boolean {
  return listKey in value || Object.keys(value).every((k) => k === 'nextPageToken');
}

/** Why a file's content does not match its spec (`accounts[2].disabled: must be boolean (found string)`). */
export function contentProblem(spec: FileSpec, json: unknown): string | undefined {
  if (spec.shape === 'object') {
    return isRecord(json) ? problemOf(spec.schema, json) : `must be object (found ${jsonType(json)})`;
  }
  if (Array.isArray(json)) return firstItemProblem(spec.schema, json);
  if (isRecord(json) && spec.listKey !== undefined && isRestList(json, spec.listKey)) {
    const list = json[spec.listKey];
    const token = json.nextPageToken;
    if (token !== undefined && typeof token !== 'string')
      return `nextPageToken: must be string (found ${jsonType(token)})`;
    if (list === undefined) return undefined;
    if (!Array.isArray(list)) return `${spec.listKey}: must be array (found ${jsonType(list)})`;
    return firstItemProblem(spec.schema, list, spec.listKey);
  }
  return `must be array (found ${jsonType(json)})`;
}

/**
 * Why an API answer cannot stand as the file `path` of a bundle (the live collector asks as answers arrive,
 * so a wrong-shaped answer becomes an error entry naming the field, never a file), or undefined. Kubernetes
 * lists are validated per object when the facts are built; resource policy files by their own schema.
 */
export function answerProblem(path: string, json: unknown): string | undefined {
  if (exceedsDepth(json)) return tooDeep();
  const role = classifyPath(path).role;
  if (role === 'resource') return problemOf(resourcePolicySchema, json);
  const spec = SPEC_OF_ROLE[role];
  return spec === undefined ? undefined : contentProblem(spec, json);
}

/**
 * A probe report with only the results that validate (the others skipped, with a note each); undefined (and a
 * note) when the file is no report at all.
 */
function cleanProbeReport(source: string, json: unknown, notes: string[]): Record<string, unknown> | undefined {
  if (!isRecord(json) || json.format !== 'wi-doctor-report/1' || !Array.isArray(json.results)) {
    notes.push(`${source}: not a wi-doctor probe report (format wi-doctor-report/1); ignored`);
    return undefined;
  }
  const results: unknown[] = [];
  for (const [i, result] of json.results.entries()) {
    const problem = problemOf(probeResultSchema, result, `results[${i}]`);
    if (problem === undefined) results.push(result);
    else notes.push(`${source}: ${problem}; that probe result is ignored`);
  }
  return { ...json, results };
}

/** Project id of a user-managed service account (`NAME@P.iam.gserviceaccount.com`). */
function projectOfEmail(email: string): string | undefined {
  return /^[^@]+@([a-z][-a-z0-9]*)\.iam\.gserviceaccount\.com$/i.exec(email)?.[1]?.toLowerCase();
}

/** Project number of a Compute default (`N-compute@developer…`) or service-agent style address. */
function projectNumberOfEmail(email: string): string | undefined {
  return /^(\d+)-compute@developer\.gserviceaccount\.com$/i.exec(email)?.[1];
}

/**
 * One answer per argument, worked out when first asked. Checks ask the same questions once per subject and check
 * (20,000 KSAs sharing 500 GSAs ask for each GSA's policy 40 times over), and an answer depends only on its
 * argument and on the bundle's files, which are not changed once the facts are built. Facts are immutable
 * values, so every asker can share one.
 */
function memoized<T>(answer: (arg: string) => T): (arg: string) => T {
  const answers = new Map<string, T>();
  return (arg) => {
    let found = answers.get(arg);
    if (found === undefined) {
      found = answer(arg);
      answers.set(arg, found);
    }
    return found;
  };
}

/**
 * The Facts of a bundle's files. The input is read when the facts are built and, for the files of Google Cloud
 * answers, when each is first asked for: change it before building facts, never after.
 */
export function factsFromFiles(input: BundleInput): Facts {
  const { manifest, files } = input;
  const notes: string[] = [...(input.notes ?? [])];
  const absentSet = new Set(manifest.absent ?? []);
  const errors = manifest.errors ?? {};

  /** Each file's validation, once: the pass below fills it for every file (and notes what fails). */
  const validated = new Map<string, { spec: FileSpec; problem: string | undefined }>();
  function problemOfFile(path: string, spec: FileSpec, json: unknown): string | undefined {
    const cached = validated.get(path);
    if (cached?.spec === spec) return cached.problem;
    const problem = contentProblem(spec, json);
    validated.set(path, { spec, problem });
    return problem;
  }

  /** A file's fact, by the bundle rules: file present, listed absent, listed error, else not collected. */
  function fileFact<T>(path: string, command: string, spec: FileSpec): Fact<T> {
    const entry = files.get(path);
    if (entry) {
      if ('error' in entry) return factError(path, entry.error);
      let value = entry.json;
      const problem = problemOfFile(path, spec, value);
      if (problem !== undefined) {
        // A whole file of the wrong shape is most likely the wrong command's output: say which one makes it.
        return factError(
          path,
          problem.startsWith('must be') ? `${problem}: expected the output of ${command}` : problem,
        );
      }
      if (spec.listKey !== undefined && isRecord(value)) {
        // One page of a paged list is not the list: it cannot prove anything absent.
        if (typeof value.nextPageToken === 'string' && value.nextPageToken !== '') {
          return factError(path, `only the first page (nextPageToken present): collect it with ${command}`);
        }
        value = value[spec.listKey] ?? [];
      }
      return present(value as T, path);
    }
    const error = errors[path];
    if (error !== undefined) return factError(path, error);
    if (absentSet.has(path)) return absent(path, `does not exist (${path} is listed as absent in bundle.json)`);
    return notCollected(path, `not collected: ${path} (${command})`);
  }

  // One pass over the paths: what kind of file each is, and the indexes built from them.
  const k8s = new K8sIndex();
  const unreadableK8s: string[] = [];
  const k8sErrors: Record<string, string> = { ...errors };
  const resourcePolicies: ResourcePolicy[] = [];
  const ancestorPolicies: AncestorPolicy[] = [];
  const logEntries: LogEntry[] = [];
  const logSources: string[] = [];
  const logErrors: string[] = [];
  /** Log files with entries left out: their queries cannot show that something did not happen. */
  const partialLogFiles = new Set<string>();
  const tokens: TokenFile[] = [];
  const probes: { source: string; report: unknown }[] = [];
  /** e2e files by `NS/KSA`. */
  const e2eFiles = new Map<string, string>();
  const projects = new Set<string>();
  const serviceAccounts = new Map<string, string>(); // lower-case email -> email as written
  const ancestorSeen = new Set<string>();
  /** Asset searches by path: named once every project and account is known (results are named through them). */
  const assetFiles: { path: string; scope: string }[] = [];

  const addAncestor = (path: string, resource: string) => {
    if (ancestorSeen.has(path)) return;
    ancestorSeen.add(path);
    const [type, id] = resource.split('/');
    const command =
      type === 'folders'
        ? `gcloud resource-manager folders get-iam-policy ${id ?? ''} --format=json`
        : `gcloud organizations get-iam-policy ${id ?? ''} --format=json`;
    ancestorPolicies.push({ resource, policy: fileFact<Policy>(path, command, SPECS.policy) });
  };

  // Paths named by the manifest (errors, absent) also tell which projects/accounts/ancestors were looked at.
  const namedPaths = new Set<string>([...files.keys(), ...Object.keys(errors), ...absentSet]);
  for (const path of [...namedPaths].sort()) {
    const role = classifyPath(path);
    const entry = files.get(path);
    const spec = SPEC_OF_ROLE[role.role];
    if (spec !== undefined && entry !== undefined && !('error' in entry)) {
      const problem = problemOfFile(path, spec, entry.json);
      if (problem !== undefined) notes.push(`${path}: ${problem}; what it holds is treated as unknown`);
    }
    // A folder under k8s/ that could not be followed (a symlink out of the bundle) may hold any kind.
    if (entry !== undefined && 'error' in entry && role.role !== 'k8s' && path.split('/')[0] === 'k8s') {
      unreadableK8s.push(`${path}: ${entry.error}`);
      continue;
    }
    switch (role.role) {
      case 'project':
      case 'projectPolicy':
      case 'projectServices':
      case 'projectServiceAccounts':
      case 'projectClusters':
      case 'projectActivity':
        if (entry || errors[path] !== undefined) projects.add(role.id);
        break;
      case 'serviceAccount':
      case 'serviceAccountPolicy':
      case 'serviceAccountKeys':
        if (entry || errors[path] !== undefined) serviceAccounts.set(role.email.toLowerCase(), role.email);
        break;
      case 'ancestorPolicy':
        addAncestor(path, role.resource);
        break;
      case 'assetSearch':
        assetFiles.push({ path, scope: role.scope });
        break;
      case 'resource': {
        // Listed as unreadable by whoever collected it: some resource's policy, unknown (see below).
        const error = errors[path];
        if (!entry && error !== undefined) {
          resourcePolicies.push({ resource: `the resource of ${path}`, policy: factError(path, error) });
        }
        break;
      }
      default:
        break;
    }
    if (!entry) continue;
    switch (role.role) {
      case 'resource': {
        // A file that cannot be read, or names no resource, still held some resource's policy: an unreadable
        // policy of an unknown resource, so that grants it may hold are unknown rather than absent.
        const json = 'error' in entry ? undefined : entry.json;
        if (!isRecord(json) || typeof json.resource !== 'string') {
          const why =
            'error' in entry
              ? entry.error
              : isRecord(json)
                ? `resource: must be string (found ${jsonType(json.resource)})`
                : `must be object (found ${jsonType(json)})`;
          if (!('error' in entry)) notes.push(`${path}: ${why}; what it holds is treated as unknown`);
          resourcePolicies.push({ resource: `the resource of ${path}`, policy: factError(path, why) });
          break;
        }
        // The resource is named, so a policy that does not validate is that resource's unknown policy.
        const problem = problemOf(resourcePolicySchema, json);
        if (problem !== undefined) notes.push(`${path}: ${problem}; what it holds is treated as unknown`);
        resourcePolicies.push({
          resource: json.resource,
          policy: problem !== undefined ? factError(path, problem) : present(json.policy as Policy, path),
        });
        break;
      }
      case 'logs': {
        if ('error' in entry) {
          logErrors.push(`${path}: ${entry.error}`);
          break;
        }
        if (!Array.isArray(entry.json)) {
          const problem = `must be array (found ${jsonType(entry.json)}): expected gcloud logging read … --format=json`;
          logErrors.push(`${path}: ${problem}`);
          notes.push(`${path}: ${problem}; what it holds is treated as unknown`);
          break;
        }
        // Entries one by one, as Kubernetes objects: one that does not validate is left out and named, and
        // the file then proves no absence (what the left-out entry recorded is unknown).
        const validate = validatorOf(logEntrySchema);
        let leftOut = 0;
        let first: string | undefined;
        for (const [i, e] of entry.json.entries()) {
          if (validate(e)) logEntries.push(e as LogEntry);
          else {
            leftOut++;
            first ??= failureOf(validate, e, `[${i}]`);
          }
        }
        logSources.push(path);
        if (first !== undefined) {
          partialLogFiles.add(path);
          notes.push(
            `${path}: ${first}; ${leftOut === 1 ? 'that entry is' : `${leftOut} entries of an unexpected shape are`} left out, and the file proves no absence`,
          );
        }
        break;
      }
      case 'k8s': {
        // Valid JSON that is no object or List is as unreadable as invalid JSON: its kind is unknown, not empty.
        // Objects that do not validate are kept by the index, per object.
        const problem = 'error' in entry ? entry.error : k8s.addFile(path, entry.json);
        if (problem !== undefined) {
          // A broken `k8s/pods.json` hides pods only; a broken file of unknown content hides any kind.
          const base = path.slice(path.lastIndexOf('/') + 1, -'.json'.length);
          const kind = toK8sKind(base);
          if (kind) k8sErrors[`k8s:${kind}`] ??= `${path}: ${problem}`;
          else unreadableK8s.push(`${path}: ${problem}`);
          // A file that could not be read was noted by the reader already: one note per problem.
          if (!('error' in entry)) notes.push(`${path}: ${problem}; what it holds is treated as unknown`);
        }
        break;
      }
      case 'token':
        if ('error' in entry) tokens.push({ source: path, error: entry.error });
        else if (typeof entry.json === 'string') tokens.push(decodeTokenText(path, entry.json));
        else tokens.push({ source: path, error: 'expected the raw token text' });
        break;
      case 'probe': {
        const report = 'error' in entry ? undefined : cleanProbeReport(path, entry.json, notes);
        if (report !== undefined) probes.push({ source: path, report });
        break;
      }
      case 'e2e':
        e2eFiles.set(role.subject, path);
        break;
      case 'unknown':
        notes.push(`ignored unknown file ${path}`);
        break;
      default:
        break;
    }
  }
  k8s.finish(manifest.k8sKinds, k8sErrors, unreadableK8s);
  notes.push(...k8s.notes);

  for (const path of Object.keys(errors)) {
    const role = classifyPath(path);
    if (role.role === 'logs' && !files.has(path)) logErrors.push(`${path}: ${errors[path] ?? ''}`);
  }

  const clusterRef = manifest.cluster;

  const projectServiceAccounts = memoized((p) =>
    fileFact<readonly ServiceAccount[]>(
      paths.projectServiceAccounts(p),
      commands.projectServiceAccounts(p),
      SPECS.projectServiceAccounts,
    ),
  );
  const project = memoized((p) => fileFact<Project>(paths.project(p), commands.project(p), SPECS.project));

  /** Projects whose service-account list might hold this email. */
  function candidateProjects(email: string): string[] {
    const byId = projectOfEmail(email);
    if (byId) return [byId];
    const number = projectNumberOfEmail(email);
    if (number) {
      for (const p of projects) {
        const f = project(p);
        if (f.status === 'present' && f.value.projectNumber === number) return [p];
      }
    }
    return [];
  }

  // Lists are searched once per lookup and there may be one lookup per KSA: index them by email once.
  const accountIndexes = new Map<string, Map<string, ServiceAccount>>();
  function accountIndex(p: string, accounts: readonly ServiceAccount[]): Map<string, ServiceAccount> {
    let index = accountIndexes.get(p);
    if (!index) {
      index = new Map();
      for (const a of accounts) if (isRecord(a) && typeof a.email === 'string') index.set(a.email.toLowerCase(), a);
      accountIndexes.set(p, index);
    }
    return index;
  }

  const serviceAccount = memoized(serviceAccountOf);
  function serviceAccountOf(email: string): Fact<ServiceAccount> {
    const describePath = paths.serviceAccount(email);
    const describe = fileFact<ServiceAccount>(describePath, commands.serviceAccount(email), SPECS.serviceAccount);
    if (describe.status === 'present' || describe.status === 'absent') return describe;
    // gcloud describes accounts as projects/-/…, where a missing account answers 403: a describe error proves
    // nothing, and the project's list decides (docs/bundle.md: missing from a collected list = known absent).
    const wanted = email.toLowerCase();
    const owners = candidateProjects(email);
    // With no owning project known, any collected list may still show the account (but cannot disprove it).
    const lists = owners.length > 0 ? owners : [...projects].sort();
    for (const p of lists) {
      const list = projectServiceAccounts(p);
      if (list.status !== 'present') continue;
      const found = accountIndex(p, list.value).get(wanted);
      if (found) return present(found, list.source);
      if (owners.includes(p)) {
        const describeNote = describe.status === 'error' ? ` (its describe answered: ${describe.message})` : '';
        return absent(list.source, `${email} is missing from ${list.source}${describeNote}`);
      }
    }
    if (describe.status === 'error') return describe;
    const listHint = owners[0] !== undefined ? ` or ${paths.projectServiceAccounts(owners[0])}` : '';
    return notCollected(describePath, `not collected: ${describePath}${listHint} (${commands.serviceAccount(email)})`);
  }

  /** An account known not to exist has no policy and no keys either. */
  function ofServiceAccount<T>(email: string, fact: Fact<T>): Fact<T> {
    if (fact.status === 'present' || fact.status === 'absent') return fact;
    const account = serviceAccount(email);
    return account.status === 'absent' ? absent(account.source, account.message) : fact;
  }

  const resourceIndex = new Map(resourcePolicies.map((r) => [r.resource, r]));
  // Naming reads every project and account file: only worth it when there are search results to name.
  const assetSearches =
    assetFiles.length === 0 ? [] : readAssetSearches(assetFiles, files, errors, namingFrom(files), notes);
  const logProject = clusterRef.project;

  let logFact: Fact<readonly LogEntry[]>;
  if (logSources.length > 0) logFact = present(logEntries, logSources.join(', '));
  else if (logErrors.length > 0) logFact = factError('gcp/logs/', logErrors.join('; '));
  else logFact = notCollected('gcp/logs/', `not collected: gcp/logs/*.json (${commands.logs(logProject)})`);

  /** The live token chain of a KSA: only `--e2e` runs it, so a missing file says so rather than naming a command. */
  function e2e(subjectKsa: string): Fact<E2eResult> {
    const [namespace = '', ksa = ''] = subjectKsa.split('/');
    const path = e2eFiles.get(subjectKsa) ?? paths.e2e(namespace, ksa);
    const entry = files.get(path);
    if (entry) {
      if ('error' in entry) return factError(path, entry.error);
      const problem = isRecord(entry.json)
        ? problemOf(e2eResultSchema, entry.json)
        : `must be object (found ${jsonType(entry.json)})`;
      return problem === undefined
        ? present(entry.json as E2eResult, path)
        : factError(
            path,
            `${problem}: expected {"subject", "steps": [{"step", "ok", "ms"}, …], "at"} (written by --e2e)`,
          );
    }
    const error = errors[path];
    if (error !== undefined) return factError(path, error);
    return notCollected(path, 'run with --e2e (live only)');
  }

  return {
    now: new Date(manifest.collectedAt),
    clusterRef,
    cluster: fileFact<GkeCluster>(paths.cluster, commands.cluster(clusterRef), SPECS.cluster),
    project,
    projectPolicy: memoized((p) => fileFact<Policy>(paths.projectPolicy(p), commands.projectPolicy(p), SPECS.policy)),
    projectServices: memoized((p) =>
      fileFact<readonly ServiceState[]>(paths.projectServices(p), commands.projectServices(p), SPECS.projectServices),
    ),
    projectServiceAccounts,
    projectClusters: memoized((p) =>
      fileFact<readonly GkeCluster[]>(paths.projectClusters(p), commands.projectClusters(p), SPECS.projectClusters),
    ),
    serviceAccount,
    serviceAccountPolicy: memoized((email) =>
      ofServiceAccount(
        email,
        fileFact<Policy>(paths.serviceAccountPolicy(email), commands.serviceAccountPolicy(email), SPECS.policy),
      ),
    ),
    serviceAccountKeys: memoized((email) =>
      ofServiceAccount(
        email,
        fileFact<readonly ServiceAccountKey[]>(
          paths.serviceAccountKeys(email),
          commands.serviceAccountKeys(email),
          SPECS.serviceAccountKeys,
        ),
      ),
    ),
    customRole: memoized((name) =>
      fileFact<CustomRole>(paths.customRole(name), commands.customRole(name), SPECS.customRole),
    ),
    resourcePolicy: memoized((resource) => {
      const found = resourceIndex.get(resource);
      if (found) return found.policy;
      // Read live and refused or not found: the file the collector would have written names the resource.
      const read = paths.resource(resource);
      // Not found is said as such, but as an unreadable policy: a grant on it cannot be judged (and no fix may
      // grant a role on what does not exist).
      if (absentSet.has(read)) return factError(read, `${resource} does not exist (404 when its policy was read)`);
      const error = errors[read];
      if (error !== undefined) return factError(read, error);
      return notCollected(
        'gcp/resources/',
        `not collected: gcp/resources/ANY.json with {"resource": "${resource}", "policy": …} (${commands.resourcePolicy(resource)})`,
      );
    }),
    ancestorPolicies,
    resourcePolicies,
    assetSearches,
    knownProjects: [...projects].sort(),
    knownServiceAccounts: [...serviceAccounts.values()].sort(),
    logEntries: logFact,
    logQueries: validLogQueries(manifest.logQueries, partialLogFiles, notes),
    serviceAccountActivity: memoized((p) =>
      fileFact<readonly ServiceAccountActivity[]>(
        paths.projectActivity(p),
        commands.projectActivity(p),
        SPECS.projectActivity,
      ),
    ),
    k8s,
    tokens,
    e2e: memoized(e2e),
    probes,
    notes,
  };
}

/** Project number → id from the project describes, unique id → email from account describes and lists. */
function namingFrom(files: ReadonlyMap<string, FileEntry>): AssetNaming {
  const projectIds = new Map<string, string>();
  const emails = new Map<string, string>();
  const addAccount = (a: unknown): void => {
    if (isRecord(a) && typeof a.uniqueId === 'string' && typeof a.email === 'string') emails.set(a.uniqueId, a.email);
  };
  for (const [path, entry] of files) {
    if (!('json' in entry)) continue;
    const role = classifyPath(path);
    const json = entry.json;
    if (role.role === 'project' && isRecord(json) && typeof json.projectNumber === 'string') {
      projectIds.set(json.projectNumber, role.id);
    } else if (role.role === 'serviceAccount') addAccount(json);
    else if (role.role === 'projectServiceAccounts') {
      const list = Array.isArray(json) ? json : isRecord(json) && Array.isArray(json.accounts) ? json.accounts : [];
      for (const a of list as unknown[]) addAccount(a);
    }
  }
  return { projectIdOfNumber: (n) => projectIds.get(n), emailOfUniqueId: (id) => emails.get(id) };
}

/**
 * `gcp/asset-search/SCOPE.json`: `{scope, query, pages, results}` as `collect` writes it, or the bare array
 * `gcloud asset search-all-iam-policies --format=json` prints (its query unknown, so it covers nothing).
 */
function readAssetSearches(
  found: readonly { path: string; scope: string }[],
  files: ReadonlyMap<string, FileEntry>,
  errors: Record<string, string>,
  naming: AssetNaming,
  notes: string[],
): AssetSearch[] {
  const out: AssetSearch[] = [];
  for (const { path, scope } of found) {
    const entry = files.get(path);
    const error = entry === undefined ? errors[path] : 'error' in entry ? entry.error : undefined;
    if (entry === undefined || 'error' in entry) {
      if (error !== undefined) out.push({ scope, query: '', pages: 0, results: factError(path, error) });
      continue;
    }
    const json = entry.json;
    const wrapped = isRecord(json) ? json : undefined;
    const list: unknown = wrapped !== undefined ? wrapped.results : json;
    if (!Array.isArray(list) || list.some((r) => !isRecord(r) || typeof r.resource !== 'string')) {
      notes.push(
        `${path}: expected {"scope", "query", "results": [{"resource", "policy"}, …]} or the array gcloud asset search-all-iam-policies prints`,
      );
      out.push({ scope, query: '', pages: 0, results: factError(path, 'not a Cloud Asset Inventory search result') });
      continue;
    }
    const results = (list as IamPolicySearchResult[]).flatMap((r) => {
      const problem = isRecord(r.policy) ? problemOf(policySchema, r.policy, 'policy') : undefined;
      if (problem !== undefined) {
        notes.push(`${path}: the result for ${r.resource} is ignored: not an IAM policy: ${problem}`);
        return [];
      }
      return [assetPolicyOf(r, naming)];
    });
    out.push({
      scope: typeof wrapped?.scope === 'string' ? wrapped.scope : scope,
      query: typeof wrapped?.query === 'string' ? wrapped.query : '',
      pages: typeof wrapped?.pages === 'number' ? wrapped.pages : 0,
      results: present(results, path),
    });
  }
  return out;
}

/** The well-formed `logQueries` of bundle.json; a malformed one is dropped with a note (its file then proves no absence). */
function validLogQueries(raw: unknown, partialFiles: ReadonlySet<string>, notes: string[]): LogQuery[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    notes.push(
      `bundle.json: logQueries: must be array (found ${jsonType(raw)}); the log files are read without their time windows`,
    );
    return [];
  }
  const out: LogQuery[] = [];
  for (const [i, q] of raw.entries()) {
    const problem = problemOf(logQuerySchema, q, `logQueries[${i}]`);
    if (problem === undefined) {
      const query = q as LogQuery;
      // A file that lost entries at validation no longer holds all its query matched.
      if (!partialFiles.has(query.file)) out.push(query);
      else notes.push(`bundle.json: logQueries[${i}]: ${query.file} lost entries when read; the query is ignored`);
    } else notes.push(`bundle.json: ${problem}; that query is ignored (its log file proves no absence)`);
  }
  return out;
}
