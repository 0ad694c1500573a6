// What the app's environment does to metadata requests before any packet leaves: a proxy that client
// libraries would send them to (Node's gaxios takes HTTPS_PROXY or HTTP_PROXY for every URL; Python's
// requests takes HTTP_PROXY for http://), unless NO_PROXY excludes the metadata address and name; and the
// GCE_METADATA_HOST / GCE_METADATA_IP overrides.

import type { ProbeOptions, ProbeStep } from './types.js';
import { DEFAULT_METADATA_IP, METADATA_DNS_NAME } from './options.js';

function ipv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** Whether one NO_PROXY entry excludes `host` (exact, domain suffix, `*`, or an IPv4 CIDR). */
export function noProxyMatches(entry: string, host: string): boolean {
  const e = entry.trim().toLowerCase().replace(/:\d+$/, '');
  const h = host.toLowerCase();
  if (e === '') return false;
  if (e === '*') return true;
  const slash = e.indexOf('/');
  if (slash !== -1) {
    const base = ipv4(e.slice(0, slash));
    const bits = Number(e.slice(slash + 1));
    const addr = ipv4(h);
    if (base === undefined || addr === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
    const size = 2 ** (32 - bits);
    return Math.floor(base / size) === Math.floor(addr / size);
  }
  const domain = e.replace(/^\*?\./, '');
  return h === domain || h.endsWith(`.${domain}`);
}

export function excludedByNoProxy(noProxy: string | undefined, host: string): boolean {
  return (noProxy ?? '').split(',').some((entry) => noProxyMatches(entry, host));
}

export function environmentStep(o: ProbeOptions): ProbeStep {
  const env = o.env;
  const notes: string[] = [];
  const proxies = (['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const).filter(
    (k) => (env[k] ?? '') !== '',
  );
  const noProxy = [env.NO_PROXY, env.no_proxy].filter((v): v is string => (v ?? '') !== '').join(',');
  const hosts = [DEFAULT_METADATA_IP, METADATA_DNS_NAME];
  const intercepted = hosts.filter((h) => !excludedByNoProxy(noProxy, h));
  const evidence: Record<string, unknown> = {
    proxies: Object.fromEntries(proxies.map((k) => [k, redactProxy(env[k] ?? '')])),
    NO_PROXY: noProxy === '' ? null : noProxy,
    GCE_METADATA_HOST: env.GCE_METADATA_HOST ?? null,
    GCE_METADATA_IP: env.GCE_METADATA_IP ?? null,
  };
  if (env.METADATA_SERVER_DETECTION === 'none')
    notes.push('METADATA_SERVER_DETECTION=none: Node client libraries will not use the metadata server at all');
  if (env.GCE_METADATA_HOST) notes.push(`GCE_METADATA_HOST=${env.GCE_METADATA_HOST}: client libraries ask this host`);
  else if (env.GCE_METADATA_IP) notes.push(`GCE_METADATA_IP=${env.GCE_METADATA_IP}: client libraries ask this address`);
  if (proxies.length > 0 && intercepted.length > 0) {
    return {
      check: 'metadata-server-reachable',
      step: 'environment',
      status: 'fail',
      message:
        `${proxies.join(', ')} is set and NO_PROXY does not exclude ${intercepted.join(' and ')}: ` +
        'client libraries that honour proxies (Node gaxios, Python requests) send metadata requests to the proxy, ' +
        `which cannot reach the pod's metadata server. Add ${intercepted.join(',')} to NO_PROXY.`,
      ms: 0,
      evidence: { ...evidence, notes },
    };
  }
  const base =
    proxies.length > 0
      ? `${proxies.join(', ')} set, and NO_PROXY excludes the metadata server`
      : 'no proxy variables that would intercept the metadata server';
  return {
    check: 'metadata-server-reachable',
    step: 'environment',
    status: 'pass',
    message: notes.length > 0 ? `${base}; ${notes.join('; ')}` : base,
    ms: 0,
    evidence: { ...evidence, notes },
  };
}

/** Proxy URLs may carry credentials: keep scheme, host and port only. */
function redactProxy(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(not a URL)';
  }
}
