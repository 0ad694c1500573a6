// The network-policy-metadata fixes `check --all` prints, pasted together into a shell with the real kubectl
// against the sandbox, leave every subject passing: each subject's NetworkPolicy has its own name (the same one
// `fix` applies), so the second does not overwrite the first.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/results.js';
import { renderedFix } from '../../src/report/fixes.js';
import { cli, scenario, withWorld } from '../fix/helpers.js';
import { HAS_KUBECTL } from '../sandbox/helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'wi-doctor-netpol-paste-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** bash, asynchronously: the sandbox answering kubectl runs in this process. */
function bash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-c', `set -euo pipefail\n${script}`], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const netpol = (report: Report) => report.results.filter((r) => r.check === 'network-policy-metadata');

describe('network-policy-metadata: the printed fixes, pasted together', () => {
  it.skipIf(!HAS_KUBECTL)('leave both shop/api and shop/cart passing, and name the policies as fix does', async () => {
    await withWorld(await scenario('netpol-blocks-metadata'), async (_sb, env) => {
      const before = JSON.parse((await cli(['check', '--all', '--format', 'json'], env)).stdout) as Report;
      const failing = netpol(before).filter((r) => r.status === 'fail');
      expect(failing.map((r) => r.subject).sort()).toEqual(['shop/api', 'shop/cart']);
      const plans = failing.flatMap((r) => r.fix);
      const targets = plans.map((p) => p.target);
      expect(new Set(targets).size).toBe(targets.length);
      // fix plans the very same names.
      const plan = await cli(['fix', '--all', '--format', 'json'], env);
      const planned = (JSON.parse(plan.stdout) as { steps: { target: string }[] }).steps.map((s) => s.target);
      expect(planned.sort()).toEqual([...targets].sort());
      // The Terraform resources differ too.
      const terraform = plans.map(
        (p) => /resource "kubernetes_network_policy_v1" "([^"]+)"/.exec(renderedFix(p).terraform ?? '')?.[1],
      );
      expect(new Set(terraform).size).toBe(plans.length);

      const script = plans.map((p) => renderedFix(p).kubectl ?? '').join('\n');
      const run = await bash(script, scratch, env);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.match(/created/g)).toHaveLength(2);

      const after = JSON.parse((await cli(['check', '--all', '--format', 'json'], env)).stdout) as Report;
      expect(
        netpol(after)
          .map((r) => `${r.subject} ${r.status}`)
          .sort(),
      ).toEqual(['shop/api pass', 'shop/cart pass']);
    });
  });
});
