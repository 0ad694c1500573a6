// who-can and graph --gsa against the sandbox's `fleet` world: the principal of an annotated KSA is labelled for
// what it is, an account that does not exist is an unknown target (exit 2), and graph --gsa shows every principal
// who-can --gsa lists (the two read the same facts through the same evaluation).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('--from a bundle collected from the same world gives the live answers, with no call made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-who-can-'));
    try {
      const collected = memoryIo(env);
      expect(
        await main(
          ['collect', '--all', '--audit', '--scope', 'auto', '--context', PROD, '--out', dir, '--quiet'],
          collected,
        ),
        collected.err(),
      ).toBe(0);
      // Every request the sandbox's servers receive passes its fault injector: counted there.
      let requests = 0;
      const faults = sandbox.world.faults;
      const decide = faults.decide.bind(faults);
      faults.decide = (...args: Parameters<typeof decide>) => {
        requests++;
        return decide(...args);
      };
      for (const target of [
        ['--gsa', CART],
        ['--ksa', 'shop/cart'],
        ['--ksa', 'shop/api'],
      ]) {
        const live = memoryIo(env);
        expect(await main(['who-can', ...target, '--context', PROD, '--format', 'json', '--quiet'], live)).toBe(0);
        const before = requests;
        const offline = memoryIo(env);
        expect(await main(['who-can', ...target, '--from', dir, '--format', 'json'], offline), offline.err()).toBe(0);
        expect(requests).toBe(before);
        const expected = JSON.parse(live.out()) as { searched: string[] };
        if (target[1] === 'shop/cart') {
          // Live, --ksa also searches for the bindings that name its GSA; the bundle holds no such search, and says so.
          const memberSearch = `(query: policy:"${CART}")`;
          expect(expected.searched.filter((s) => s.includes(memberSearch))).toHaveLength(1);
          expected.searched = expected.searched.filter((s) => !s.includes(memberSearch));
          expect(offline.err()).toBe(
            `wi-doctor: ${dir} holds no Cloud Asset Inventory search for ${CART}: what it reaches was looked for only in the policies the bundle holds\n`,
          );
        } else expect(offline.err()).toBe('');
        expect(JSON.parse(offline.out())).toEqual(expected);
      }
      expect(requests).toBeGreaterThan(0); // the live answers were counted
      const refused = memoryIo(env);
      expect(await main(['who-can', '--gsa', CART, '--from', dir, '--clusters', 'ALL_CONTEXTS'], refused)).toBe(2);
      expect(refused.err()).toBe('wi-doctor: --clusters reads live APIs; with --from the bundle is all that is read\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
