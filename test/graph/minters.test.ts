// graph --gsa draws every principal who-can --gsa lists: the same evaluation (whoCanGsa) over the same facts,
// for every account of the example bundles, whichever policy of the chain the grant sits on.

import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readBundle } from '../../src/collect/bundle/read.js';
import { whoCanGsa } from '../../src/engine/who-can.js';
import type { IdentityGraph } from '../../src/graph/index.js';
import { createRoleResolver } from '../../src/model/iam/roles.js';

const examples = join(import.meta.dirname, '..', '..', 'examples');

async function graphOf(args: string[]): Promise<IdentityGraph> {
  const out = new PassThrough();
  let stdout = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await main(['graph', ...args, '--format', 'json'], { stdout: out, stderr: new PassThrough(), env: {} });
  expect(code).toBe(0);
  return JSON.parse(stdout) as IdentityGraph;
}

/** `member role policy` of every binding behind a may-impersonate edge into the account. */
function drawn(graph: IdentityGraph, email: string): string[] {
  return graph.edges
    .filter((e) => e.kind === 'may-impersonate' && e.target === `gsa:${email}`)
    .flatMap((e) => e.bindings.map((b) => `${b.member} ${b.role} ${b.policy}`));
}

describe('graph --gsa and who-can --gsa name the same principals', () => {
  it.each(['missing-binding', 'multi-team', 'audit-findings', 'cross-project-impersonation'])(
    '%s: every account',
    async (name) => {
      const dir = join(examples, name);
      const { facts } = await readBundle(dir);
      const full = await graphOf(['--from', dir]);
      const accounts = full.nodes.filter((n) => n.kind === 'gsa' && !n.label.includes('(')).map((n) => n.label);
      expect(accounts.length).toBeGreaterThan(0);
      let principals = 0;
      for (const email of accounts) {
        const listed = whoCanGsa(facts, createRoleResolver(facts), email, []).principals.map(
          (p) => `${p.member} ${p.role} ${p.resource}`,
        );
        principals += listed.length;
        const graph = await graphOf(['--from', dir, '--gsa', email]);
        // The account's own grant is a detail of its node; every other principal is an edge into it.
        const self = `serviceAccount:${email} `;
        expect(drawn(graph, email), email).toEqual(expect.arrayContaining(listed.filter((l) => !l.startsWith(self))));
        for (const own of listed.filter((l) => l.startsWith(self))) {
          const [, role, resource] = own.split(' ');
          const details = graph.nodes.find((n) => n.id === `gsa:${email}`)?.details ?? {};
          expect(details['may mint its own tokens']).toContain(`${role ?? ''} on ${resource ?? ''}`);
        }
        // Each of them is a node of the graph, and users, groups and owners are principals of their own.
        for (const edge of graph.edges.filter((e) => e.target === `gsa:${email}`)) {
          expect(graph.nodes.some((n) => n.id === edge.source)).toBe(true);
        }
      }
      expect(principals).toBeGreaterThan(0);
    },
  );

  it('draws a project owner as a principal node with its project-level grant', async () => {
    const graph = await graphOf([
      '--from',
      join(examples, 'missing-binding'),
      '--gsa',
      'cart@acme-shop.iam.gserviceaccount.com',
    ]);
    const owner = graph.nodes.find((n) => n.id === 'principal:user:ops-lead@acme.example');
    expect(owner?.kind).toBe('principal');
    expect(drawn(graph, 'cart@acme-shop.iam.gserviceaccount.com')).toContain(
      'user:ops-lead@acme.example roles/owner projects/acme-shop',
    );
  });
});
