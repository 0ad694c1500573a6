// One live `wi-doctor audit` collection + audit in a process of its own (so its peak memory is the audit's, not
// the sandbox's), exactly as src/cli/actions/audit.ts readLive() does it. Input: argv[2] = JSON {env,
// concurrency?}. Output: one JSON line on stdout: counts, times, the trace of every HTTP attempt, peak RSS,
// the audit's results by check and status.

import { performance } from 'node:perf_hooks';

process.env.METADATA_SERVER_DETECTION = 'none';
const config = JSON.parse(process.argv[2] ?? '{}');
const root = new URL('../../dist/', import.meta.url);
const { CHECKS } = await import(new URL('checks/index.js', root).href);
const { DEFAULT_UNUSED_DAYS } = await import(new URL('checks/unused-gsa.js', root).href);
const { audit, selectAuditChecks } = await import(new URL('engine/audit.js', root).href);
const { collectLiveInput } = await import(new URL('collect/live/live.js', root).href);
const { factsFromFiles } = await import(new URL('collect/bundle/facts.js', root).href);
const { auditRequires, auditLogs, creationEvidence } = await import(new URL('cli/actions/audit.js', root).href);

const checks = selectAuditChecks(CHECKS, undefined, undefined);
const requires = auditRequires(checks);
const options = {
  all: true,
  quiet: true,
  ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
};
const t0 = performance.now();
const trace = [];
const { input, stats } = await collectLiveInput(
  options,
  requires,
  {
    env: { ...config.env, METADATA_SERVER_DETECTION: 'none' },
    onTrace: (e) => {
      const end = performance.now() - t0;
      trace.push({ method: e.method, url: e.url, status: e.status, ms: e.ms, end, start: end - e.ms });
    },
  },
  checks.some((c) => c.requires.includes('logEntries'))
    ? { logs: auditLogs(DEFAULT_UNUSED_DAYS), changeEvidence: creationEvidence }
    : {},
);
const collectMs = performance.now() - t0;
const facts = factsFromFiles(input);
const report = audit(facts, CHECKS, {
  options: { need: [], on: undefined, impersonate: undefined, e2e: false, unusedDays: DEFAULT_UNUSED_DAYS },
  only: undefined,
  skip: undefined,
  source: 'live',
  version: 'bench',
  generatedAt: new Date().toISOString(),
});
const totalMs = performance.now() - t0;
const byCheck = {};
for (const r of report.results) {
  const key = `${r.checkId ?? r.check ?? r.id}:${r.status}`;
  byCheck[key] = (byCheck[key] ?? 0) + 1;
}
const usage = process.resourceUsage();
process.stdout.write(
  `${JSON.stringify({
    requires,
    checks: checks.map((c) => c.id),
    collectMs,
    auditMs: totalMs - collectMs,
    totalMs,
    runnerWallMs: stats.wallMs,
    calls: stats.calls,
    totalCalls: stats.totalCalls,
    retries: stats.retries,
    failures: stats.failures,
    errors: input.manifest.errors ?? {},
    results: report.results.length,
    byCheck,
    maxRssKiB: usage.maxRSS,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    trace,
  })}\n`,
);
