// Who can mint an account's tokens, drawn (`graph --gsa`): every principal `who-can --gsa` lists, from the same
// evaluation (whoCanGsa over the same facts), as a may-impersonate edge into the account. Grants on the account's
// own policy, its project's, and the folders' and organization's above all count: users, groups, principal sets,
// owners through a project-level role, other GSAs and KSAs. Pure: a graph in, a graph with those edges out.

import { whoCanGsa } from '../engine/who-can.js';
import type { GrantRow } from '../engine/who-can.js';
import type { Facts } from '../model/facts.js';
import type { RoleResolver } from '../model/iam/roles.js';
import { isServiceAccountEmail } from '../model/identifiers.js';
import { nodeId } from './build.js';
import { conditionName } from './policies.js';
import type { EdgeBinding, GraphEdge, GraphNode, IdentityGraph } from './types.js';
import { EDGE_LABELS } from './types.js';

const KSA_LEGACY = /^serviceAccount:[a-z0-9-]+\.svc\.id\.goog\[([^/\]]+)\/([^\]]+)\]$/;
const KSA_PRINCIPAL =
  /^principal:\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/[^/]+\/subject\/ns\/([^/]+)\/sa\/([^/]+)$/;

/** The node a binding's member is: a KSA or GSA of the graph when it names one, else a principal of its own. */
function memberNode(member: string, graph: IdentityGraph): { id: string; node?: GraphNode } {
  const ksa = KSA_LEGACY.exec(member) ?? KSA_PRINCIPAL.exec(member);
  if (ksa?.[1] !== undefined && ksa[2] !== undefined) {
    const id = nodeId.ksa(ksa[1], ksa[2]);
    if (graph.nodes.some((n) => n.id === id)) return { id };
  }
  const email = /^serviceAccount:(.+)$/.exec(member)?.[1];
  if (email !== undefined && isServiceAccountEmail(email)) {
    const id = nodeId.gsa(email);
    if (graph.nodes.some((n) => n.id === id)) return { id };
    return { id, node: { id, kind: 'gsa', label: email.toLowerCase(), status: 'ok', checks: [], details: {} } };
  }
  const id = `principal:${member}`;
  return { id, node: { id, kind: 'principal', label: member, status: 'ok', checks: [], details: {} } };
}

function bindingOf(row: GrantRow): EdgeBinding {
  const condition = conditionName(row.condition);
  return {
    policy: row.resource,
    role: row.role,
    member: row.member,
    ...(condition !== undefined ? { condition } : {}),
  };
}

const sameBinding = (a: EdgeBinding, b: EdgeBinding): boolean =>
  a.policy === b.policy && a.role === b.role && a.member === b.member;

/** The graph with every principal that can mint `email`'s tokens linked to it (the account's node must exist). */
export function withTokenMinters(
  graph: IdentityGraph,
  facts: Facts,
  roles: RoleResolver,
  email: string,
): IdentityGraph {
  const target = nodeId.gsa(email);
  const nodes = [...graph.nodes];
  const edges = graph.edges.map((e) => ({ ...e, bindings: [...e.bindings] }));
  for (const row of whoCanGsa(facts, roles, email, []).principals) {
    const { id, node } = memberNode(row.member, { ...graph, nodes });
    if (id === target) {
      // The account may mint its own tokens (a project-level role it holds): a detail of its node, not a loop.
      const i = nodes.findIndex((n) => n.id === target);
      const self = nodes[i];
      if (self !== undefined) {
        const own = self.details['may mint its own tokens'];
        const grant = `${row.role} on ${row.resource}`;
        nodes[i] = {
          ...self,
          details: { ...self.details, 'may mint its own tokens': own ? `${own}; ${grant}` : grant },
        };
      }
      continue;
    }
    if (node !== undefined && !nodes.some((n) => n.id === id)) nodes.push(node);
    const binding = bindingOf(row);
    const edgeKey = `may-impersonate:${id}->${target}`;
    let edge: GraphEdge | undefined = edges.find((e) => e.id === edgeKey);
    if (edge === undefined) {
      edge = {
        id: edgeKey,
        kind: 'may-impersonate',
        source: id,
        target,
        state: 'ok',
        label: EDGE_LABELS['may-impersonate'],
        bindings: [],
        checks: [],
        notes: [],
      };
      edges.push(edge);
    }
    if (!edge.bindings.some((b) => sameBinding(b, binding))) edge.bindings.push(binding);
    // As the builder judges a link: conditional only when every binding behind it is.
    const conditional = edge.bindings.every((b) => b.condition !== undefined);
    if (conditional && edge.state === 'ok') edge.state = 'conditional';
    else if (!conditional && edge.state === 'conditional') edge.state = 'ok';
  }
  return { ...graph, nodes, edges };
}
