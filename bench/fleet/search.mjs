// Benchmark: the sandbox's cost of one Cloud Asset `searchAllIamPolicies` page over the fleet world (200 projects,
// 2,000 GSA policies), the query a fleet run sends, without injected latency: the server-side CPU behind the
// fleet run's organization search. Loopback only; stops by itself. Not a test.
// Usage: node bench/fleet/search.mjs [--pages 5] [--gsas 2000] [--projects 200] [--clusters 30]

import { parseArgs } from 'node:util';
import { ORG, fleetScenario } from './world.mjs';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '5' },
    gsas: { type: 'string', default: '2000' },
    projects: { type: 'string', default: '200' },
    clusters: { type: 'string', default: '30' },
  },
  strict: true,
});
const N = {
  clusters: Number(values.clusters),
  ksas: Number(values.gsas),
  gsas: Number(values.gsas),
  projects: Number(values.projects),
};
const { startSandbox } = await import(new URL('../../dist/sandbox/index.js', import.meta.url).href);
const { FLEET_COVERAGE, searchQuery } = await import(
  new URL('../../dist/model/iam/asset-search.js', import.meta.url).href
);

const scenario = { ...fleetScenario(N), faults: undefined };
const sandbox = await startSandbox({ scenario });
try {
  const base = `${sandbox.endpoints.cloudasset}/v1/organizations/${ORG}:searchAllIamPolicies`;
  const query = searchQuery(FLEET_COVERAGE);
  let token;
  let results = 0;
  const times = [];
  const cpus = [];
  for (let page = 0; page < Number(values.pages); page++) {
    const url = new URL(base);
    url.searchParams.set('query', query);
    url.searchParams.set('pageSize', '500');
    if (token !== undefined) url.searchParams.set('pageToken', token);
    const t = performance.now();
    const c = process.cpuUsage();
    const res = await fetch(url, { headers: { authorization: `Bearer ${sandbox.adminToken}` } });
    const body = await res.json();
    times.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpus.push((used.user + used.system) / 1000);
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
    results += body.results?.length ?? 0;
    token = body.nextPageToken;
    if (token === undefined) break;
  }
  console.log(
    `searchAllIamPolicies over ${N.projects} projects, ${N.gsas} GSAs: ${results} results in ${times.length} pages; ` +
      `per page ${times.map((t, i) => `${Math.round(t)} ms (CPU ${Math.round(cpus[i])} ms)`).join(', ')}; total ${Math.round(times.reduce((a, b) => a + b, 0))} ms`,
  );
} finally {
  await sandbox.stop();
}
