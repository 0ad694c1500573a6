// The kubectl convention: the package's `kubectl-wi_doctor` executable, on the PATH as npm links it, runs
// as `kubectl wi-doctor …` through the real kubectl, here against a sandbox world (KUBECONFIG and the Google
// endpoints from the sandbox's environment, as `wi-doctor sandbox --env-out` writes them).

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { withSandbox } from '../sandbox/helpers.js';

const run = promisify(execFile);

/** A command's exit status and output, whatever the status. */
function exec(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, encoding: 'utf8' }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}
const repo = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  version: string;
};
const plugin = pkg.bin['kubectl-wi_doctor'];
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const hasKubectl = kubectl.status === 0;
const built = plugin !== undefined && existsSync(join(repo, plugin));

// A bin folder like the one npm links executables into.
const bin = mkdtempSync(join(tmpdir(), 'wi-doctor-plugin-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
if (built) symlinkSync(join(repo, plugin), join(bin, 'kubectl-wi_doctor'));
const PATH = `${bin}:${process.env['PATH'] ?? ''}`;

describe('kubectl wi-doctor', () => {
  it('is declared in package.json as the same executable as wi-doctor', () => {
    expect(plugin).toBe(pkg.bin['wi-doctor']);
  });

  it.skipIf(!hasKubectl || !built)('is found by kubectl plugin list and prints the version', async () => {
    const env = { ...process.env, PATH };
    // `kubectl plugin list` exits 1 when other PATH entries hold warnings; its list is on stdout either way.
    const list = spawnSync('kubectl', ['plugin', 'list'], { env, encoding: 'utf8' });
    expect(list.stdout).toContain(join(bin, 'kubectl-wi_doctor'));
    const { stdout } = await run('kubectl', ['wi-doctor', '--version'], { env });
    expect(stdout.trim()).toBe(pkg.version);
  });

  it.skipIf(!hasKubectl || !built)(
    'checks a pod of the sandbox cluster through kubectl',
    { timeout: 120_000 },
    async () => {
      await withSandbox('missing-binding', async (sb) => {
        const env = {
          ...process.env,
          ...sb.env,
          PATH,
          NO_COLOR: '1',
          METADATA_SERVER_DETECTION: 'none',
          CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
        };
        const pods = await run('kubectl', ['get', 'pods', '-n', 'shop', '-o', 'name'], { env });
        const cart = pods.stdout
          .split('\n')
          .map((l) => l.replace(/^pod\//, ''))
          .find((n) => n.startsWith('cart-'));
        expect(cart).toBeDefined();
        // Asynchronously: the sandbox answers from this process's event loop.
        const result = await exec('kubectl', ['wi-doctor', 'check', '--pod', `shop/${cart ?? ''}`, '--quiet'], env);
        // A finding: exit 1 through kubectl, the verdict on stdout.
        expect(result.status, `${result.stderr}\n${result.stdout}`).toBe(1);
        expect(result.stdout).toMatch(new RegExp(`✗ shop/pod/${cart ?? ''} — wi-binding`));
      });
    },
  );
});
