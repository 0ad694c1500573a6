// `kubectl exec` over the websocket protocol kubectl 1.32 uses (v5.channel.k8s.io), with the reference guide's
// in-pod commands run against the pod's own metadata server; exit codes and missing binaries as on GKE;
// `kubectl cp` + `kubectl exec … node FILE` runs wi-doctor's probe as the pod.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workload } from '../../../src/model/k8s/types.js';
import { probePodManifest } from '../../../src/cli/probe-pod/manifest.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/index.js';
import { CART_GSA, HAS_KUBECTL, scenario } from '../helpers.js';
import { kubectlFor, type Kubectl } from './kubectl.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const PROBE = join(REPO, 'dist/wi-doctor-probe.cjs');
const POD = 'cart-7d9f8b6c5d-abcde';

describe.skipIf(!HAS_KUBECTL)('kubectl exec into a sandbox pod', () => {
  let sb: RunningSandbox;
  let kubectl: Kubectl;
  const exec = (...cmd: string[]) => kubectl(['exec', 'deployment/cart', '-n', 'shop', '--', ...cmd]);
  beforeAll(async () => {
    sb = await startSandbox({ scenario: scenario('healthy') });
    kubectl = kubectlFor(sb);
  });
  afterAll(async () => {
    kubectl.dispose();
    await sb.stop();
  });

  it("the guide's curl to the metadata server, with and without Metadata-Flavor", async () => {
    const email = await exec(
      'curl',
      '-s',
      '-H',
      'Metadata-Flavor: Google',
      'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/email',
    );
    expect(email).toEqual({ code: 0, stdout: CART_GSA, stderr: '' });
    const id = await exec(
      'curl',
      '-s',
      '-H',
      'Metadata-Flavor: Google',
      'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity?audience=https://example.com',
    );
    expect(id.stdout).toMatch(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/);
    const noFlavor = await exec(
      'curl',
      '-s',
      'http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/email',
    );
    expect(noFlavor.stdout).toBe('Missing required header "Metadata-Flavor": "Google"\n');
    const failing = await exec(
      'curl',
      '-sSf',
      'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/email',
    );
    expect(failing.code).toBe(22);
    expect(failing.stderr).toBe(
      'curl: (22) The requested URL returned error: 403\ncommand terminated with exit code 22\n',
    );
    const unknown = await exec('curl', '-sS', 'http://example.invalid/');
    expect(unknown.code).toBe(6);
    expect(unknown.stderr).toMatch(/^curl: \(6\) Could not resolve host: example\.invalid\n/);
  });

  it('nslookup, the token files, env', async () => {
    const dns = await exec('nslookup', 'metadata.google.internal');
    expect(dns.stdout).toMatch(/^Name:\tmetadata\.google\.internal\nAddress: 169\.254\.169\.254$/m);
    const ls = await exec('ls', '-la', '/var/run/secrets/kubernetes.io/serviceaccount/');
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^lrwxrwxrwx 1 root root\s+\d+ .{12} token -> \.\.data\/token$/m);
    expect(ls.stdout).toMatch(/^lrwxrwxrwx 1 root root\s+\d+ .{12} \.\.data -> \.\.2025_01_15_11_00_02\.\d{9}$/m);
    expect((await exec('cat', '/var/run/secrets/kubernetes.io/serviceaccount/namespace')).stdout).toBe('shop');
    const token = (await exec('cat', '/var/run/secrets/kubernetes.io/serviceaccount/token')).stdout;
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      iss: 'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters/prod',
      sub: 'system:serviceaccount:shop:cart',
      'kubernetes.io': { pod: { name: POD } },
    });
    const missing = await exec('cat', '/var/run/secrets/tokens/gcp-ksa');
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: 'cat: /var/run/secrets/tokens/gcp-ksa: No such file or directory\ncommand terminated with exit code 1\n',
    });
    const env = await exec('env');
    expect(env.stdout).toMatch(new RegExp(`^HOSTNAME=${POD}$`, 'm'));
    expect(env.stdout).toMatch(/^KUBERNETES_SERVICE_HOST=34\.118\.224\.1$/m);
  });

  it('a binary the container lacks, and a shell one-liner with pipes and an exit code', async () => {
    const none = await exec('ps', 'aux');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "ps": executable file not found in \$PATH: unknown\n$/,
    );
    const sh = await exec(
      'sh',
      '-c',
      'cut -d. -f2 /var/run/secrets/kubernetes.io/serviceaccount/token | base64 -d | grep -o "system:serviceaccount:[a-z:]*"; exit 3',
    );
    expect(sh.stdout).toBe('system:serviceaccount:shop:cart\n');
    expect(sh.code).toBe(3);
    expect(sh.stderr).toBe('command terminated with exit code 3\n');
    // A token from the metadata server, then Google's tokeninfo (the sandbox's, for *.googleapis.com).
    const info = await exec(
      'sh',
      '-c',
      'TOKEN=$(curl -s -H "Metadata-Flavor: Google" http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token | cut -d\\" -f4); curl -s "https://oauth2.googleapis.com/tokeninfo?access_token=$TOKEN"',
    );
    expect(JSON.parse(info.stdout)).toMatchObject({ email: CART_GSA });
  });

  it.skipIf(!existsSync(PROBE))("kubectl cp + kubectl exec … node: wi-doctor's probe runs as the pod", async () => {
    const cp = await kubectl(['cp', PROBE, `shop/${POD}:/tmp/p.cjs`]);
    expect(cp).toMatchObject({ code: 0, stderr: '' });
    expect((await kubectl(['exec', '-n', 'shop', POD, '--', 'ls', '/tmp'])).stdout).toBe('p.cjs\n');
    const r = await kubectl(['exec', '-n', 'shop', POD, '--', 'node', '/tmp/p.cjs', '--format', 'json'], {
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      results: { check: string; status: string; evidence?: { actual?: unknown } }[];
    };
    const identity = report.results.find((x) => x.check === 'pod-identity');
    // No --expect-gsa: the GSA is reported, not compared with one (skip, shown `–`).
    expect(identity).toMatchObject({ status: 'skip', evidence: { actual: CART_GSA } });
    expect(report.results.find((x) => x.check === 'pod-access-token')?.status).toBe('pass');
  });

  it.skipIf(!existsSync(PROBE))("the README's and docs' probe line, as written", async () => {
    const line = readFileSync(join(REPO, 'README.md'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('kubectl cp dist/wi-doctor-probe.cjs '));
    expect(line).toBe(
      'kubectl cp dist/wi-doctor-probe.cjs shop/cart-7d9f8b6c5d-abcde:/tmp/p.cjs && kubectl exec -n shop cart-7d9f8b6c5d-abcde -- node /tmp/p.cjs',
    );
    expect(readFileSync(join(REPO, 'docs/sandbox.md'), 'utf8')).toContain(`  ${line ?? ''}\n`);
    const r = await kubectl.sh(`cd ${REPO} && ${line ?? ''}`);
    expect(r.stdout).toMatch(
      /^– pod-identity\s+the pod is cart-gsa@acme-shop\.iam\.gserviceaccount\.com.* not compared/m,
    );
    expect(r.code).toBe(0);
  });

  it.skipIf(!existsSync(PROBE))(
    'a probe pod (probe-pod | kubectl apply) runs the probe, completes, and logs its report',
    async () => {
      const deployment = JSON.parse(
        (await kubectl(['get', 'deployment', 'cart', '-n', 'shop', '-o', 'json'])).stdout,
      ) as Workload;
      const manifest = probePodManifest(deployment, {
        image: 'node:20-alpine',
        probeSource: readFileSync(PROBE, 'utf8'),
        expectGsa: CART_GSA,
      });
      const applied = await kubectl(['apply', '-f', '-'], { input: manifest });
      expect(applied.stdout).toBe('configmap/wi-doctor-probe created\npod/wi-doctor-probe-cart created\n');
      const done = await kubectl([
        'wait',
        '--for=jsonpath={.status.phase}=Succeeded',
        'pod/wi-doctor-probe-cart',
        '-n',
        'shop',
        '--timeout=30s',
      ]);
      expect(done.stdout).toBe('pod/wi-doctor-probe-cart condition met\n');
      expect((await kubectl(['get', 'pod', 'wi-doctor-probe-cart', '-n', 'shop'])).stdout).toMatch(
        /^wi-doctor-probe-cart\s+0\/1\s+Completed\s+0\s+\d+s$/m,
      );
      const logs = await kubectl(['logs', '-n', 'shop', 'wi-doctor-probe-cart']);
      expect(logs.stdout).toMatch(
        /^✓ pod-identity\s+the pod is cart-gsa@acme-shop\.iam\.gserviceaccount\.com, the expected GSA$/m,
      );
      await kubectl(['delete', '-n', 'shop', 'pod/wi-doctor-probe-cart', 'configmap/wi-doctor-probe']);
    },
  );

  it('kubectl logs: the app, and the gke-metadata-server of its node', async () => {
    const app = await kubectl(['logs', 'deployment/cart', '-n', 'shop']);
    expect(app.code).toBe(0);
    expect(app.stdout).toMatch(/^\S+Z INFO server listening on :8080$/m);
    const mdsPod = (
      await kubectl([
        'get',
        'pods',
        '-n',
        'kube-system',
        '--field-selector',
        'spec.nodeName=gke-prod-default-pool-1a2b3c4d-x1y2',
        '-o',
        'name',
      ])
    ).stdout.trim();
    const mds = await kubectl(['logs', '-n', 'kube-system', mdsPod]);
    expect(mds.stdout).toMatch(
      new RegExp(
        `^I\\d{4} [\\d:.]+\\s+1 \\S+\\] \\[pod:shop/${POD} ip:[\\d.]+\\] "/computeMetadata/v1/instance/service-accounts/default/token" HTTP/200$`,
        'm',
      ),
    );
  });
});
