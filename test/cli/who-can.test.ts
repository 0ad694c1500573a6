// who-can and graph --gsa against the sandbox's `fleet` world: the principal of an annotated KSA is labelled for
// what it is, an account that does not exist is an unknown target (exit 2), and graph --gsa shows every principal
// who-can --gsa lists (the two read the same facts through the same evaluation).

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWhoCanCommand } from '../../src/cli/actions/who-can.js';
import { main } from '../../src/cli/main.js';
import type { IdentityGraph } from '../../src/graph/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';
import { memoryIo } from '../helpers/memory-io.js';

const SCENARIO = join(import.meta.dirname, '../../scenarios/fleet.yaml');
const CART = 'cart-gsa@acme-shop.iam.gserviceaccount.com';
const PROD = 'gke_acme-shop_europe-west1_prod';

describe('who-can against the fleet sandbox', () => {
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: SCENARIO });
    env = {
      ...sandbox.env,
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
      NO_COLOR: '1',
    };
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('--ksa of an annotated KSA: its own principal is listed, not called direct binding', async () => {
    const io = memoryIo(env);
    expect(await runWhoCanCommand({ ksa: 'shop/cart', context: PROD, format: 'text', quiet: true }, io)).toBe(0);
    expect(io.out()).toMatch(
      /^Its own principal \(not what its pods use while it is annotated with a GSA\): principal:\/\//m,
    );
    expect(io.out()).not.toContain('direct binding');
    expect(io.out()).toContain(`Through GSA ${CART}`);
  });

  it('--ksa of a KSA without annotation: its own principal is its direct binding', async () => {
    const io = memoryIo(env);
    expect(await runWhoCanCommand({ ksa: 'shop/api', context: PROD, format: 'text', quiet: true }, io)).toBe(0);
    expect(io.out()).toMatch(/^Its own principal \(direct binding\): principal:\/\//m);
  });

  it('graph --gsa draws every principal who-can --gsa lists (live, the same account)', async () => {
    const who = memoryIo(env);
    expect(await main(['who-can', '--gsa', CART, '--context', PROD, '--format', 'json', '--quiet'], who)).toBe(0);
    const listed = (JSON.parse(who.out()) as { principals: { member: string; role: string; resource: string }[] })
      .principals;
    expect(listed.map((p) => p.member)).toEqual(
      expect.arrayContaining(['user:deployer@example.com', 'serviceAccount:acme-shop.svc.id.goog[shop/cart]']),
    );
    const drawn = memoryIo(env);
    expect(await main(['graph', '--gsa', CART, '--context', PROD, '--format', 'json', '--quiet'], drawn)).toBe(0);
    const graph = JSON.parse(drawn.out()) as IdentityGraph;
    const bindings = graph.edges
      .filter((e) => e.kind === 'may-impersonate' && e.target === `gsa:${CART}`)
      .flatMap((e) => e.bindings.map((b) => `${b.member} ${b.role} ${b.policy}`));
    const self = `serviceAccount:${CART}`;
    expect(bindings).toEqual(
      expect.arrayContaining(listed.filter((p) => p.member !== self).map((p) => `${p.member} ${p.role} ${p.resource}`)),
    );
  });

  it('--gsa of an account that does not exist: one line, exit 2, and no list of who can mint its tokens', async () => {
    const io = memoryIo(env);
    const code = await main(['who-can', '--gsa', 'nope-gsa@acme-shop.iam.gserviceaccount.com', '--quiet'], io);
    expect(code).toBe(2);
    expect(io.err()).toMatch(
      /^wi-doctor: --gsa nope-gsa@acme-shop\.iam\.gserviceaccount\.com: no such service account \(IAM answered 404 for it\)\n$/,
    );
    expect(io.out()).toBe('');
  });
});
