// Does a NetworkPolicy let a pod reach the metadata server? The sandbox's own small evaluator:
// on Dataplane V2 policy sees 169.254.169.254:80; on the legacy datapath the traffic has been rewritten
// to 169.254.169.252:988 first. Policies act only where enforcement is on.

import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, Pod } from '../../model/k8s/types.js';

export interface Destination {
  ip: string;
  port: number;
}

export function metadataDestination(datapath: 'ADVANCED_DATAPATH' | 'LEGACY_DATAPATH'): Destination {
  return datapath === 'ADVANCED_DATAPATH' ? { ip: '169.254.169.254', port: 80 } : { ip: '169.254.169.252', port: 988 };
}

function selects(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  if (!Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => l[k] === v)) return false;
  return (sel?.matchExpressions ?? []).every((e) => {
    const v = l[e.key];
    switch (e.operator) {
      case 'In':
        return v !== undefined && (e.values ?? []).includes(v);
      case 'NotIn':
        return v === undefined || !(e.values ?? []).includes(v);
      case 'Exists':
        return v !== undefined;
      case 'DoesNotExist':
        return v === undefined;
      default:
        return false;
    }
  });
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base = '', bitsRaw] = cidr.split('/');
  const bits = bitsRaw === undefined ? 32 : Number(bitsRaw);
  const a = ipToInt(base);
  const b = ipToInt(ip);
  if (a === undefined || b === undefined || !(bits >= 0 && bits <= 32)) return false;
  if (bits === 0) return true;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

function peerAllows(peer: NetworkPolicyPeer, dest: Destination): boolean {
  // Pod and namespace selectors match pods, never the link-local metadata address.
  if (!peer.ipBlock) return false;
  return cidrContains(peer.ipBlock.cidr, dest.ip) && !(peer.ipBlock.except ?? []).some((e) => cidrContains(e, dest.ip));
}

function isEgressPolicy(np: NetworkPolicy): boolean {
  return np.spec.policyTypes ? np.spec.policyTypes.includes('Egress') : (np.spec.egress ?? []).length > 0;
}

export interface EgressVerdict {
  allowed: boolean;
  /** The policies that select the pod for egress (none = not isolated). */
  policies: string[];
}

export function egressAllowed(
  pod: Pod,
  policies: NetworkPolicy[],
  dest: Destination,
  enforced: boolean,
): EgressVerdict {
  const selecting = policies.filter(
    (np) =>
      np.metadata.namespace === pod.metadata.namespace &&
      isEgressPolicy(np) &&
      selects(np.spec.podSelector, pod.metadata.labels),
  );
  const names = selecting.map((np) => np.metadata.name);
  if (!enforced || selecting.length === 0) return { allowed: true, policies: names };
  const allowed = selecting.some((np) =>
    (np.spec.egress ?? []).some((rule) => {
      const toOk = !rule.to || rule.to.length === 0 || rule.to.some((peer) => peerAllows(peer, dest));
      const portOk =
        !rule.ports ||
        rule.ports.length === 0 ||
        rule.ports.some((p) => {
          if ((p.protocol ?? 'TCP') !== 'TCP') return false;
          if (p.port === undefined) return true;
          if (typeof p.port === 'string') return false; // a named port never names the metadata server's port
          return p.endPort !== undefined ? dest.port >= p.port && dest.port <= p.endPort : dest.port === p.port;
        });
      return toOk && portOk;
    }),
  );
  return { allowed, policies: names };
}
