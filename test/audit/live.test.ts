// audit live against the sandbox: on every scenario the live audit equals the audit of the bundle
// `collect --audit` writes from the same world, and reads what the audit needs without an unreadable fact.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { auditLogs, auditRequires, creationEvidence } from '../../src/cli/actions/audit.js';
import { runCollectCommand } from '../../src/cli/actions/collect.js';
import type { Io } from '../../src/cli/output.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { readBundle } from '../../src/collect/bundle/read.js';
import { collectLiveInput } from '../../src/collect/live/live.js';
import { audit } from '../../src/engine/audit.js';
import { DEFAULT_OPTIONS } from '../../src/engine/diagnose.js';
import type { Facts } from '../../src/model/facts.js';
import type { Report } from '../../src/model/results.js';
import { loadScenarioFile, startSandbox } from '../../src/sandbox/index.js';

const SCENARIOS = join(import.meta.dirname, '../../scenarios');

function quietIo(env: NodeJS.ProcessEnv): Io {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return { stdout: sink, stderr: sink, env };
}

const auditOf = (facts: Facts): Report =>
  audit(facts, CHECKS, {
    options: DEFAULT_OPTIONS,
    source: 'test',
    version: 'test',
    generatedAt: '2026-01-01T00:00:00Z',
  });
const comparable = (r: Report) => ({ results: r.results, summary: r.summary });

describe('audit live equals audit of the bundle collect --audit writes', { timeout: 120_000 }, () => {
  const files = readdirSync(SCENARIOS)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  it.each(files)('%s', async (file) => {
    const sandbox = await startSandbox({ scenario: await loadScenarioFile(join(SCENARIOS, file)) });
    const env = {
      ...sandbox.env,
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
    };
    const out = mkdtempSync(join(tmpdir(), 'wi-doctor-audit-'));
    try {
      const { input, stats } = await collectLiveInput(
        { all: true },
        auditRequires(),
        { env, retryBaseDelayMs: 5 },
        { logs: auditLogs(90), changeEvidence: creationEvidence },
      );
      const live = auditOf(factsFromFiles(input));
      expect(await runCollectCommand({ audit: true, out }, quietIo(env))).toBe(0);
      const bundle = await readBundle(out);
      expect(comparable(auditOf(bundle.facts))).toEqual(comparable(live));
      // Every API the audit reads answers in the sandbox: an unknown here would be a gap, not a finding. A 404
      // is an answer (gsa-deleted: the deleted account's policy and keys are absent), counted as a failed call.
      expect(stats.failures).toBe(input.manifest.absent?.length ?? 0);
      expect(Object.keys(input.manifest.errors ?? {})).toEqual([]);
      expect(
        live.results.filter((r) => r.status === 'unknown').map((r) => `${r.check} ${r.subject}: ${r.cause ?? ''}`),
      ).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
      await sandbox.stop();
    }
  });
});
