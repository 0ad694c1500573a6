// The sandbox's world in memory: projects, service accounts, policies, clusters with their Kubernetes
// objects, callers and tokens, audit log. Built from a scenario; the API handlers read and change it.

import { createHash } from 'node:crypto';
import type { CustomRole, Policy, ServiceAccountKey } from '../model/gcp.js';
import type { KObject, Node, Pod, ServiceAccountObject } from '../model/k8s/types.js';
import { WI_ANNOTATION } from '../model/k8s/types.js';
import { AuditLog } from './audit.js';
import { Faults } from './faults.js';
import { KeyMaterial } from './key-files.js';
import { predefinedRoles } from './iam/catalog.js';
import { checkPermission, type Decision, type ResourceLevel } from './iam/engine.js';
import { PolicyStore } from './iam/policy-store.js';
import { matchingMembers, normalizeMember, type Principal } from './iam/principal.js';
import { createWorkload, syncMetadataServerPods } from './kube/controllers.js';
import {
  ensureNamespace,
  newNodeName,
  nodeObject,
  createPod,
  placement,
  serviceAccountObject,
  systemObjects,
  templateFor,
  type ClusterKube,
} from './kube/objects.js';
import { Timers } from './kube/timers.js';
import { kubeTime, recordWrite } from './kube/managed-fields.js';
import { KubeStore } from './kube/store.js';
import { Prng } from './prng.js';
import type {
  CallerSpec,
  ClusterSpec,
  KsaSpec,
  MetadataServerHealth,
  PolicySpec,
  PoolMode,
  Scenario,
} from './scenario/types.js';
import { CLOUD_PLATFORM, pooledSigningKey, TokenRegistry, type SigningKey } from './tokens.js';

export const DEFAULT_SERVICES = [
  'container.googleapis.com',
  'compute.googleapis.com',
  'iam.googleapis.com',
  'iamcredentials.googleapis.com',
  'sts.googleapis.com',
  'cloudresourcemanager.googleapis.com',
  'serviceusage.googleapis.com',
  'logging.googleapis.com',
  'storage.googleapis.com',
];

/** Scenario KSAs are created (and annotated) at this time unless they say otherwise: before the pods start. */
export const SCENARIO_KSA_CREATED = '2025-01-15T10:30:00Z';
/** Scenario pods started at this time unless they say otherwise (pods created later start when created). */
export const SCENARIO_POD_START = '2025-01-15T11:00:00Z';

export const DEFAULT_CALLER: CallerSpec = {
  token: 'sandbox-admin-token',
  identity: 'user:admin@example.com',
  owner: true,
};

export interface ProjectState {
  id: string;
  number: string;
  /** `folders/N` or `organizations/N`. */
  parent?: string;
  services: Set<string>;
  customRoles: Map<string, CustomRole & { permissions: Set<string> }>;
}

export interface GsaState {
  email: string;
  projectId: string;
  uniqueId: string;
  displayName?: string;
  description?: string;
  disabled: boolean;
  deleted: boolean;
  keys: ServiceAccountKey[];
  /** When tokens were issued for the account (ms, ascending, one per day at most): Policy Analyzer's source. */
  authentications?: number[];
}

export interface NodePoolState {
  name: string;
  mode: PoolMode;
  serviceAccount: string;
}

export interface ClusterState extends ClusterKube {
  workloadPool?: string;
  datapath: 'ADVANCED_DATAPATH' | 'LEGACY_DATAPATH';
  networkPolicyEnabled: boolean;
  nodePools: NodePoolState[];
  key: Promise<SigningKey>;
  /** Stable cluster id (the `id` field of the GKE resource). */
  id: string;
  /** The Kubernetes API's own (loopback) URL; set once the server listens. */
  apiUrl: string;
  /**
   * The issuer of the cluster's service-account tokens, as on GKE:
   * `https://container.googleapis.com/v1/projects/P/locations/L/clusters/C` (its keys are served locally).
   */
  tokenIssuer: string;
  /** host:port of the cluster's HTTPS endpoint (the GKE resource's `endpoint`); set once it listens. */
  httpsEndpoint?: string;
  /** Base64 PEM of the CA that signed the HTTPS endpoint's certificate (masterAuth.clusterCaCertificate). */
  caCertificate?: string;
  createTime: string;
}

export interface CallerState {
  token: string;
  identity: string;
  principal: Principal;
}

export interface Operation {
  name: string;
  operationType: string;
  status: 'RUNNING' | 'DONE';
  selfLink: string;
  targetLink: string;
  startTime: string;
  endTime?: string;
  zone: string;
}

export class World {
  readonly now: () => number = () => Date.now();
  readonly prng: Prng;
  readonly projects = new Map<string, ProjectState>();
  readonly gsas: GsaState[] = [];
  readonly buckets = new Map<string, { name: string; projectId: string }>();
  /** The scenario's organization and folders (`folders/N` → its spec), for fleet scopes. */
  readonly organization: { id: string; displayName?: string } | undefined;
  readonly folders = new Map<string, { id: string; displayName?: string; parent: string }>();
  /** Policy Analyzer's lag behind token issuance (ms). */
  activityLagMs: number;
  readonly policies: PolicyStore;
  readonly clusters: ClusterState[] = [];
  readonly callers = new Map<string, CallerState>();
  readonly tokens: TokenRegistry;
  readonly audit: AuditLog;
  readonly faults: Faults;
  readonly operations = new Map<string, Operation>();
  /** RSA key pairs behind the user-managed keys of service accounts, made when a key file is first asked for. */
  readonly keyMaterial = new KeyMaterial();
  /** PEM certificates of keys, made when first served. */
  readonly keyCertificates = new Map<string, string>();
  /** The OAuth2 token endpoint's URL, a key file's `token_uri`; set once the server listens. */
  oauth2TokenUrl = '';
  /** RSA keys take ~0.5 s each to generate: made in the background, awaited by whoever signs or publishes. */
  readonly googleKey: Promise<SigningKey>;
  private readonly podListeners: (() => void)[] = [];

  private constructor(readonly scenario: Scenario) {
    this.prng = new Prng(scenario.seed ?? 42);
    this.policies = new PolicyStore(this.now, (scenario.faults?.iamPropagationDelaySeconds ?? 0) * 1000);
    this.tokens = new TokenRegistry(this.now);
    this.audit = new AuditLog(this.now);
    this.faults = new Faults(scenario.faults);
    this.googleKey = pooledSigningKey(0);
    this.activityLagMs = (scenario.faults?.activityLagSeconds ?? 86_400) * 1000;
    if (scenario.organization) {
      this.organization = { id: scenario.organization.id };
      if (scenario.organization.displayName !== undefined)
        this.organization.displayName = scenario.organization.displayName;
    }
  }

  static create(scenario: Scenario): Promise<World> {
    const world = new World(scenario);
    world.build((scenario.clusters ?? []).map((_c, i) => pooledSigningKey(i + 1)));
    return Promise.resolve(world);
  }

  // ---------- building ----------

  private build(clusterKeys: Promise<SigningKey>[]): void {
    const s = this.scenario;
    const callers = s.callers && s.callers.length > 0 ? s.callers : [DEFAULT_CALLER];
    const owners = callers.filter((c) => c.owner).map((c) => c.identity);
    if (s.organization) {
      // Owner callers administer the organization too (roles/owner holds no resourcemanager.*.get there).
      const policy = toPolicy(s.organization.policy);
      if (owners.length > 0)
        (policy.bindings ??= []).push(
          { role: 'roles/owner', members: owners },
          { role: 'roles/resourcemanager.organizationAdmin', members: owners },
        );
      this.policies.seed(`organizations/${s.organization.id}`, policy);
    }
    for (const f of s.folders ?? []) {
      const folder: { id: string; displayName?: string; parent: string } = { id: f.id, parent: f.parent };
      if (f.displayName !== undefined) folder.displayName = f.displayName;
      this.folders.set(`folders/${f.id}`, folder);
      this.policies.seed(`folders/${f.id}`, toPolicy(f.policy));
    }
    for (const p of s.projects) {
      const services = new Set(p.services ?? DEFAULT_SERVICES);
      for (const d of p.disabledServices ?? []) services.delete(d);
      const customRoles = new Map<string, CustomRole & { permissions: Set<string> }>();
      for (const r of p.customRoles ?? []) {
        customRoles.set(r.id, {
          name: `projects/${p.id}/roles/${r.id}`,
          title: r.title ?? r.id,
          includedPermissions: r.permissions,
          stage: 'GA',
          etag: 'BwYsandbox=',
          ...(r.deleted ? { deleted: true } : {}),
          permissions: new Set(r.permissions),
        });
      }
      this.projects.set(p.id, {
        id: p.id,
        number: p.number,
        services,
        customRoles,
        ...(p.parent ? { parent: p.parent } : {}),
      });
    }
    for (const p of s.projects) {
      for (const g of p.serviceAccounts ?? []) {
        const email = g.name.includes('@') ? g.name.toLowerCase() : `${g.name}@${p.id}.iam.gserviceaccount.com`;
        const gsa: GsaState = {
          email,
          projectId: p.id,
          uniqueId: g.uniqueId ?? `1${this.prng.digits(20)}`,
          disabled: g.disabled ?? false,
          deleted: g.deleted ?? false,
          keys: (g.keys ?? []).map((k) => ({
            name: `projects/${p.id}/serviceAccounts/${email}/keys/${k.id ?? this.prng.hex(40)}`,
            keyType: k.type ?? 'USER_MANAGED',
            keyOrigin: 'GOOGLE_PROVIDED',
            keyAlgorithm: 'KEY_ALG_RSA_2048',
            validAfterTime: k.validAfterTime ?? '2025-01-01T00:00:00Z',
            validBeforeTime: '9999-12-31T23:59:59Z',
            ...(k.disabled ? { disabled: true } : {}),
          })),
        };
        if (!gsa.keys.some((k) => k.keyType === 'SYSTEM_MANAGED'))
          gsa.keys.push(this.systemKey(p.id, email, gsa.uniqueId));
        if (g.lastAuthenticatedTime !== undefined) gsa.authentications = [Date.parse(g.lastAuthenticatedTime)];
        if (g.displayName !== undefined) gsa.displayName = g.displayName;
        if (g.description !== undefined) gsa.description = g.description;
        this.gsas.push(gsa);
        if (!gsa.deleted) this.policies.seed(`sa/${gsa.uniqueId}`, toPolicy(g.policy));
      }
      for (const b of p.buckets ?? []) {
        this.buckets.set(b.name, { name: b.name, projectId: p.id });
        // A new bucket's policy names the project's basic roles through convenience members, as GCS does.
        const policy = toPolicy(b.policy);
        policy.bindings = [
          { role: 'roles/storage.legacyBucketOwner', members: [`projectEditor:${p.id}`, `projectOwner:${p.id}`] },
          { role: 'roles/storage.legacyBucketReader', members: [`projectViewer:${p.id}`] },
          ...(policy.bindings ?? []),
        ];
        this.policies.seed(`buckets/${b.name}`, policy);
      }
      const policy = toPolicy(p.policy);
      if (owners.length > 0) {
        const ownerBinding = policy.bindings?.find((b) => b.role === 'roles/owner' && !b.condition);
        if (ownerBinding) ownerBinding.members = [...new Set([...(ownerBinding.members ?? []), ...owners])];
        else (policy.bindings ??= []).push({ role: 'roles/owner', members: owners });
      }
      this.policies.seed(`projects/${p.id}`, policy);
    }
    // An account the scenario declares deleted is left as IAM leaves one: wherever a policy granted it something,
    // the member now reads `deleted:serviceAccount:EMAIL?uid=N` (what tells a deleted account from one never made).
    // Not when a live account has taken its email: grants in the scenario then name the new one (a scenario
    // writes the old account's grants in their `deleted:` form itself).
    for (const g of this.gsas) if (g.deleted && this.gsa(g.email) === undefined) this.deleteGsa(g);
    for (const c of callers) {
      this.callers.set(c.token, {
        token: c.token,
        identity: c.identity,
        principal: this.principalOfMember(c.identity),
      });
      this.tokens.register(c.token, {
        principal: this.principalOfMember(c.identity),
        scopes: c.scopes ?? [CLOUD_PLATFORM],
        expiresAt: Number.MAX_SAFE_INTEGER,
        kind: 'caller',
      });
      if (c.refreshToken) this.refreshTokens.set(c.refreshToken, c.token);
    }
    clusterKeys.forEach((key, i) => {
      const spec = s.clusters?.[i];
      if (spec) this.buildCluster(spec, key);
    });
  }

  readonly refreshTokens = new Map<string, string>();

  private buildCluster(spec: ClusterSpec, key: Promise<SigningKey>): void {
    const project = this.projects.get(spec.project);
    if (!project) throw new Error(`unknown project ${spec.project}`);
    const autopilot = spec.autopilot ?? false;
    const workloadPool = spec.workloadPool === null ? undefined : (spec.workloadPool ?? `${spec.project}.svc.id.goog`);
    const poolSpecs = spec.nodePools ?? [{ name: autopilot ? 'pool-1' : 'default-pool' }];
    const nodePools: NodePoolState[] = poolSpecs.map((np) => ({
      name: np.name,
      mode: np.mode ?? (workloadPool ? 'GKE_METADATA' : 'ABSENT'),
      serviceAccount: this.nodeServiceAccount(project, np.serviceAccount ?? 'default'),
    }));
    const cluster: ClusterState = {
      name: spec.name,
      project: spec.project,
      location: spec.location,
      autopilot,
      kubeVersion: spec.version ?? '1.32.4-gke.1106006',
      store: new KubeStore(this.prng, this.now),
      prng: this.prng,
      health: new Map<string, MetadataServerHealth>(),
      scheduleCounter: 0,
      now: this.now,
      podStartTime: SCENARIO_POD_START,
      poolRunsMetadataServer: (pool) => {
        const np = cluster.nodePools.find((p) => p.name === pool);
        return cluster.workloadPool !== undefined && (cluster.autopilot || np?.mode === 'GKE_METADATA');
      },
      datapath: spec.datapath ?? 'ADVANCED_DATAPATH',
      networkPolicyEnabled: spec.networkPolicy ?? false,
      nodePools,
      key,
      id: this.prng.hex(32),
      apiUrl: '',
      tokenIssuer: `https://container.googleapis.com/v1/projects/${spec.project}/locations/${spec.location}/clusters/${spec.name}`,
      createTime: '2025-01-15T10:00:00+00:00',
      timers: new Timers(),
    };
    if (workloadPool !== undefined) cluster.workloadPool = workloadPool;
    this.clusters.push(cluster);
    const st = cluster.store;
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      ensureNamespace(cluster, ns, {}, cluster.createTime);
    let index = 0;
    for (const np of poolSpecs) {
      const declared = (spec.nodes ?? []).filter((n) => n.pool === np.name);
      const nodes =
        declared.length > 0 ? declared : Array.from({ length: np.nodeCount ?? 1 }, () => ({ pool: np.name }));
      for (const n of nodes) {
        const declaredNode = n as { name?: string; metadataServer?: MetadataServerHealth };
        const name = declaredNode.name ?? newNodeName(cluster, np.name);
        st.put('nodes', nodeObject(cluster, name, np.name, index++));
        cluster.health.set(name, declaredNode.metadataServer ?? 'healthy');
      }
    }
    systemObjects(cluster);
    syncMetadataServerPods(cluster);
    for (const ns of spec.namespaces ?? []) {
      if (!st.get('namespaces', undefined, ns.name))
        ensureNamespace(cluster, ns.name, ns.labels ?? {}, cluster.createTime);
      for (const k of ns.serviceAccounts ?? []) st.put('serviceaccounts', scenarioKsa(ns.name, k));
      for (const np of ns.networkPolicies ?? []) {
        st.put('networkpolicies', {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: np.name, namespace: ns.name, creationTimestamp: SCENARIO_KSA_CREATED },
          spec: np.spec,
        });
      }
      for (const w of ns.workloads ?? []) {
        cluster.podStartTime = w.startedAt ?? SCENARIO_POD_START;
        createWorkload(cluster, ns.name, w);
      }
      for (const p of ns.pods ?? []) {
        const template = templateFor(p, p.name ?? 'pod');
        const sel = placement(cluster, p.node);
        if (sel) template.spec.nodeSelector = sel;
        cluster.podStartTime = p.startedAt ?? SCENARIO_POD_START;
        createPod(cluster, ns.name, p.name ?? `pod-${this.prng.hex(5)}`, template, undefined);
      }
    }
    // From now on pods start when they are created.
    delete cluster.podStartTime;
  }

  private nodeServiceAccount(project: ProjectState, sa: string): string {
    const email = sa === 'default' ? `${project.number}-compute@developer.gserviceaccount.com` : sa.toLowerCase();
    // Node service accounts exist in a real project even when the scenario does not list them.
    if (!this.gsas.some((g) => g.email === email && !g.deleted)) {
      const uniqueId = `1${this.prng.digits(20)}`;
      const gsa: GsaState = {
        email,
        projectId: project.id,
        uniqueId,
        disabled: false,
        deleted: false,
        keys: [this.systemKey(project.id, email, uniqueId)],
        ...(sa === 'default' ? { displayName: 'Compute Engine default service account' } : {}),
      };
      this.gsas.push(gsa);
      this.policies.seed(`sa/${gsa.uniqueId}`, { version: 1, bindings: [] });
    }
    return email;
  }

  /**
   * The Google-managed key every account lists (`--managed-by system`); it signs signBlob/signJwt. Its
   * validity window is UNVERIFIED (Google rotates these keys itself).
   */
  systemKey(
    projectId: string,
    email: string,
    uniqueId: string,
    validAfter = '2025-01-01T00:00:00Z',
  ): ServiceAccountKey {
    // Derived from the account rather than drawn from the PRNG, so that adding it moves no other seeded value.
    const id = createHash('sha1').update(`${email}#${uniqueId}#system`).digest('hex');
    return {
      name: `projects/${projectId}/serviceAccounts/${email}/keys/${id}`,
      keyType: 'SYSTEM_MANAGED',
      keyOrigin: 'GOOGLE_PROVIDED',
      keyAlgorithm: 'KEY_ALG_RSA_2048',
      validAfterTime: validAfter,
      validBeforeTime: new Date(Date.parse(validAfter) + 2 * 365 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    };
  }

  /** Records that a token was issued for the account now (the latest per day is kept). */
  authenticated(g: GsaState): void {
    const now = this.now();
    const list = (g.authentications ??= []);
    const last = list[list.length - 1];
    if (last !== undefined && Math.floor(last / 86_400_000) === Math.floor(now / 86_400_000))
      list[list.length - 1] = now;
    else list.push(now);
  }

  // ---------- lookups ----------

  project(idOrNumber: string): ProjectState | undefined {
    const byId = this.projects.get(idOrNumber);
    if (byId) return byId;
    for (const p of this.projects.values()) if (p.number === idOrNumber) return p;
    return undefined;
  }

  /** The live account with this email or unique id (not a deleted one). */
  gsa(emailOrId: string): GsaState | undefined {
    const key = emailOrId.toLowerCase();
    return this.gsas.find((g) => !g.deleted && (g.email === key || g.uniqueId === key));
  }

  principalOfMember(member: string): Principal {
    const [type, value = ''] = member.split(/:(.*)/s);
    if (type === 'serviceAccount') {
      const g = this.gsa(value);
      return {
        kind: 'serviceAccount',
        email: value.toLowerCase(),
        uniqueId: g?.uniqueId ?? '',
        projectId: g?.projectId ?? '',
      };
    }
    return { kind: 'user', email: value };
  }

  gsaChain(g: GsaState): ResourceLevel[] {
    return [
      {
        policyKey: `sa/${g.uniqueId}`,
        name: `projects/${g.projectId}/serviceAccounts/${g.uniqueId}`,
        type: 'iam.googleapis.com/ServiceAccount',
        service: 'iam.googleapis.com',
      },
      ...this.projectChain(g.projectId),
    ];
  }

  projectChain(projectId: string): ResourceLevel[] {
    return [
      {
        policyKey: `projects/${projectId}`,
        name: `projects/${projectId}`,
        type: 'cloudresourcemanager.googleapis.com/Project',
        service: 'cloudresourcemanager.googleapis.com',
      },
      ...this.ancestorChain(this.projects.get(projectId)?.parent),
    ];
  }

  /** `folders/N` or `organizations/N` and everything above it: grants there apply below. */
  ancestorChain(parent: string | undefined): ResourceLevel[] {
    const out: ResourceLevel[] = [];
    const seen = new Set<string>();
    for (let p = parent; p !== undefined && !seen.has(p); p = this.folders.get(p)?.parent) {
      seen.add(p);
      out.push({
        policyKey: p,
        name: p,
        type: p.startsWith('folders/')
          ? 'cloudresourcemanager.googleapis.com/Folder'
          : 'cloudresourcemanager.googleapis.com/Organization',
        service: 'cloudresourcemanager.googleapis.com',
      });
    }
    return out;
  }

  /** Folders (nearest first) and organization above a project, as Cloud Asset Inventory names them. */
  ancestry(projectId: string): { folders: string[]; organization?: string } {
    const chain = this.ancestorChain(this.projects.get(projectId)?.parent).map((l) => l.name);
    const org = chain.find((n) => n.startsWith('organizations/'));
    return { folders: chain.filter((n) => n.startsWith('folders/')), ...(org ? { organization: org } : {}) };
  }

  bucketChain(bucket: string): ResourceLevel[] {
    const b = this.buckets.get(bucket);
    return [
      {
        policyKey: `buckets/${bucket}`,
        name: `projects/_/buckets/${bucket}`,
        type: 'storage.googleapis.com/Bucket',
        service: 'storage.googleapis.com',
      },
      ...(b ? this.projectChain(b.projectId) : []),
    ];
  }

  rolePermissions(role: string): ReadonlySet<string> | undefined {
    const custom = /^projects\/([^/]+)\/roles\/(.+)$/.exec(role);
    if (custom) {
      const r = this.projects.get(custom[1] ?? '')?.customRoles.get(custom[2] ?? '');
      return r && !r.deleted ? r.permissions : undefined;
    }
    return predefinedRoles().get(role)?.permissions;
  }

  /** A permission check by the sandbox's IAM engine; a disabled or deleted service account holds nothing. */
  check(principal: Principal, permission: string, chain: ResourceLevel[]): Decision {
    if (principal.kind === 'serviceAccount') {
      const g = this.gsa(principal.email);
      if (!g || g.disabled || (principal.uniqueId !== '' && g.uniqueId !== principal.uniqueId))
        return { allowed: false };
    }
    return checkPermission(
      {
        effectivePolicy: (k) => this.policies.effective(k),
        rolePermissions: (r) => this.rolePermissions(r),
        now: this.now,
      },
      principal,
      permission,
      chain,
      chain.some((l) => l.policyKey.startsWith('buckets/')) ? this.conveniences(principal) : [],
    );
  }

  /** `projectOwner:P` / `projectEditor:P` / `projectViewer:P` for the basic roles the principal holds on P. */
  private conveniences(principal: Principal): string[] {
    const members = matchingMembers(principal);
    const out: string[] = [];
    for (const p of this.projects.values()) {
      for (const b of this.policies.effective(`projects/${p.id}`)?.bindings ?? []) {
        const kind = {
          'roles/owner': 'projectOwner',
          'roles/editor': 'projectEditor',
          'roles/viewer': 'projectViewer',
        }[b.role];
        if (kind && !b.condition && (b.members ?? []).some((m) => members.has(normalizeMember(m))))
          out.push(`${kind}:${p.id}`);
      }
    }
    return out;
  }

  cluster(project: string, location: string, name: string): ClusterState | undefined {
    return this.clusters.find(
      (c) =>
        (c.project === project || this.project(project)?.id === c.project) &&
        (location === '-' || c.location === location) &&
        c.name === name,
    );
  }

  clusterUrl(c: ClusterState): string {
    return `https://container.googleapis.com/v1/projects/${c.project}/locations/${c.location}/clusters/${c.name}`;
  }

  /** The Workload Identity principal of a KSA as seen from a cluster, or undefined when WI is off. */
  ksaPrincipal(c: ClusterState, namespace: string, name: string): Principal | undefined {
    if (!c.workloadPool) return undefined;
    const poolProject = this.project(c.workloadPool.replace(/\.svc\.id\.goog$/, ''));
    const ksa = c.store.get<ServiceAccountObject>('serviceaccounts', namespace, name);
    return {
      kind: 'ksa',
      projectNumber: poolProject?.number ?? '0',
      pool: c.workloadPool,
      namespace,
      name,
      uid: ksa?.metadata.uid ?? '',
      clusterUrl: this.clusterUrl(c),
    };
  }

  /** Whether a pool exists: some project has a cluster with Workload Identity on that pool. */
  poolExists(pool: string): boolean {
    return this.clusters.some((c) => c.workloadPool === pool);
  }

  // ---------- changes ----------

  onPodsChanged(fn: () => void): void {
    this.podListeners.push(fn);
  }

  podsChanged(): void {
    for (const fn of this.podListeners) fn();
  }

  /** Deletion turns the account's members into `deleted:serviceAccount:EMAIL?uid=N` everywhere, as IAM does. */
  deleteGsa(g: GsaState): void {
    g.deleted = true;
    const live = `serviceAccount:${g.email}`;
    const dead = `deleted:serviceAccount:${g.email}?uid=${g.uniqueId}`;
    this.policies.rewriteMembers((m) => (normalizeMember(m) === live ? dead : m));
  }

  undeleteGsa(g: GsaState): boolean {
    if (this.gsa(g.email)) return false;
    g.deleted = false;
    const live = `serviceAccount:${g.email}`;
    const dead = `deleted:serviceAccount:${g.email}?uid=${g.uniqueId}`;
    this.policies.rewriteMembers((m) => (m === dead ? live : m));
    return true;
  }

  createGsa(projectId: string, accountId: string, displayName?: string, description?: string): GsaState {
    const email = `${accountId}@${projectId}.iam.gserviceaccount.com`;
    const uniqueId = `1${this.prng.digits(20)}`;
    const now = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const g: GsaState = {
      email,
      projectId,
      uniqueId,
      disabled: false,
      deleted: false,
      keys: [this.systemKey(projectId, email, uniqueId, now)],
    };
    if (displayName) g.displayName = displayName;
    if (description) g.description = description;
    this.gsas.push(g);
    this.policies.seed(`sa/${g.uniqueId}`, { version: 1, bindings: [] });
    return g;
  }

  /** A node-pool mode change recreates the pool's nodes and reschedules their pods, as GKE does. */
  setPoolMode(c: ClusterState, pool: NodePoolState, mode: PoolMode): void {
    pool.mode = mode;
    const old = c.store
      .list<Node>('nodes')
      .filter((n) => n.metadata.labels?.['cloud.google.com/gke-nodepool'] === pool.name);
    const renamed = new Map<string, string>();
    old.forEach((n, i) => {
      const name = newNodeName(c, pool.name);
      c.store.delete('nodes', undefined, n.metadata.name);
      c.store.put('nodes', nodeObject(c, name, pool.name, 50 + i));
      c.health.set(name, c.health.get(n.metadata.name) ?? 'healthy');
      c.health.delete(n.metadata.name);
      renamed.set(n.metadata.name, name);
    });
    for (const p of c.store.list<Pod>('pods')) {
      const moved = p.spec.nodeName !== undefined ? renamed.get(p.spec.nodeName) : undefined;
      if (moved !== undefined && p.metadata.namespace !== 'kube-system') {
        p.spec.nodeName = moved;
        c.store.put('pods', p);
      }
    }
    syncMetadataServerPods(c);
    this.podsChanged();
  }

  setWorkloadPool(c: ClusterState, pool: string | undefined): void {
    if (pool === undefined) delete c.workloadPool;
    else c.workloadPool = pool;
  }
}

/**
 * A scenario KSA with the managedFields a real one would carry: created by `kubectl apply`, and when
 * `annotatedAt` is later than its creation, its annotation written since by `kubectl annotate`.
 */
function scenarioKsa(namespace: string, k: KsaSpec): KObject {
  const obj = serviceAccountObject(namespace, k.name, k.annotations, k.labels, k.uid);
  const annotatedAt = k.annotatedAt !== undefined ? kubeTime(Date.parse(k.annotatedAt)) : undefined;
  let created = kubeTime(Date.parse(k.createdAt ?? SCENARIO_KSA_CREATED));
  if (annotatedAt !== undefined && annotatedAt < created) created = annotatedAt;
  obj.metadata.creationTimestamp = created;
  const apply = { manager: 'kubectl-client-side-apply', operation: 'Update', time: created } as const;
  const annotated = obj.metadata.annotations?.[WI_ANNOTATION] !== undefined;
  if (annotatedAt === undefined || annotatedAt === created || !annotated) {
    recordWrite(undefined, obj, apply);
    return obj;
  }
  // The KSA as it was before `kubectl annotate`: the same object without the annotation.
  const before = structuredClone(obj);
  const others = Object.entries(before.metadata.annotations ?? {}).filter(([key]) => key !== WI_ANNOTATION);
  if (others.length > 0) before.metadata.annotations = Object.fromEntries(others);
  else delete before.metadata.annotations;
  recordWrite(undefined, before, apply);
  obj.metadata.managedFields = before.metadata.managedFields;
  recordWrite(before, obj, { manager: 'kubectl-annotate', operation: 'Update', time: annotatedAt });
  return obj;
}

function toPolicy(spec: PolicySpec | undefined): Policy {
  const bindings = structuredClone(spec?.bindings ?? []);
  const version = spec?.version ?? (bindings.some((b) => b.condition) ? 3 : 1);
  const policy: Policy = { version, bindings };
  if (spec?.auditConfigs) policy.auditConfigs = structuredClone(spec.auditConfigs);
  return policy;
}
