// `who-can --from DIR` on bundles that are not whole, and with flags that only mean something live.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../helpers/memory-io.js';

const HEALTHY = join(import.meta.dirname, '../../examples/healthy');
const CART = 'cart@acme-shop.iam.gserviceaccount.com';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of examples/healthy whose KSA list does not parse. */
function bundleWithBrokenKsaList(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-who-can-from-'));
  made.push(dir);
  cpSync(HEALTHY, dir, { recursive: true });
  writeFileSync(join(dir, 'k8s', 'serviceaccounts.json'), '{');
  return dir;
}

describe('who-can --from', () => {
  it('--gsa answers who can mint its tokens when the KSA list cannot be read, and says the KSAs are unknown', async () => {
    const dir = bundleWithBrokenKsaList();
    const io = memoryIo();
    expect(await main(['who-can', '--gsa', CART, '--from', dir], io), io.err()).toBe(0);
    expect(io.out()).toContain('  serviceAccount:acme-shop.svc.id.goog[shop/cart]\n');
    expect(io.out()).toContain('KSAs: unknown: no cluster’s KSAs could be read (the notes on stderr say why)\n');
    expect(io.out()).not.toContain('give --clusters or --context');
    expect(io.err()).toMatch(
      /\nwi-doctor: gke_acme-shop_europe-west1_prod: its KSAs are unknown: .*k8s\/serviceaccounts\.json: invalid JSON at line 1, column 2/,
    );
  });

  it('--gsa on a whole bundle lists the KSAs of its cluster', async () => {
    const io = memoryIo();
    expect(await main(['who-can', '--gsa', CART, '--from', HEALTHY], io), io.err()).toBe(0);
    expect(io.out()).toContain('KSAs of the 1 cluster(s) read that name it or are granted it:\n');
    expect(io.err()).toBe('');
  });

  it.each([
    ['--context', 'prod'],
    ['--kubeconfig', '/tmp/kubeconfig'],
    ['--cluster', 'prod'],
    ['--project', 'acme-shop'],
    ['--location', 'europe-west1'],
    ['--access-token-file', '/tmp/token'],
    ['--billing-project', 'acme-shop'],
    ['--endpoint', 'iam=http://127.0.0.1:9/'],
    ['--scope', 'projects/acme-shop'],
  ])('refuses %s with --from: one line, exit 2', async (flag, value) => {
    const io = memoryIo();
    expect(await main(['who-can', '--gsa', CART, '--from', HEALTHY, flag, value], io)).toBe(2);
    expect(io.err()).toBe(`wi-doctor: ${flag} reads live APIs; with --from the bundle is all that is read\n`);
    expect(io.out()).toBe('');
  });
});
