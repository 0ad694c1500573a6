// Compute Engine v1, VPC firewall rules only (the reference guide's `gcloud compute firewall-rules list`).
// A project without declared rules has the four that Google creates with the default network.

import { googleError, googleNotFoundRoute } from '../http/errors.js';
import { RouteTable, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { FirewallRuleSpec } from '../scenario/types.js';
import type { ProjectState, World } from '../world.js';
import { authenticate } from './common.js';

const BASE = 'https://www.googleapis.com/compute/v1';

/** The default network's rules (Compute Engine's documented defaults). */
export const DEFAULT_FIREWALL_RULES: FirewallRuleSpec[] = [
  {
    name: 'default-allow-icmp',
    description: 'Allow ICMP from anywhere',
    sourceRanges: ['0.0.0.0/0'],
    allowed: [{ IPProtocol: 'icmp' }],
  },
  {
    name: 'default-allow-internal',
    description: 'Allow internal traffic on the default network',
    sourceRanges: ['10.128.0.0/9'],
    allowed: [
      { IPProtocol: 'tcp', ports: ['0-65535'] },
      { IPProtocol: 'udp', ports: ['0-65535'] },
      { IPProtocol: 'icmp' },
    ],
  },
  {
    name: 'default-allow-rdp',
    description: 'Allow RDP from anywhere',
    sourceRanges: ['0.0.0.0/0'],
    allowed: [{ IPProtocol: 'tcp', ports: ['3389'] }],
  },
  {
    name: 'default-allow-ssh',
    description: 'Allow SSH from anywhere',
    sourceRanges: ['0.0.0.0/0'],
    allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
  },
];

function stableId(seed: string): string {
  let h = 1469598103934665603n;
  for (const ch of seed) h = ((h ^ BigInt(ch.charCodeAt(0))) * 1099511628211n) % 2n ** 63n;
  return h.toString();
}

export function firewallJson(p: ProjectState, r: FirewallRuleSpec): Record<string, unknown> {
  const direction = r.direction ?? 'INGRESS';
  const out: Record<string, unknown> = {
    kind: 'compute#firewall',
    id: stableId(`${p.id}/${r.name}`),
    creationTimestamp: '2024-03-01T01:00:00.000-08:00',
    name: r.name,
    description: r.description ?? '',
    network: `${BASE}/projects/${p.id}/global/networks/${r.network ?? 'default'}`,
    priority: r.priority ?? (r.name.startsWith('default-allow-') ? 65534 : 1000),
  };
  if (direction === 'INGRESS') out.sourceRanges = r.sourceRanges ?? ['0.0.0.0/0'];
  else out.destinationRanges = r.destinationRanges ?? ['0.0.0.0/0'];
  if (r.targetTags) out.targetTags = r.targetTags;
  if (r.allowed) out.allowed = r.allowed;
  if (r.denied) out.denied = r.denied;
  Object.assign(out, {
    direction,
    logConfig: { enable: false },
    disabled: r.disabled ?? false,
    selfLink: `${BASE}/projects/${p.id}/global/firewalls/${r.name}`,
  });
  return out;
}

function rulesOf(world: World, p: ProjectState): FirewallRuleSpec[] {
  return world.scenario.projects.find((x) => x.id === p.id)?.firewallRules ?? DEFAULT_FIREWALL_RULES;
}

/** Compute's 403 (the API words it with the permission and the resource). */
function denied(permission: string, resource: string): SandboxResponse {
  return googleError(403, `Required '${permission}' permission for '${resource}'`, 'PERMISSION_DENIED', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'IAM_PERMISSION_DENIED',
      domain: 'compute.googleapis.com',
      metadata: { permission },
    },
  ]);
}

function projectFor(
  world: World,
  req: SandboxRequest,
  permission: string,
): { ok: true; p: ProjectState } | { ok: false; response: SandboxResponse } {
  const auth = authenticate(world, req);
  if (!auth.ok) return auth;
  const id = req.params.project ?? '';
  const p = world.project(id);
  if (!p || !world.check(auth.principal, permission, world.projectChain(p.id)).allowed)
    return { ok: false, response: denied(permission, `projects/${id}`) };
  return { ok: true, p };
}

/**
 * Compute's list filter as gcloud sends it: `FIELD eq|ne VALUE` expressions, several in parentheses
 * (`(a eq x) (b ne y)`, all must hold); VALUE is an RE2 regular expression that must match the whole field.
 */
export function computeFilter(filter: string): ((item: Record<string, unknown>) => boolean) | undefined {
  const text = filter.trim();
  if (text === '') return () => true;
  const exprs = text.startsWith('(') ? [...text.matchAll(/\(([^()]*)\)/g)].map((m) => m[1] ?? '') : [text];
  if (text.startsWith('(') && text.replace(/\(([^()]*)\)/g, '').trim() !== '') return undefined;
  const tests: ((item: Record<string, unknown>) => boolean)[] = [];
  for (const e of exprs) {
    const m = /^\s*([A-Za-z][\w.]*)\s+(eq|ne)\s+"?(.*?)"?\s*$/.exec(e);
    if (!m) return undefined;
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${m[3] ?? ''})$`);
    } catch {
      return undefined;
    }
    const path = (m[1] ?? '').split('.');
    const negate = m[2] === 'ne';
    tests.push((item) => {
      let v: unknown = item;
      for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
      const values = (Array.isArray(v) ? v : [v]).map((x) =>
        typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? String(x) : '',
      );
      const hit = values.some((x) => re.test(x));
      return negate ? !hit : hit;
    });
  }
  return (item) => tests.every((t) => t(item));
}

export function computeRoutes(world: World): RouteTable {
  const FW = '/compute/v1/projects/{project}/global/firewalls';
  return new RouteTable(
    [
      {
        method: 'GET',
        path: FW,
        handler: (req) => {
          const f = projectFor(world, req, 'compute.firewalls.list');
          if (!f.ok) return f.response;
          const filter = computeFilter(req.query.get('filter') ?? '');
          if (!filter)
            // UNVERIFIED wording of Compute's refusal of a filter it cannot read.
            return googleError(
              400,
              `Invalid value for field 'filter': '${req.query.get('filter') ?? ''}'. Invalid list filter expression.`,
            );
          const items = rulesOf(world, f.p)
            .map((r) => firewallJson(f.p, r))
            .filter(filter)
            .sort((a, b) => String(a.name).localeCompare(String(b.name)));
          const out: Record<string, unknown> = {
            kind: 'compute#firewallList',
            id: `projects/${f.p.id}/global/firewalls`,
            selfLink: `${BASE}/projects/${f.p.id}/global/firewalls`,
          };
          if (items.length > 0) out.items = items;
          return { status: 200, json: out };
        },
      },
      {
        method: 'GET',
        path: `${FW}/{name}`,
        handler: (req) => {
          const f = projectFor(world, req, 'compute.firewalls.get');
          if (!f.ok) return f.response;
          const r = rulesOf(world, f.p).find((x) => x.name === req.params.name);
          if (!r)
            return googleError(
              404,
              `The resource 'projects/${f.p.id}/global/firewalls/${req.params.name ?? ''}' was not found`,
              'NOT_FOUND',
            );
          return { status: 200, json: firewallJson(f.p, r) };
        },
      },
    ],
    (req) => googleNotFoundRoute('compute', req.method, req.path),
  );
}
