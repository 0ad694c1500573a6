// The fewest API calls `check --all` needs on a world, and the critical-path lower bound of a set of calls
// under a concurrency bound. Formulas are written out in BENCHMARKS.md ("Live collection against the sandbox").

import { GOOGLE_LATENCY_MS, KUBE_LATENCY_MS } from './world.mjs';

export const KUBE_PAGE = 500; // the collector's `limit` (src/collect/live/kube.ts PAGE_LIMIT)
export const IAM_LIST_PAGE = 100; // serviceAccounts.list pageSize maximum
export const SERVICES_PAGE = 200; // services.list pageSize the collector asks for

const pages = (n, size) => Math.max(1, Math.ceil(n / size));
const ANNOTATION = 'iam.gke.io/gcp-service-account';

/**
 * What the minimum depends on, read from the sandbox's world: objects per Kubernetes kind (all
 * namespaces), distinct annotated GSAs by project, accounts per project, enabled services.
 */
export function worldCounts(sandbox, kinds, clusterProject) {
  const world = sandbox.world;
  const store = world.clusters[0].store;
  const objects = Object.fromEntries(kinds.map((k) => [k, store.list(k).length]));
  const gsaByProject = new Map();
  for (const sa of store.list('serviceaccounts')) {
    const email = sa.metadata.annotations?.[ANNOTATION];
    if (email === undefined) continue;
    const project = /@([^.]+)\.iam\.gserviceaccount\.com$/i.exec(email)?.[1] ?? clusterProject;
    const set = gsaByProject.get(project) ?? new Set();
    set.add(email.toLowerCase());
    gsaByProject.set(project, set);
  }
  const accounts = {};
  for (const g of world.gsas) if (!g.deleted) accounts[g.projectId] = (accounts[g.projectId] ?? 0) + 1;
  const services = {};
  for (const [id, p] of world.projects) services[id] = p.services.size;
  return {
    objects,
    distinctGsas: Object.fromEntries([...gsaByProject].map(([p, s]) => [p, s.size])),
    accounts,
    services,
    clusterProject,
  };
}

/**
 * The minimum call set, as dependency levels. Level A needs nothing but the cluster's name; level B needs
 * the KSAs' annotations. A chain is a run of calls that cannot overlap (pages of one list).
 * In these worlds no project has a folder or organization parent, no policy names a custom role and no
 * describe fails, so getAncestry, folder/organization policies, roles.get and fallback lists are 0.
 */
export function minimumCalls(counts) {
  const A = [];
  const B = [];
  const g = (what, n = 1) => ({ what, api: 'google', n, lat: GOOGLE_LATENCY_MS });
  A.push(g('container clusters.get'), g('projects.get (cluster project)'));
  const projects = new Set([counts.clusterProject, ...Object.keys(counts.distinctGsas)]);
  for (const p of projects) {
    const level = p === counts.clusterProject ? A : B;
    if (p !== counts.clusterProject) level.push(g(`projects.get ${p}`));
    level.push(g(`projects.getIamPolicy ${p}`));
    level.push(g(`services.list ${p}`, pages(counts.services[p] ?? 0, SERVICES_PAGE)));
  }
  for (const [kind, n] of Object.entries(counts.objects)) {
    A.push({ what: `k8s list ${kind}`, api: 'kube', n: pages(n, KUBE_PAGE), lat: KUBE_LATENCY_MS });
  }
  for (const [p, d] of Object.entries(counts.distinctGsas)) {
    // Existence and `disabled` come from a describe per GSA or from the project's account list, whichever
    // is fewer calls (the bundle reader takes either: src/collect/bundle/facts.ts serviceAccount()).
    const listPages = pages(counts.accounts[p] ?? 0, IAM_LIST_PAGE);
    if (listPages < d) (p === counts.clusterProject ? A : B).push(g(`serviceAccounts.list ${p}`, listPages));
    else for (let i = 0; i < d; i++) B.push(g('serviceAccounts.get'));
    for (let i = 0; i < d; i++) B.push(g('serviceAccounts.getIamPolicy'));
  }
  const sum = (level, api) => level.filter((c) => api === undefined || c.api === api).reduce((a, c) => a + c.n, 0);
  return {
    levels: [A, B],
    google: sum(A, 'google') + sum(B, 'google'),
    kube: sum(A, 'kube') + sum(B, 'kube'),
    total: sum(A) + sum(B),
  };
}

/**
 * Lower bound of one level (phase) under `concurrency` slots: no faster than its Google calls in rounds of
 * `concurrency`, than its total latency spread over the slots, or than its longest chain.
 */
export function levelBound(chains, concurrency) {
  if (chains.length === 0) return 0;
  const googleCalls = chains.filter((c) => c.api === 'google').reduce((a, c) => a + c.n, 0);
  const busy = chains.reduce((a, c) => a + c.n * c.lat, 0);
  const longest = Math.max(...chains.map((c) => c.n * c.lat));
  return Math.max(Math.ceil(googleCalls / concurrency) * GOOGLE_LATENCY_MS, busy / concurrency, longest);
}

/** Levels are sequential: their bounds add up. */
export function lowerBound(levels, concurrency) {
  return levels.reduce((a, level) => a + levelBound(level, concurrency), 0);
}

/** The calls a run made, from its trace, as chains per collector phase (pages of one list form a chain). */
export function chainsOfTrace(trace) {
  const phases = new Map();
  let seq = 0;
  for (const e of trace) {
    const url = new URL(e.url);
    const kube = /^\/apis?\//.test(url.pathname);
    const isList = kube || /\/(serviceAccounts|services)$/.test(url.pathname);
    const key = isList ? url.pathname : `${url.pathname}#${seq++}`;
    const phase = phases.get(e.phase) ?? new Map();
    const chain = phase.get(key) ?? {
      what: url.pathname,
      api: kube ? 'kube' : 'google',
      n: 0,
      lat: kube ? KUBE_LATENCY_MS : GOOGLE_LATENCY_MS,
    };
    chain.n++;
    phase.set(key, chain);
    phases.set(e.phase, phase);
  }
  return [...phases].map(([name, m]) => ({ name, chains: [...m.values()] }));
}

/** A call's kind, for the table of calls made against the minimum. */
export function callKind(rawUrl) {
  const url = new URL(rawUrl);
  const p = url.pathname;
  if (/^\/apis?\//.test(p)) return `k8s list ${p.split('/').at(-1)}`;
  if (p.includes('/clusters/')) return 'container clusters.get';
  if (/serviceAccounts\/[^/]+:getIamPolicy$/.test(p)) return 'serviceAccounts.getIamPolicy';
  if (/serviceAccounts\/[^/]+\/keys$/.test(p)) return 'serviceAccounts.keys.list';
  if (/serviceAccounts\/[^/:]+$/.test(p)) return 'serviceAccounts.get';
  if (/serviceAccounts$/.test(p)) return 'serviceAccounts.list';
  if (/projects\/[^/]+:getIamPolicy$/.test(p)) return 'projects.getIamPolicy';
  if (/projects\/[^/]+:getAncestry$/.test(p)) return 'projects.getAncestry';
  if (/\/services$/.test(p)) return 'services.list';
  if (/roles\//.test(p)) return 'roles.get';
  if (/^\/v1\/projects\/[^/]+$/.test(p)) return 'projects.get';
  return p;
}
