// Kubernetes NetworkPolicy (networking.k8s.io/v1) egress evaluation for a destination outside the cluster
// (the metadata server). Policies are additive: a pod selected by no Egress policy may send anywhere; a pod
// selected by some may send only what one of their rules allows.

import { cidrContains, parseIp, tryParseCidr } from '../net/cidr.js';
import type { IpAddress } from '../net/cidr.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from './types.js';

/**
 * Label-selector semantics of the Kubernetes API: every matchLabels pair AND every matchExpressions
 * requirement must hold; the empty selector `{}` matches everything. An undefined selector also matches
 * everything: spec.podSelector is required by the API, and a missing one in a bundle is read as `{}`.
 * An unknown operator matches nothing (the API server would have rejected it).
 */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector === undefined) return true;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(have, key) || have[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(have, requirement.key);
    const value = have[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (!present || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        // A missing label is "not in" any set, as in the API server.
        if (present && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export interface EgressDecision {
  /** Some policy with Egress in its policyTypes selects the pod. */
  restricted: boolean;
  allowed: boolean;
  /** Names (`ns/name`) of the egress policies that select the pod. */
  selectingPolicies: string[];
  /** The rule that allows the destination, when one does. `rule` is the 0-based index into `spec.egress`. */
  allowedBy?: { policy: string; rule: number };
  /** One line per policy: why it does or does not allow the destination. */
  explanation: string[];
}

type Protocol = 'TCP' | 'UDP' | 'SCTP';
interface Destination {
  ip: IpAddress;
  port: number;
  protocol: Protocol;
}

/** The policy types in force: absent means Ingress, plus Egress when spec.egress is present (even `[]`). */
export function effectivePolicyTypes(policy: NetworkPolicy): string[] {
  if (policy.spec.policyTypes !== undefined) return policy.spec.policyTypes;
  return policy.spec.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress'];
}

export function policyName(policy: NetworkPolicy): string {
  return `${policy.metadata.namespace ?? '?'}/${policy.metadata.name}`;
}

interface Verdict {
  ok: boolean;
  why: string;
}

function peerAllows(peer: NetworkPolicyPeer, dest: Destination): Verdict {
  const ip = dest.ip.text;
  if (peer.ipBlock !== undefined) {
    const { cidr: cidrText, except = [] } = peer.ipBlock;
    const block = tryParseCidr(cidrText);
    if (!block.ok) return { ok: false, why: `ipBlock cidr is malformed (${block.error}), so it matches nothing` };
    const shown = except.length > 0 ? `${cidrText} except ${except.join(', ')}` : cidrText;
    if (!cidrContains(block.cidr, dest.ip)) {
      const family =
        block.cidr.family === dest.ip.family
          ? ''
          : ` (an IPv${block.cidr.family} block never matches an IPv${dest.ip.family} address)`;
      return { ok: false, why: `${ip} is outside ${cidrText}${family}` };
    }
    for (const exceptText of except) {
      const carved = tryParseCidr(exceptText);
      if (!carved.ok) {
        return {
          ok: false,
          why: `ipBlock ${shown}: except entry is malformed (${carved.error}), so the block matches nothing`,
        };
      }
      if (cidrContains(carved.cidr, dest.ip)) return { ok: false, why: `${shown}: ${ip} is excepted by ${exceptText}` };
    }
    return { ok: true, why: `${ip} is in ${shown}` };
  }
  const selectors: string[] = [];
  if (peer.podSelector !== undefined) selectors.push('podSelector');
  if (peer.namespaceSelector !== undefined) selectors.push('namespaceSelector');
  if (selectors.length > 0) {
    return {
      ok: false,
      why: `a ${selectors.join('+')} peer selects pods inside the cluster, never an external address such as ${ip}`,
    };
  }
  return { ok: false, why: 'an empty peer (no ipBlock, podSelector or namespaceSelector) matches nothing' };
}

function describePort(entry: NetworkPolicyPort): string {
  const protocol = entry.protocol ?? 'TCP';
  if (entry.port === undefined) return `${protocol}/any`;
  if (entry.endPort !== undefined) return `${protocol}/${String(entry.port)}-${entry.endPort}`;
  return typeof entry.port === 'string' ? `${protocol}/"${entry.port}"` : `${protocol}/${entry.port}`;
}

function portAllows(entry: NetworkPolicyPort, dest: Destination): Verdict {
  const shown = describePort(entry);
  const protocol = entry.protocol ?? 'TCP';
  if (protocol !== dest.protocol) return { ok: false, why: `${shown} is not ${dest.protocol}` };
  if (entry.port === undefined) return { ok: true, why: `${shown} allows every ${protocol} port` };
  if (typeof entry.port === 'string') {
    return {
      ok: false,
      why: `named port "${entry.port}" names a container port of pods in the cluster, so it cannot match ${dest.ip.text}:${dest.port}`,
    };
  }
  const end = entry.endPort ?? entry.port;
  if (dest.port >= entry.port && dest.port <= end) return { ok: true, why: `${shown} includes port ${dest.port}` };
  return { ok: false, why: `${shown} does not include port ${dest.port}` };
}

function ruleAllows(rule: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }, dest: Destination): Verdict {
  let to: Verdict;
  const peers = rule.to ?? [];
  if (peers.length === 0) {
    to = { ok: true, why: 'all destinations' };
  } else {
    const verdicts = peers.map((peer) => peerAllows(peer, dest));
    to = verdicts.find((v) => v.ok) ?? { ok: false, why: verdicts.map((v) => v.why).join('; ') };
  }
  let ports: Verdict;
  const entries = rule.ports ?? [];
  if (entries.length === 0) {
    ports = { ok: true, why: 'all ports' };
  } else {
    const verdicts = entries.map((entry) => portAllows(entry, dest));
    ports = verdicts.find((v) => v.ok) ?? { ok: false, why: verdicts.map((v) => v.why).join('; ') };
  }
  if (to.ok && ports.ok) return { ok: true, why: `${to.why}, ${ports.why}` };
  // Say only what fails: that is what a person has to change.
  const failing = [to.ok ? undefined : to.why, ports.ok ? undefined : ports.why].filter((s) => s !== undefined);
  return { ok: false, why: failing.join('; ') };
}

/** Destinations are a few fixed addresses asked about for every pod: each is parsed once. */
const destinations = new Map<string, IpAddress>();

function destinationIp(text: string): IpAddress {
  let ip = destinations.get(text);
  if (ip === undefined) {
    ip = parseIp(text);
    // Callers choose the destination (never a policy): a handful of addresses, so the map stays small.
    if (destinations.size < 64) destinations.set(text, ip);
  }
  return ip;
}

export function evaluateEgress(args: {
  pod: { namespace: string; labels: Record<string, string> | undefined };
  policies: readonly NetworkPolicy[];
  destination: { ip: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' };
}): EgressDecision {
  const dest: Destination = {
    // The destination is chosen by the caller, not read from a policy: a bad one is a programming error.
    ip: destinationIp(args.destination.ip),
    port: args.destination.port,
    protocol: args.destination.protocol ?? 'TCP',
  };
  const target = `${dest.protocol} ${dest.ip.family === 6 ? `[${dest.ip.text}]` : dest.ip.text}:${dest.port}`;

  const selecting = args.policies.filter(
    (p) => p.metadata.namespace === args.pod.namespace && selectorMatches(p.spec.podSelector, args.pod.labels),
  );
  const egressPolicies = selecting.filter((p) => effectivePolicyTypes(p).includes('Egress'));
  const explanation: string[] = [];
  let allowedBy: EgressDecision['allowedBy'];

  for (const policy of selecting) {
    const name = policyName(policy);
    if (!egressPolicies.includes(policy)) {
      explanation.push(
        `${name} selects the pod but its policyTypes [${effectivePolicyTypes(policy).join(', ')}] do not restrict egress`,
      );
      continue;
    }
    const rules = policy.spec.egress ?? [];
    if (rules.length === 0) {
      explanation.push(`${name} selects the pod and allows no egress`);
      continue;
    }
    const verdicts = rules.map((rule) => ruleAllows(rule, dest));
    const index = verdicts.findIndex((v) => v.ok);
    if (index >= 0) {
      allowedBy ??= { policy: name, rule: index };
      explanation.push(`${name} allows ${target} by egress[${index}]: ${verdicts[index]?.why ?? ''}`);
    } else {
      explanation.push(
        `${name} does not allow ${target}: ${verdicts.map((v, i) => `egress[${i}]: ${v.why}`).join(' | ')}`,
      );
    }
  }

  const restricted = egressPolicies.length > 0;
  if (!restricted) {
    explanation.push(
      `no NetworkPolicy with Egress in its policyTypes selects the pod in ${args.pod.namespace}, so ${target} is allowed`,
    );
  }
  const decision: EgressDecision = {
    restricted,
    allowed: !restricted || allowedBy !== undefined,
    selectingPolicies: egressPolicies.map(policyName),
    explanation,
  };
  if (allowedBy !== undefined) decision.allowedBy = allowedBy;
  return decision;
}
