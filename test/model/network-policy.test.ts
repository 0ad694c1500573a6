import { describe, expect, it } from 'vitest';
import { evaluateEgress, selectorMatches } from '../../src/model/k8s/network-policy.js';
import type { LabelSelector, NetworkPolicy } from '../../src/model/k8s/types.js';

const CART = { namespace: 'shop', labels: { app: 'cart', tier: 'backend' } };
const DPV2 = { ip: '169.254.169.254', port: 80 };
const LEGACY = { ip: '169.254.169.252', port: 988 };

function policy(name: string, spec: Partial<NetworkPolicy['spec']>, namespace = 'shop'): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace },
    spec: { podSelector: {}, ...spec },
  };
}

const defaultDeny = policy('default-deny-egress', { policyTypes: ['Egress'], egress: [] });
const allowMetadata80 = policy('allow-metadata', {
  policyTypes: ['Egress'],
  egress: [{ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [{ protocol: 'TCP', port: 80 }] }],
});
const allowLegacy988 = policy('allow-metadata-legacy', {
  policyTypes: ['Egress'],
  egress: [{ to: [{ ipBlock: { cidr: '169.254.169.252/32' } }], ports: [{ port: 988 }] }],
});

interface Case {
  name: string;
  policies: NetworkPolicy[];
  destination?: { ip: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' };
  pod?: { namespace: string; labels: Record<string, string> | undefined };
  restricted: boolean;
  allowed: boolean;
  allowedBy?: { policy: string; rule: number };
  explanation?: RegExp[];
}

const cases: Case[] = [
  {
    name: 'no policies: not restricted',
    policies: [],
    restricted: false,
    allowed: true,
    explanation: [/no NetworkPolicy with Egress/],
  },
  {
    name: 'default deny (egress [])',
    policies: [defaultDeny],
    restricted: true,
    allowed: false,
    explanation: [/^shop\/default-deny-egress selects the pod and allows no egress$/],
  },
  {
    name: 'policyTypes absent with egress [] present: restricts egress',
    policies: [policy('deny', { egress: [] })],
    restricted: true,
    allowed: false,
    explanation: [/^shop\/deny selects the pod and allows no egress$/],
  },
  {
    name: 'policyTypes [Egress] with egress absent: denies all egress',
    policies: [policy('deny', { policyTypes: ['Egress'] })],
    restricted: true,
    allowed: false,
  },
  {
    name: 'ingress-only policy (policyTypes absent, no egress) does not restrict',
    policies: [policy('ingress-only', { ingress: [{}] })],
    restricted: false,
    allowed: true,
    explanation: [/shop\/ingress-only selects the pod but its policyTypes \[Ingress\] do not restrict egress/],
  },
  {
    name: 'explicit Ingress policyTypes with an egress section still does not restrict egress',
    policies: [policy('ingress-typed', { policyTypes: ['Ingress'], egress: [] })],
    restricted: false,
    allowed: true,
  },
  {
    name: 'allow 169.254.169.254/32 port 80: Dataplane V2 path allowed',
    policies: [defaultDeny, allowMetadata80],
    restricted: true,
    allowed: true,
    allowedBy: { policy: 'shop/allow-metadata', rule: 0 },
    explanation: [
      /allows no egress/,
      /^shop\/allow-metadata allows TCP 169.254.169.254:80 by egress\[0\]: .*169.254.169.254\/32.*TCP\/80/,
    ],
  },
  {
    name: 'allow 169.254.169.254/32 port 80 does not allow port 988 on it',
    policies: [allowMetadata80],
    destination: { ip: '169.254.169.254', port: 988 },
    restricted: true,
    allowed: false,
    explanation: [/TCP\/80 does not include port 988/],
  },
  {
    name: 'allow 169.254.169.254/32 port 80 does not allow the legacy 169.254.169.252:988',
    policies: [allowMetadata80],
    destination: LEGACY,
    restricted: true,
    allowed: false,
    explanation: [/169.254.169.252 is outside 169.254.169.254\/32; TCP\/80 does not include port 988/],
  },
  {
    name: 'legacy allow 169.254.169.252/32 port 988 (protocol defaults to TCP)',
    policies: [allowLegacy988],
    destination: LEGACY,
    restricted: true,
    allowed: true,
    allowedBy: { policy: 'shop/allow-metadata-legacy', rule: 0 },
  },
  {
    name: 'ipBlock with no ports allows every port',
    policies: [
      policy('any-port', { policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }] }] }),
    ],
    destination: { ip: '169.254.169.254', port: 988 },
    restricted: true,
    allowed: true,
  },
  {
    name: 'ports [] means all ports',
    policies: [
      policy('empty-ports', {
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [] }],
      }),
    ],
    restricted: true,
    allowed: true,
  },
  {
    name: 'except carves out the metadata range',
    policies: [
      policy('allow-internet', {
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.0.0/16'] } }] }],
      }),
    ],
    restricted: true,
    allowed: false,
    explanation: [
      /^shop\/allow-internet does not allow TCP 169.254.169.254:80: egress\[0\]: 0.0.0.0\/0 except 10.0.0.0\/8, 169.254.0.0\/16: 169.254.169.254 is excepted by 169.254.0.0\/16$/,
    ],
  },
  {
    name: 'except that misses the metadata IP leaves it allowed',
    policies: [
      policy('allow-internet', {
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }],
      }),
    ],
    restricted: true,
    allowed: true,
  },
  {
    name: '0.0.0.0/0 allows the metadata IP',
    policies: [
      policy('all', {
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 80 }] }],
      }),
    ],
    restricted: true,
    allowed: true,
  },
  {
    name: '::/0 does not allow an IPv4 destination',
    policies: [policy('v6', { policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '::/0' } }] }] })],
    restricted: true,
    allowed: false,
    explanation: [/IPv6 block never matches an IPv4 address/],
  },
  {
    name: 'IPv6 destination inside an IPv6 block',
    policies: [policy('v6', { policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: 'fd20:ce::/32' } }] }] })],
    destination: { ip: 'fd20:ce::254', port: 80 },
    restricted: true,
    allowed: true,
    explanation: [/allows TCP \[fd20:ce::254\]:80/],
  },
  {
    name: 'endPort range including 988',
    policies: [
      policy('range', {
        policyTypes: ['Egress'],
        egress: [{ ports: [{ protocol: 'TCP', port: 900, endPort: 1000 }] }],
      }),
    ],
    destination: LEGACY,
    restricted: true,
    allowed: true,
  },
  {
    name: 'endPort range excluding 80',
    policies: [
      policy('range', {
        policyTypes: ['Egress'],
        egress: [{ ports: [{ protocol: 'TCP', port: 900, endPort: 1000 }] }],
      }),
    ],
    restricted: true,
    allowed: false,
    explanation: [/TCP\/900-1000 does not include port 80/],
  },
  {
    name: 'named port cannot match an external destination',
    policies: [policy('named', { policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] })],
    restricted: true,
    allowed: false,
    explanation: [/named port "http" .*cannot match 169.254.169.254:80/],
  },
  {
    name: 'UDP port 80 does not allow TCP 80',
    policies: [
      policy('udp', {
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [{ protocol: 'UDP', port: 80 }] }],
      }),
    ],
    restricted: true,
    allowed: false,
    explanation: [/UDP\/80 is not TCP/],
  },
  {
    name: 'UDP port 80 allows a UDP destination',
    policies: [policy('udp', { policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 80 }] }] })],
    destination: { ip: '169.254.169.254', port: 80, protocol: 'UDP' },
    restricted: true,
    allowed: true,
  },
  {
    name: 'protocol without port allows every port of that protocol',
    policies: [policy('tcp', { policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'TCP' }] }] })],
    destination: LEGACY,
    restricted: true,
    allowed: true,
  },
  {
    name: 'podSelector-only and namespaceSelector peers never match an external IP',
    policies: [
      policy('to-pods', {
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: {} }, { namespaceSelector: {}, podSelector: { matchLabels: { app: 'x' } } }] }],
      }),
    ],
    restricted: true,
    allowed: false,
    explanation: [/a podSelector peer selects pods inside the cluster.*; a podSelector\+namespaceSelector peer/],
  },
  {
    name: 'two policies union: deny plus an allow in another policy',
    policies: [
      policy('allow-dns', {
        policyTypes: ['Egress'],
        egress: [
          {
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      }),
      allowMetadata80,
    ],
    restricted: true,
    allowed: true,
    allowedBy: { policy: 'shop/allow-metadata', rule: 0 },
    explanation: [/^shop\/allow-dns does not allow/, /^shop\/allow-metadata allows/],
  },
  {
    name: 'second rule of a policy allows',
    policies: [
      policy('two-rules', {
        policyTypes: ['Egress'],
        egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }, { to: [{ ipBlock: { cidr: '169.254.0.0/16' } }] }],
      }),
    ],
    restricted: true,
    allowed: true,
    allowedBy: { policy: 'shop/two-rules', rule: 1 },
  },
  {
    name: 'policy in another namespace does not select the pod',
    policies: [policy('default-deny-egress', { policyTypes: ['Egress'], egress: [] }, 'other')],
    restricted: false,
    allowed: true,
  },
  {
    name: 'allow in another namespace does not lift a deny',
    policies: [defaultDeny, { ...allowMetadata80, metadata: { name: 'allow-metadata', namespace: 'other' } }],
    restricted: true,
    allowed: false,
  },
  {
    name: 'policy whose podSelector does not match the pod',
    policies: [
      policy('deny-frontend', {
        podSelector: { matchLabels: { app: 'frontend' } },
        policyTypes: ['Egress'],
        egress: [],
      }),
    ],
    restricted: false,
    allowed: true,
  },
  {
    name: 'policy selecting by matchExpressions',
    policies: [
      policy('deny-backend', {
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend', 'db'] }] },
        policyTypes: ['Egress'],
        egress: [],
      }),
    ],
    restricted: true,
    allowed: false,
  },
  {
    name: 'malformed cidr: the rule does not match and the explanation says why',
    policies: [
      policy('bad', { policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '169.254.169.254' } }] }] }),
    ],
    restricted: true,
    allowed: false,
    explanation: [/ipBlock cidr is malformed \("169.254.169.254" is not a CIDR: the \/prefix length is missing\)/],
  },
  {
    name: 'malformed cidr in one peer, a good peer still allows',
    policies: [
      policy('mixed', {
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '169.254.169.254/40' } }, { ipBlock: { cidr: '169.254.169.254/32' } }] }],
      }),
    ],
    restricted: true,
    allowed: true,
  },
  {
    name: 'malformed except entry: the peer matches nothing',
    policies: [
      policy('bad-except', {
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['nope'] } }] }],
      }),
    ],
    restricted: true,
    allowed: false,
    explanation: [/except entry is malformed/],
  },
  {
    name: 'pod without labels is selected by {} only',
    pod: { namespace: 'shop', labels: undefined },
    policies: [
      defaultDeny,
      policy('deny-cart', { podSelector: { matchLabels: { app: 'cart' } }, policyTypes: ['Egress'], egress: [] }),
    ],
    restricted: true,
    allowed: false,
  },
];

describe('evaluateEgress', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const decision = evaluateEgress({ pod: c.pod ?? CART, policies: c.policies, destination: c.destination ?? DPV2 });
    expect(decision.restricted).toBe(c.restricted);
    expect(decision.allowed).toBe(c.allowed);
    if (c.allowedBy) expect(decision.allowedBy).toEqual(c.allowedBy);
    if (!c.allowed) expect(decision.allowedBy).toBeUndefined();
    for (const [i, pattern] of (c.explanation ?? []).entries()) {
      expect(decision.explanation[i], decision.explanation.join('\n')).toMatch(pattern);
    }
  });

  it('lists the selecting egress policies and explains each in one line', () => {
    const decision = evaluateEgress({
      pod: CART,
      policies: [defaultDeny, policy('ingress-only', { ingress: [] }), allowMetadata80, policy('x', {}, 'other')],
      destination: DPV2,
    });
    expect(decision.selectingPolicies).toEqual(['shop/default-deny-egress', 'shop/allow-metadata']);
    expect(decision.explanation).toHaveLength(3);
    for (const line of decision.explanation) expect(line).not.toContain('\n');
  });

  it('throws on a destination that is no IP address (a programming error)', () => {
    expect(() =>
      evaluateEgress({ pod: CART, policies: [], destination: { ip: 'metadata.google.internal', port: 80 } }),
    ).toThrow(/not an IPv4 or IPv6 address/);
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'cart', tier: 'backend' };
  const cases: [
    name: string,
    selector: LabelSelector | undefined,
    labels: Record<string, string> | undefined,
    match: boolean,
  ][] = [
    ['undefined selector matches all', undefined, labels, true],
    ['empty selector matches all', {}, labels, true],
    ['empty selector matches a pod without labels', {}, undefined, true],
    ['matchLabels equal', { matchLabels: { app: 'cart' } }, labels, true],
    ['matchLabels differ', { matchLabels: { app: 'api' } }, labels, false],
    ['matchLabels missing key', { matchLabels: { team: 'a' } }, labels, false],
    ['matchLabels all must hold', { matchLabels: { app: 'cart', tier: 'db' } }, labels, false],
    ['In matches', { matchExpressions: [{ key: 'app', operator: 'In', values: ['api', 'cart'] }] }, labels, true],
    ['In value not listed', { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] }, labels, false],
    ['In key missing', { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] }, labels, false],
    ['NotIn value listed', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['cart'] }] }, labels, false],
    [
      'NotIn value not listed',
      { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['api'] }] },
      labels,
      true,
    ],
    [
      'NotIn key missing matches',
      { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] },
      labels,
      true,
    ],
    ['Exists present', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels, true],
    ['Exists absent', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, labels, false],
    ['DoesNotExist absent', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, labels, true],
    ['DoesNotExist present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels, false],
    [
      'unknown operator never matches',
      { matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] },
      labels,
      false,
    ],
    [
      'matchLabels AND matchExpressions',
      { matchLabels: { app: 'cart' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['backend'] }] },
      labels,
      false,
    ],
    [
      'inherited property names are not labels',
      { matchExpressions: [{ key: 'toString', operator: 'Exists' }] },
      labels,
      false,
    ],
  ];
  it.each(cases)('%s', (_name, selector, podLabels, match) => {
    expect(selectorMatches(selector, podLabels)).toBe(match);
  });
});
