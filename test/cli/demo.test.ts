// `wi-doctor demo`: a whole run against the built-in sandbox (in-process), the report it prints, its exit
// code, and that nothing is left listening afterwards — also after Ctrl-C.

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runDemoCommand } from '../../src/cli/actions/demo.js';
import type { Report } from '../../src/model/results.js';
import { memoryIo } from '../helpers/memory-io.js';

/** Stands in for `process` as the source of SIGINT/SIGTERM. */
function fakeSignals(): NodeJS.Process & EventEmitter {
  return new EventEmitter() as NodeJS.Process & EventEmitter;
}

/** Listening sockets of this process (the sandbox opens one per API and one per pod). */
function listeningServers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
}

describe('wi-doctor demo', () => {
  it('diagnoses the broken multi-team world, exits 1 and stops the sandbox', { timeout: 30_000 }, async () => {
    const before = listeningServers();
    const io = memoryIo();
    const signals = fakeSignals();
    const code = await runDemoCommand({ format: 'text', hidePass: true }, io, signals);
    expect(code).toBe(1);
    const out = io.out();
    expect(out.split('\n')[0]).toMatch(/local sandbox world .*no cloud project is touched/);
    // Read live (from the sandbox the banner names), not a bundle.
    expect(out.split('\n')[2]).toMatch(/^read live at /);
    // The three root causes, with the names a reader needs.
    expect(out).toMatch(/node pool `batch-pool` does not run the GKE metadata server: its mode is GCE_METADATA/);
    expect(out).toMatch(/member is for namespace `checkout`, the pod runs in `orders`/);
    expect(out).toMatch(/annotation key `iam\.gke\.io\/gcp-service-acount`/);
    // The live chain ran and its failure is reconciled with the static finding.
    expect(out).toMatch(/end-to-end-token\b.*`orders\/orders` failed at `generate-access-token`.*\(see wi-binding\)/);
    expect(out).not.toMatch(/eyJ[\w-]{10,}|ya29\./);
    expect(io.err()).toContain('sandbox stopped');
    expect(listeningServers()).toBe(before);
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  it('as JSON: each subject gets the root cause the world was built with', { timeout: 30_000 }, async () => {
    const io = memoryIo();
    const code = await runDemoCommand({ format: 'json' }, io, fakeSignals());
    expect(code).toBe(1);
    // The intro goes to stderr so that stdout stays one JSON document.
    expect(io.err()).toMatch(/local sandbox world/);
    const report = JSON.parse(io.out()) as Report;
    const roots = Object.fromEntries(report.verdicts.map((v) => [v.subject, v.rootCause]));
    expect(roots).toMatchObject({
      'payments/ledger': 'nodepool-gke-metadata',
      'payments/fraud-scorer': 'nodepool-gke-metadata',
      'orders/orders': 'wi-binding',
      'analytics/reporter': 'ksa-annotation',
      'shop/cart': null,
    });
    const e2e = report.results.filter((r) => r.check === 'end-to-end-token');
    expect(e2e.find((r) => r.subject === 'shop/cart')?.status).toBe('pass');
    expect(e2e.find((r) => r.subject === 'orders/orders')?.status).toBe('fail');
  });

  it('Ctrl-C while starting stops the sandbox and exits 130', { timeout: 30_000 }, async () => {
    const before = listeningServers();
    const io = memoryIo();
    const signals = fakeSignals();
    const running = runDemoCommand({ format: 'text' }, io, signals);
    signals.emit('SIGINT');
    expect(await running).toBe(130);
    expect(io.err()).toMatch(/interrupted/);
    expect(listeningServers()).toBe(before);
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  it('--keep leaves the sandbox up until Ctrl-C, then stops it', { timeout: 30_000 }, async () => {
    const before = listeningServers();
    const io = memoryIo();
    const signals = fakeSignals();
    const running = runDemoCommand({ format: 'text', hidePass: true, keep: true }, io, signals);
    await expect.poll(() => io.err(), { timeout: 20_000, interval: 50 }).toMatch(/keeps running/);
    expect(listeningServers()).toBeGreaterThan(before);
    expect(io.err()).toMatch(/export KUBECONFIG=/);
    signals.emit('SIGINT');
    expect(await running).toBe(1);
    expect(listeningServers()).toBe(before);
  });
});
