// The commands the README's "Audit, logs and error messages" section and docs/audit.md, docs/logs.md and
// docs/explain-error.md show, run exactly as written (bash, `wi-doctor` on PATH as the built CLI) from a folder
// that holds the examples, against a sandbox world that has the KSA the live commands name (billing/invoicer).
// Each must exit 0, or 1 where it reports findings; never 2.

import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadScenarioFile, startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';
import { HAS_KUBECTL } from '../sandbox/helpers.js';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');

/** `wi-doctor …` lines (and pipelines into it) of the ```sh blocks of a markdown text, or of one section of it. */
function commandsOf(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? '').split('\n')) {
      if (/^(wi-doctor |kubectl logs .*\| wi-doctor )/.test(line.trim())) out.push(line.trim());
    }
  }
  return out;
}

const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const section = /## Audit, logs and error messages\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
const docs = ['docs/audit.md', 'docs/logs.md', 'docs/explain-error.md'].map((f) => readFileSync(join(repo, f), 'utf8'));
const commands = [...new Set([...commandsOf(section), ...docs.flatMap(commandsOf)])];
const built = existsSync(join(repo, 'dist', 'cli', 'bin.js'));

describe.skipIf(!built)('audit, logs and explain-error commands of README.md and docs/', { timeout: 180_000 }, () => {
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  const cwd = mkdtempSync(join(tmpdir(), 'wi-doctor-docs-'));

  beforeAll(async () => {
    // The healthy world, plus team billing: KSA invoicer impersonates its own GSA, bound.
    const scenario = await loadScenarioFile(join(repo, 'scenarios', 'healthy.yaml'));
    const project = scenario.projects.find((p) => p.id === 'acme-shop');
    project?.serviceAccounts?.push({
      name: 'invoicer',
      displayName: 'Invoicer',
      policy: {
        bindings: [
          {
            role: 'roles/iam.workloadIdentityUser',
            members: ['serviceAccount:acme-shop.svc.id.goog[billing/invoicer]'],
          },
        ],
      },
    });
    scenario.clusters?.[0]?.namespaces?.push({
      name: 'billing',
      serviceAccounts: [
        {
          name: 'invoicer',
          annotations: { 'iam.gke.io/gcp-service-account': 'invoicer@acme-shop.iam.gserviceaccount.com' },
        },
      ],
      workloads: [
        { kind: 'Deployment', name: 'invoicer', serviceAccountName: 'invoicer', node: 'default-pool', pods: [{}] },
      ],
    });
    sandbox = await startSandbox({ scenario });
    const bin = join(cwd, 'bin');
    rmSync(bin, { recursive: true, force: true });
    await run('mkdir', ['-p', bin]);
    writeFileSync(
      join(bin, 'wi-doctor'),
      `#!/bin/sh\nexec "${process.execPath}" "${join(repo, 'dist', 'cli', 'bin.js')}" "$@"\n`,
    );
    chmodSync(join(bin, 'wi-doctor'), 0o755);
    symlinkSync(join(repo, 'examples'), join(cwd, 'examples'));
    env = {
      ...process.env,
      ...sandbox.env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
      NO_COLOR: '1',
    };
  });
  afterAll(async () => {
    await sandbox.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  test('the README section and the docs show commands', () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
  });

  test.for(commands)('%s', async (line, ctx) => {
    // kubectl is an optional tool of this machine: without it the piped docs line cannot run.
    if (line.startsWith('kubectl ') && !HAS_KUBECTL) ctx.skip();
    let code = 0;
    let stdout = '';
    let stderr = '';
    try {
      const r = await run('bash', ['-o', 'pipefail', '-c', line], {
        env,
        cwd,
        timeout: 120_000,
        maxBuffer: 32 * 2 ** 20,
      });
      stdout = r.stdout;
      stderr = r.stderr;
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      code = typeof err.code === 'number' ? err.code : -1;
      stdout = err.stdout ?? '';
      stderr = err.stderr ?? '';
    }
    expect([0, 1], `${line}\nexit ${code}\n${stderr}`).toContain(code);
    expect(stderr, line).not.toMatch(/unexpected error|at .*\.js:\d+/);
    if (!line.includes('collect')) expect(stdout.length, line).toBeGreaterThan(0);
    // An error text shown as an example (given inline, not piped from a log) is one wi-doctor recognises.
    if (/(--error|explain-error) (--format \w+ )?["']/.test(line))
      expect(`${stdout}${stderr}`, line).not.toMatch(/matches no known|No known Workload Identity error/);
  });
});
