// facts + report → the identity graph. A pure function (no I/O, no clock): pod/workload → KSA → GSA →
// roles → resources and projects, with the direct grants of KSA principals, the GSAs a GSA may impersonate,
// and the node identity that pods fall back to. Links come from the facts; whether a link is broken comes
// from the check results, so a broken edge always names the check that broke it.

import type { CheckOptions } from '../checks/define.js';
import { GET_ACCESS_TOKEN } from '../checks/lib/gsa.js';
import { workloadLabel, workloadOfPod } from '../checks/lib/workloads.js';
import { describeChange } from '../engine/changes.js';
import { chainWorked } from '../engine/reconcile.js';
import type { Subject } from '../engine/subject.js';
import { resolveSubjects } from '../engine/subjects.js';
import type { TargetRequest } from '../engine/subjects.js';
import { allNodePools, nodePoolsOf } from '../engine/targets.js';
import { WORKLOAD_KINDS } from '../engine/ownership.js';
import type { Facts } from '../model/facts.js';
import { evaluatePermission } from '../model/iam/evaluate.js';
import { serviceAccountPolicyChain } from '../model/iam/policies.js';
import type { RoleResolver } from '../model/iam/roles.js';
import { isServiceAccountEmail, ksaMembers } from '../model/identifiers.js';
import type { Principal } from '../model/identifiers.js';
import type { Workload } from '../model/k8s/types.js';
import type { CheckResult, Report, Status, Verdict } from '../model/results.js';
import { bindingsOf, conditionName, indexBindings } from './policies.js';
import type { BindingIndex, IndexedBinding } from './policies.js';
import { EDGE_LABELS, GRAPH_FORMAT } from './types.js';
import type {
  EdgeBinding,
  EdgeKind,
  EdgeState,
  ElementCheck,
  ElementStatus,
  GraphEdge,
  GraphNode,
  IdentityGraph,
  NodeKind,
  SubjectIdentity,
  SubjectPath,
} from './types.js';

export interface GraphRequest {
  facts: Facts;
  report: Report;
  roles: RoleResolver;
  /** `--impersonate`, `--need`, `--on` of the run: where the results of those checks point. */
  options?: Partial<Pick<CheckOptions, 'impersonate' | 'need' | 'on'>>;
}

/** Bare pods of one KSA drawn one by one up to this many; more become one node. */
const BARE_PODS_SHOWN = 3;

const SA_POLICY = /^projects\/-\/serviceAccounts\/(.+)$/;
const PROJECT_POLICY = /^projects\/([^/]+)$/;

export const nodeId = {
  namespace: (ns: string): string => `ns:${ns}`,
  ksa: (ns: string, name: string): string => `ksa:${ns}/${name}`,
  gsa: (email: string): string => `gsa:${email.toLowerCase()}`,
  project: (id: string): string => `project:${id}`,
  resource: (name: string): string => `resource:${name}`,
  workload: (label: string): string => `workload:${label}`,
  pod: (ns: string, name: string): string => `pod:${ns}/${name}`,
} as const;

const edgeId = (kind: EdgeKind, source: string, target: string): string => `${kind}:${source}->${target}`;

const STATUS_RANK: Record<ElementStatus, number> = { ok: 0, warn: 1, unknown: 2, fail: 3 };
const STATE_RANK: Record<EdgeState, number> = { ok: 0, conditional: 1, unknown: 2, broken: 3 };

const worse = (a: ElementStatus, b: ElementStatus): ElementStatus => (STATUS_RANK[b] > STATUS_RANK[a] ? b : a);
const worseState = (a: EdgeState, b: EdgeState): EdgeState => (STATE_RANK[b] > STATE_RANK[a] ? b : a);

/** The node of the policy a binding sits on: a GSA, a project, or another resource. */
function policyTarget(policy: string): { id: string; kind: NodeKind; label: string; email?: string } {
  const sa = SA_POLICY.exec(policy)?.[1];
  if (sa !== undefined) return { id: nodeId.gsa(sa), kind: 'gsa', label: sa.toLowerCase(), email: sa };
  const project = PROJECT_POLICY.exec(policy)?.[1];
  if (project !== undefined) return { id: nodeId.project(project), kind: 'project', label: project };
  return { id: nodeId.resource(policy), kind: 'resource', label: policy };
}

function subjectRequest(id: string): TargetRequest | undefined {
  const parts = id.split('/');
  if (parts.some((p) => p.length === 0)) return undefined;
  if (parts.length === 2) return { ksa: [id] };
  if (parts.length === 3 && parts[1] === 'pod') return { pod: [id] };
  if (parts.length === 3) return { workload: [id] };
  return undefined;
}

class GraphBuilder {
  readonly nodes = new Map<string, GraphNode>();
  readonly edges = new Map<string, GraphEdge>();
  /** Where each subject's path starts: its workloads or pods, and its KSA. */
  readonly starts = new Map<string, Set<string>>();
  /** GSAs whose grants were added (each once). */
  private readonly expanded = new Set<string>();
  private readonly index: BindingIndex;
  private workloadsByKsa: Map<string, string[]> | undefined;

  constructor(
    readonly facts: Facts,
    readonly roles: RoleResolver,
  ) {
    this.index = indexBindings(facts);
  }

  get unreadable(): readonly string[] {
    return this.index.unreadable;
  }

  get policyCounts(): BindingIndex['counts'] {
    return this.index.counts;
  }

  node(id: string, kind: NodeKind, label: string, extra: Partial<GraphNode> = {}): GraphNode {
    let node = this.nodes.get(id);
    if (!node) {
      node = { id, kind, label, status: 'ok', checks: [], details: {}, ...extra };
      this.nodes.set(id, node);
    }
    return node;
  }

  edge(kind: EdgeKind, source: string, target: string, state: EdgeState = 'ok'): GraphEdge {
    const id = edgeId(kind, source, target);
    let edge = this.edges.get(id);
    if (!edge) {
      edge = { id, kind, source, target, state, label: EDGE_LABELS[kind], bindings: [], checks: [], notes: [] };
      this.edges.set(id, edge);
    } else {
      edge.state = worseState(edge.state, state);
    }
    return edge;
  }

  addBinding(edge: GraphEdge, binding: EdgeBinding): void {
    const same = (b: EdgeBinding): boolean =>
      b.policy === binding.policy &&
      b.role === binding.role &&
      b.member === binding.member &&
      b.condition === binding.condition;
    if (!edge.bindings.some(same)) edge.bindings.push(binding);
    if (binding.condition !== undefined && edge.bindings.every((b) => b.condition !== undefined)) {
      edge.state = worseState(edge.state, 'conditional');
    } else if (edge.state === 'conditional') {
      // One unconditional binding makes the link unconditional.
      edge.state = 'ok';
    }
  }

  namespace(ns: string): GraphNode {
    return this.node(nodeId.namespace(ns), 'namespace', ns, { namespace: ns });
  }

  gsa(email: string): GraphNode {
    const lower = email.toLowerCase();
    const node = this.node(nodeId.gsa(lower), 'gsa', lower);
    if (Object.keys(node.details).length === 0) {
      const account = this.facts.serviceAccount(lower);
      if (account.status === 'present') {
        const value = account.value;
        if (value.projectId !== undefined) node.project = value.projectId;
        if (value.displayName !== undefined) node.details['display name'] = value.displayName;
        if (value.uniqueId !== undefined) node.details['unique id'] = value.uniqueId;
        node.details['disabled'] = value.disabled === true ? 'yes' : 'no';
      } else {
        node.details['account'] = `${account.status}: ${account.message}`;
        if (account.status === 'absent') node.missing = true;
      }
      const at = lower.indexOf('@');
      const domainProject = /^([^.]+)\.iam\.gserviceaccount\.com$/.exec(lower.slice(at + 1))?.[1];
      if (node.project === undefined && domainProject !== undefined) node.project = domainProject;
    }
    return node;
  }

  /** The role binding node (one per policy, role and condition) and its `on` edge to where it applies. */
  roleNode(binding: IndexedBinding): GraphNode {
    const condition = conditionName(binding.condition);
    const id = `role:${binding.policy}|${binding.role}${condition !== undefined ? `|${condition}` : ''}`;
    const existing = this.nodes.get(id);
    if (existing) return existing;
    const node = this.node(id, 'role', binding.role);
    const permissions = this.roles.permissions(binding.role);
    if (permissions.known) {
      if (permissions.title !== undefined) node.details['title'] = permissions.title;
      node.details['permissions'] = String(permissions.permissions.size);
      if (permissions.note !== undefined) node.details['note'] = permissions.note;
    } else {
      node.details['permissions'] = `unknown: ${permissions.reason}`;
    }
    node.details['policy'] = binding.policy;
    if (condition !== undefined) node.details['condition'] = condition;
    const target = policyTarget(binding.policy);
    if (target.kind === 'gsa' && target.email !== undefined) this.gsa(target.email);
    else this.node(target.id, target.kind, target.label, target.kind === 'project' ? { project: target.label } : {});
    this.edge('on', id, target.id);
    return node;
  }

  private mintsTokens(role: string): boolean {
    const permissions = this.roles.permissions(role);
    return permissions.known && permissions.permissions.has(GET_ACCESS_TOKEN);
  }

  /**
   * The grants of a principal: a binding on a service account's policy whose role mints tokens is a
   * may-impersonate edge (and the GSA's own grants follow); any other binding is a granted edge to its role.
   */
  grantsOf(holder: string, principal: Principal, pending: string[]): void {
    for (const binding of bindingsOf(this.index, principal)) {
      const edgeBinding: EdgeBinding = {
        policy: binding.policy,
        role: binding.role,
        member: binding.member,
        ...(binding.condition !== undefined ? { condition: conditionName(binding.condition) } : {}),
      };
      const email = SA_POLICY.exec(binding.policy)?.[1];
      if (email !== undefined && this.mintsTokens(binding.role)) {
        const target = this.gsa(email);
        if (target.id === holder) continue;
        this.addBinding(this.edge('may-impersonate', holder, target.id), edgeBinding);
        pending.push(email);
      } else {
        const role = this.roleNode(binding);
        this.addBinding(this.edge('granted', holder, role.id), edgeBinding);
      }
    }
  }

  /** Adds the grants of each pending GSA, and of the GSAs they may impersonate in turn. */
  expandGsas(pending: string[]): void {
    for (let email = pending.pop(); email !== undefined; email = pending.pop()) {
      const lower = email.toLowerCase();
      if (this.expanded.has(lower)) continue;
      this.expanded.add(lower);
      const account = this.facts.serviceAccount(lower);
      const uniqueId = account.status === 'present' ? account.value.uniqueId : undefined;
      this.grantsOf(
        nodeId.gsa(lower),
        { type: 'serviceAccount', email: lower, ...(uniqueId !== undefined ? { uniqueId } : {}) },
        pending,
      );
    }
  }

  /** Top-level workloads of a namespace by the KSA their pod template names (covers workloads with no pods). */
  workloadsNaming(namespace: string, ksa: string): string[] {
    if (!this.workloadsByKsa) {
      const map = new Map<string, string[]>();
      for (const [kind, resource] of Object.entries(WORKLOAD_KINDS)) {
        if (kind === 'replicaset' || kind === 'job') continue; // owned by Deployments and CronJobs
        const list = this.facts.k8s.list<Workload>(resource);
        if (list.status !== 'present') continue;
        for (const object of list.value) {
          if ((object.metadata.ownerReferences ?? []).length > 0) continue;
          const spec = object.spec?.template?.spec ?? object.spec?.jobTemplate?.spec?.template?.spec;
          if (spec === undefined) continue;
          const ns = object.metadata.namespace ?? 'default';
          const name = spec.serviceAccountName ?? spec.serviceAccount ?? 'default';
          const key = `${ns}/${name}`;
          const label = `${ns}/${kind}/${object.metadata.name}`;
          const labels = map.get(key);
          if (labels) labels.push(label);
          else map.set(key, [label]);
        }
      }
      this.workloadsByKsa = map;
    }
    return this.workloadsByKsa.get(`${namespace}/${ksa}`) ?? [];
  }

  /** The node pool's service account (`default` is the Compute Engine default account). */
  nodeIdentity(pool: string): GraphNode {
    const cluster = this.facts.cluster;
    const config =
      cluster.status === 'present'
        ? (cluster.value.nodePools?.find((p) => p.name === pool)?.config ?? cluster.value.nodeConfig)
        : undefined;
    let email = config?.serviceAccount;
    if (email === undefined || email === 'default') {
      const project = this.facts.project(this.facts.clusterRef.project);
      email =
        project.status === 'present'
          ? `${project.value.projectNumber}-compute@developer.gserviceaccount.com`
          : undefined;
    }
    const node =
      email !== undefined
        ? this.gsa(email)
        : this.node(
            `gsa:(compute default of ${this.facts.clusterRef.project})`,
            'gsa',
            'Compute Engine default service account',
            { project: this.facts.clusterRef.project, details: { account: 'its project number was not read' } },
          );
    const of = node.details['node identity of'];
    const pools = new Set(of !== undefined ? of.split(', ') : []);
    pools.add(pool);
    node.details['node identity of'] = [...pools].sort().join(', ');
    return node;
  }
}

/** What a result bears on, by check id; other ids (audit checks, new checks) mark the subject's node. */
type Anchor =
  | 'runs-as'
  | 'ksa'
  | 'annotation'
  | 'gsa'
  | 'binding'
  | 'api'
  | 'impersonate-target'
  | 'permission'
  | 'fallback'
  | 'workload';

const ANCHORS: Record<string, Anchor> = {
  'ksa-exists': 'runs-as',
  'pod-service-account': 'runs-as',
  'ksa-annotation': 'annotation',
  'gsa-exists': 'annotation',
  'gsa-enabled': 'annotation',
  'wi-binding': 'binding',
  'wi-binding-stale': 'gsa',
  'iamcredentials-api-enabled': 'api',
  'cross-project-impersonation': 'impersonate-target',
  'gsa-permission': 'permission',
  'nodepool-gke-metadata': 'fallback',
  'cluster-workload-pool': 'fallback',
  'host-network': 'fallback',
  'metadata-server-healthy': 'workload',
  'network-policy-metadata': 'workload',
  'credential-override': 'workload',
  'pods-restarted-after-change': 'workload',
  'token-claims': 'ksa',
  'end-to-end-token': 'ksa',
};

interface SubjectElements {
  subject: Subject;
  ksa: string;
  /** Workload and pod nodes of the subject (empty when none is known). */
  workloads: string[];
  /** The annotated (or near-miss annotated) GSA node. */
  gsa: string | undefined;
  identity: SubjectIdentity | undefined;
}

/** The Google identity of a subject's pods: the annotated GSA, or (no annotation) the KSA's own principal. */
function identityOf(subject: Subject): SubjectIdentity | undefined {
  if (subject.model === 'impersonation') {
    return subject.gsaEmail !== undefined ? { model: 'impersonation', gsa: subject.gsaEmail.toLowerCase() } : undefined;
  }
  if (subject.principal.pool === undefined || subject.ksaName === '(unknown)') return undefined;
  const members = ksaMembers(subject.principal);
  return { model: 'direct', principal: members.principal ?? members.legacy };
}

/** Who changed it: the newest recorded change that explains a failing result, as one note. */
function changeNote(result: CheckResult): string | undefined {
  const change = result.status === 'fail' ? result.changes?.[0] : undefined;
  return change === undefined ? undefined : `changed: ${describeChange(change).replace(/`/g, '')}`;
}

function addNote(notes: string[], note: string | undefined): void {
  if (note !== undefined && !notes.includes(note)) notes.push(note);
}

function elementCheck(result: CheckResult): ElementCheck | undefined {
  if (result.status !== 'fail' && result.status !== 'warn' && result.status !== 'unknown') return undefined;
  return {
    check: result.check,
    status: result.status,
    subject: result.subject,
    ...(result.cause !== undefined ? { cause: result.cause } : {}),
  };
}

function markNode(node: GraphNode | undefined, check: ElementCheck): void {
  if (!node) return;
  if (!node.checks.some((c) => c.check === check.check && c.subject === check.subject)) node.checks.push(check);
  node.status = worse(node.status, check.status);
}

function markEdge(edge: GraphEdge | undefined, check: ElementCheck): void {
  if (!edge) return;
  if (!edge.checks.some((c) => c.check === check.check && c.subject === check.subject)) edge.checks.push(check);
  if (check.status === 'fail') edge.state = 'broken';
  else if (check.status === 'unknown') edge.state = worseState(edge.state, 'unknown');
}

/** The elements of one Kubernetes subject: its workloads or pods, KSA, annotation and the GSA it names. */
function addSubject(b: GraphBuilder, subject: Subject, pending: string[]): SubjectElements {
  const ns = subject.namespace;
  b.namespace(ns);
  const ksaKnown = subject.ksaName !== '(unknown)';
  const ksaId = nodeId.ksa(ns, subject.ksaName);
  const ksa = b.node(ksaId, 'ksa', ksaKnown ? `${ns}/${subject.ksaName}` : `${ns}/(KSA unknown)`, { namespace: ns });
  if (subject.ksa.status === 'present') {
    const meta = subject.ksa.value.metadata;
    if (meta.uid !== undefined) ksa.details['uid'] = meta.uid;
    if (subject.annotation !== undefined) ksa.details['annotation'] = subject.annotation.value;
    ksa.details['identity'] = subject.model === 'impersonation' ? 'impersonates a GSA' : 'its own principal (direct)';
    const identity = identityOf(subject);
    if (identity?.model === 'direct') ksa.details['principal'] = identity.principal;
  } else {
    ksa.details['object'] = `${subject.ksa.status}: ${subject.ksa.message}`;
    if (subject.ksa.status === 'absent') ksa.missing = true;
  }

  const workloads = new Set<string>();
  const addWorkload = (label: string, pods?: number): void => {
    const id = nodeId.workload(label);
    const node = b.node(id, 'workload', label, { namespace: ns });
    if (pods !== undefined) node.details['pods'] = String(pods);
    workloads.add(id);
  };
  if (subject.kind === 'workload') {
    addWorkload(subject.id, subject.pods.status === 'present' ? subject.pods.value.length : undefined);
  } else if (subject.kind === 'pod') {
    const name = subject.id.split('/')[2] ?? subject.id;
    const id = nodeId.pod(ns, name);
    const node = b.node(id, 'pod', `${ns}/${name}`, { namespace: ns });
    if (subject.workload !== undefined) node.details['owner'] = `${subject.workload.kind}/${subject.workload.name}`;
    workloads.add(id);
  } else {
    const owned = new Map<string, number>();
    const bare: string[] = [];
    if (subject.pods.status === 'present') {
      for (const pod of subject.pods.value) {
        const ref = workloadOfPod(b.facts, pod);
        if (ref.resource === 'pods') bare.push(pod.metadata.name);
        else {
          const label = workloadLabel(ns, ref);
          owned.set(label, (owned.get(label) ?? 0) + 1);
        }
      }
    }
    for (const label of b.workloadsNaming(ns, subject.ksaName)) if (!owned.has(label)) owned.set(label, 0);
    for (const [label, pods] of [...owned].sort(([a], [c]) => a.localeCompare(c))) addWorkload(label, pods);
    if (bare.length <= BARE_PODS_SHOWN) {
      for (const name of bare.sort()) {
        const id = nodeId.pod(ns, name);
        b.node(id, 'pod', `${ns}/${name}`, { namespace: ns });
        workloads.add(id);
      }
    } else {
      const id = `pods:${ns}/${subject.ksaName}`;
      const node = b.node(id, 'pod', `${bare.length} pods without a controller`, { namespace: ns });
      node.details['pods'] = bare.sort().join(', ');
      workloads.add(id);
    }
  }
  for (const w of workloads) b.edge('runs-as', w, ksaId);

  let gsa: string | undefined;
  if (subject.annotation !== undefined) {
    if (subject.gsaEmail !== undefined) {
      gsa = b.gsa(subject.gsaEmail).id;
      pending.push(subject.gsaEmail);
    } else {
      // A malformed value names no account: drawn as a node of its own so that the broken link shows.
      gsa = b.node(`gsa:(invalid ${ns}/${subject.ksaName})`, 'gsa', subject.annotation.value, {
        missing: true,
        details: { annotation: subject.annotation.value, account: 'not a service-account email' },
      }).id;
    }
    b.edge('annotated-as', ksaId, gsa);
  } else {
    const typo = subject.nearMissAnnotations[0];
    if (typo !== undefined && isServiceAccountEmail(typo.value)) {
      gsa = b.gsa(typo.value).id;
      const edge = b.edge('annotated-as', ksaId, gsa);
      edge.notes.push(`annotation key \`${typo.key}\` is not \`iam.gke.io/gcp-service-account\`: GKE ignores it`);
    }
  }

  // May the KSA mint tokens for the GSA it names? Evaluated over the GSA's policy and its ancestors, as
  // the metadata server's request is; an edge is drawn only where a binding exists (results say broken).
  if (subject.gsaEmail !== undefined && subject.principal.pool !== undefined) {
    const evaluation = evaluatePermission({
      permission: GET_ACCESS_TOKEN,
      principal: { type: 'ksa', ksa: subject.principal },
      policies: serviceAccountPolicyChain(b.facts, subject.gsaEmail),
      roles: b.roles,
    });
    const found = [...evaluation.grants, ...evaluation.conditionalGrants];
    if (found.length > 0 && gsa !== undefined) {
      const edge = b.edge('may-impersonate', ksaId, gsa);
      for (const g of found) {
        b.addBinding(edge, {
          policy: g.resource,
          role: g.role,
          member: g.member,
          ...(g.condition !== undefined ? { condition: conditionName(g.condition) } : {}),
        });
      }
    }
  }

  // The KSA's own principal: direct grants, and GSAs it may impersonate whatever its annotation says.
  if (subject.principal.pool !== undefined && ksaKnown) {
    b.grantsOf(ksaId, { type: 'ksa', ksa: subject.principal }, pending);
  }
  return { subject, ksa: ksaId, workloads: [...workloads].sort(), gsa, identity: identityOf(subject) };
}

/** Marks the elements a result bears on; fallback results add the edge to the node identity. */
function applyResult(
  b: GraphBuilder,
  el: SubjectElements,
  result: CheckResult,
  options: GraphRequest['options'],
  pending: string[],
): void {
  const { facts } = b;
  const check = elementCheck(result);
  if (check === undefined) return;
  const { subject } = el;
  const sources = el.workloads.length > 0 ? el.workloads : [el.ksa];
  const anchor = ANCHORS[result.check];
  switch (anchor) {
    case 'runs-as':
      markNode(b.nodes.get(el.ksa), check);
      if (result.check === 'ksa-exists' && result.status === 'fail') {
        const node = b.nodes.get(el.ksa);
        if (node) node.missing = true;
      }
      for (const w of el.workloads) markEdge(b.edges.get(edgeId('runs-as', w, el.ksa)), check);
      return;
    case 'annotation':
      if (el.gsa !== undefined) {
        const edge = b.edges.get(edgeId('annotated-as', el.ksa, el.gsa));
        markEdge(edge, check);
        if (edge) addNote(edge.notes, changeNote(result));
        if (result.check !== 'ksa-annotation') markNode(b.nodes.get(el.gsa), check);
        if (result.check === 'gsa-exists' && result.status === 'fail') {
          const node = b.nodes.get(el.gsa);
          if (node) node.missing = true;
        }
      } else {
        markNode(b.nodes.get(el.ksa), check);
      }
      return;
    case 'binding':
      if (el.gsa !== undefined && subject.model === 'impersonation') {
        const edge = b.edge('may-impersonate', el.ksa, el.gsa, result.status === 'fail' ? 'broken' : 'ok');
        markEdge(edge, check);
        addNote(edge.notes, changeNote(result));
      } else {
        markNode(b.nodes.get(el.ksa), check);
      }
      return;
    case 'api': {
      const project = b.node(nodeId.project(facts.clusterRef.project), 'project', facts.clusterRef.project, {
        project: facts.clusterRef.project,
      });
      markNode(project, check);
      if (el.gsa !== undefined) markEdge(b.edges.get(edgeId('may-impersonate', el.ksa, el.gsa)), check);
      return;
    }
    case 'impersonate-target': {
      const target = options?.impersonate;
      const from = el.gsa ?? el.ksa;
      if (target === undefined) {
        markNode(b.nodes.get(from), check);
        return;
      }
      const node = b.gsa(target);
      pending.push(target);
      markEdge(b.edge('may-impersonate', from, node.id, result.status === 'fail' ? 'broken' : 'ok'), check);
      return;
    }
    case 'permission': {
      const on = options?.on;
      const project = PROJECT_POLICY.exec(on?.replace(/^\/\/cloudresourcemanager\.googleapis\.com\//, '') ?? '')?.[1];
      const targetId =
        on === undefined
          ? b.node(nodeId.project(facts.clusterRef.project), 'project', facts.clusterRef.project, {
              project: facts.clusterRef.project,
            }).id
          : project !== undefined
            ? b.node(nodeId.project(project), 'project', project, { project }).id
            : b.node(nodeId.resource(on), 'resource', on).id;
      const from = subject.model === 'impersonation' && el.gsa !== undefined ? el.gsa : el.ksa;
      const edge = b.edge('granted', from, targetId, result.status === 'fail' ? 'broken' : 'ok');
      if (options?.need?.length) edge.notes.push(`needs ${options.need.join(', ')}`);
      markEdge(edge, check);
      return;
    }
    case 'fallback': {
      if (result.status !== 'fail') {
        for (const s of sources) markNode(b.nodes.get(s), check);
        return;
      }
      const poolOfResult = /\/nodePools\/([^/]+)$/.exec(result.subject)?.[1];
      const pools =
        poolOfResult !== undefined
          ? [poolOfResult]
          : (() => {
              const used = nodePoolsOf(facts, subject);
              return used.includes('*') ? allNodePools(facts).filter((p) => p !== '*') : used;
            })();
      for (const pool of pools) {
        const identity = b.nodeIdentity(pool);
        if (isServiceAccountEmail(identity.label)) pending.push(identity.label);
        for (const s of sources) {
          const edge = b.edge('falls-back-to-node-identity', s, identity.id);
          if (!edge.notes.includes(`node pool ${pool}`)) edge.notes.push(`node pool ${pool}`);
          markEdge(edge, check);
          // The link works: that is the problem. It is drawn as a failing link, not a missing one.
          edge.state = 'ok';
        }
      }
      return;
    }
    case 'workload':
      for (const s of sources) markNode(b.nodes.get(s), check);
      return;
    case 'gsa':
      markNode(b.nodes.get(el.gsa ?? el.ksa), check);
      return;
    case 'ksa':
      markNode(b.nodes.get(el.ksa), check);
      return;
    case undefined:
      // A check the graph has no place for marks the subject's KSA when it is about the subject itself; one
      // about a shared object (an audit finding on the project) is not every KSA's (see below).
      if (result.subject === subject.id) markNode(b.nodes.get(el.ksa), check);
      return;
  }
}

/**
 * A live token chain that worked (`--e2e`) went through the KSA and, under impersonation, its link to the GSA:
 * that link works whatever the policies that were read show (a binding not read, or one static analysis says
 * is missing: the report shows that disagreement as a warning). Links it does not go through keep their state.
 */
function liveChain(b: GraphBuilder, el: SubjectElements, results: readonly CheckResult[]): void {
  const chain = chainWorked(results, el.subject.id);
  if (chain === undefined) return;
  const ksa = b.nodes.get(el.ksa);
  if (ksa) ksa.details['live token chain'] = 'works (end-to-end-token)';
  if (el.subject.model !== 'impersonation' || el.gsa === undefined || el.identity === undefined) return;
  const edge = b.edge('may-impersonate', el.ksa, el.gsa);
  addNote(edge.notes, 'the live token chain went through this link (end-to-end-token): generateAccessToken worked');
}

/** The status a verdict headline shows: the root cause's, else the worst of its results; never pass for unknown. */
function pathStatus(verdict: Verdict, results: readonly CheckResult[]): SubjectPath['status'] {
  if (verdict.rootCause !== null) {
    const root = results.find((r) => r.check === verdict.rootCause && r.status !== 'pass' && r.status !== 'skip');
    const status: Status = root?.status ?? 'fail';
    return status === 'skip' || status === 'pass' ? 'fail' : status;
  }
  for (const status of ['fail', 'warn', 'unknown'] as const)
    if (results.some((r) => r.status === status)) return status;
  return 'pass';
}

/** Outgoing edges by node, built once per graph. */
function outgoingEdges(b: GraphBuilder): Map<string, GraphEdge[]> {
  const out = new Map<string, GraphEdge[]>();
  for (const edge of b.edges.values()) {
    const list = out.get(edge.source);
    if (list) list.push(edge);
    else out.set(edge.source, [edge]);
  }
  return out;
}

/** Every element reachable from the subject's start nodes (edges point from workload towards resources). */
function reach(
  b: GraphBuilder,
  out: ReadonlyMap<string, GraphEdge[]>,
  starts: Iterable<string>,
): { nodes: string[]; edges: string[] } {
  const nodes = new Set<string>();
  const edges = new Set<string>();
  const queue = [...starts];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    if (nodes.has(id) || !b.nodes.has(id)) continue;
    nodes.add(id);
    for (const edge of out.get(id) ?? []) {
      edges.add(edge.id);
      queue.push(edge.target);
    }
  }
  return { nodes: [...nodes].sort(), edges: [...edges].sort() };
}

export function buildIdentityGraph(request: GraphRequest): IdentityGraph {
  const { facts, report, roles, options } = request;
  const b = new GraphBuilder(facts, roles);
  const pending: string[] = [];
  const resultsBySubject = new Map<string, CheckResult[]>();
  for (const r of report.results) {
    const list = resultsBySubject.get(r.subject);
    if (list) list.push(r);
    else resultsBySubject.set(r.subject, [r]);
  }

  const perVerdict: { verdict: Verdict; results: CheckResult[]; el: SubjectElements | undefined }[] = [];
  for (const verdict of report.verdicts) {
    const results = [verdict.subject, ...verdict.related.filter((s) => s !== verdict.subject)].flatMap(
      (s) => resultsBySubject.get(s) ?? [],
    );
    const request = subjectRequest(verdict.subject);
    let el: SubjectElements | undefined;
    if (request !== undefined) {
      let subject: Subject | undefined;
      try {
        subject = resolveSubjects(facts, request)[0];
      } catch {
        // A subject the facts cannot resolve (only possible for reports made from other facts) keeps no path.
        subject = undefined;
      }
      if (subject !== undefined) el = addSubject(b, subject, pending);
    } else if (isServiceAccountEmail(verdict.subject)) {
      // Subjects that are accounts (audit reports): the account and its grants.
      const gsa = b.gsa(verdict.subject);
      pending.push(verdict.subject);
      for (const r of results) {
        const check = elementCheck(r);
        if (check) markNode(gsa, check);
      }
      b.starts.set(verdict.subject, new Set([gsa.id]));
    }
    perVerdict.push({ verdict, results, el });
  }
  b.expandGsas(pending);

  for (const { results, el } of perVerdict) {
    if (el === undefined) continue;
    for (const result of results) applyResult(b, el, result, options, pending);
    liveChain(b, el, results);
    b.starts.set(el.subject.id, new Set([...el.workloads, el.ksa]));
  }
  // Accounts added by results (impersonation targets, node identities) bring their grants too.
  b.expandGsas(pending);

  // Results of checks the graph has no place for, about an account or a project (an audit's findings), mark
  // that node when it is drawn.
  const subjectIds = new Set(report.verdicts.map((v) => v.subject));
  for (const r of report.results) {
    if (subjectIds.has(r.subject) || ANCHORS[r.check] !== undefined) continue;
    const check = elementCheck(r);
    if (check === undefined) continue;
    const project = PROJECT_POLICY.exec(r.subject)?.[1];
    if (isServiceAccountEmail(r.subject)) markNode(b.nodes.get(nodeId.gsa(r.subject)), check);
    else if (project !== undefined) markNode(b.nodes.get(nodeId.project(project)), check);
  }

  // A namespace shows the worst status of what it holds.
  for (const node of b.nodes.values()) {
    if (node.kind === 'namespace' || node.namespace === undefined) continue;
    const ns = b.nodes.get(nodeId.namespace(node.namespace));
    if (ns) ns.status = worse(ns.status, node.status);
  }

  const out = outgoingEdges(b);
  const subjects: SubjectPath[] = perVerdict.map(({ verdict, results, el }) => {
    const path = reach(b, out, b.starts.get(verdict.subject) ?? []);
    return {
      subject: verdict.subject,
      status: pathStatus(verdict, results),
      rootCause: verdict.rootCause,
      ...(el?.identity !== undefined ? { identity: el.identity } : {}),
      nodes: path.nodes,
      edges: path.edges,
    };
  });

  const counts = b.policyCounts;
  const notes = [
    `Grants come from the policies that were read: ${counts.project} project, ${counts['service-account']} service-account, ${counts.resource} resource and ${counts.folder + counts.organization} folder or organization policies.`,
    ...b.unreadable.map((u) => `Policy not readable (grants there are not shown): ${u}`),
  ];

  const byId = <T extends { id: string }>(a: T, c: T): number => (a.id < c.id ? -1 : a.id > c.id ? 1 : 0);
  return {
    format: GRAPH_FORMAT,
    cluster: report.cluster,
    source: report.source,
    generatedAt: report.generatedAt,
    tool: report.tool,
    nodes: [...b.nodes.values()].sort(byId),
    edges: [...b.edges.values()].sort(byId),
    subjects,
    notes,
  };
}
