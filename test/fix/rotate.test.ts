// `rotate` against the sandbox: zero downtime by default (the new GSA works before any pod switches, the old
// one is disabled only after the switched KSAs are verified), a shared GSA stays enabled unless --all-users,
// --delete-old, revoke-first, and the bad input that must stop before anything changes.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/fix/rotate/journal.js';
import type { ServiceAccountObject } from '../../src/model/k8s/types.js';
import type { RunningSandbox, Scenario } from '../../src/sandbox/index.js';
import {
  allPolicies,
  BUCKET,
  CART,
  cli,
  expectGrantsCopied,
  NEW,
  scenario,
  sharedWorld,
  withWorld,
} from './helpers.js';

const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-rotate-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let journals = 0;
const journalPath = () => join(temp, `journal-${++journals}.json`);

function annotationOf(sb: RunningSandbox, ns: string, name: string): string | undefined {
  return sb.world.clusters[0]?.store.get<ServiceAccountObject>('serviceaccounts', ns, name)?.metadata.annotations?.[
    'iam.gke.io/gcp-service-account'
  ];
}

const gsa = (sb: RunningSandbox, email: string) => sb.world.gsas.find((g) => g.email === email && !g.deleted);

describe('rotate (zero-downtime)', () => {
  it('moves one KSA of a shared GSA and keeps the old GSA enabled for the other, listing it', async () => {
    await withWorld(await scenario('healthy', sharedWorld), async (sb, env) => {
      const journal = journalPath();
      const before = allPolicies(sb);
      const r = await cli(
        [
          'rotate',
          '--ksa',
          'shop/cart',
          '--to',
          NEW,
          '--on',
          BUCKET,
          '--yes',
          '--journal',
          journal,
          '--verify-timeout',
          '10',
        ],
        env,
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /shop\/cart-batch also use cart-gsa@acme-shop\.iam\.gserviceaccount\.com and are not moved: it stays enabled/,
      );
      expect(r.stdout).toMatch(/skipped 9\/9 disable-old .*stays enabled: still used by shop\/cart-batch/);
      expect(gsa(sb, CART)?.disabled).toBe(false);
      expect(gsa(sb, NEW)?.disabled).toBe(false);
      expect(annotationOf(sb, 'shop', 'cart')).toBe(NEW);
      expect(annotationOf(sb, 'shop', 'cart-batch')).toBe(CART);
      expectGrantsCopied(sb);
      // Nothing of the old grants changed: the new member is the only difference, condition included.
      const after = allPolicies(sb);
      const project = after['projects/acme-shop']?.bindings ?? [];
      expect(project.map((b) => ({ ...b, members: b.members?.filter((m) => m !== `serviceAccount:${NEW}`) }))).toEqual(
        before['projects/acme-shop']?.bindings,
      );
      // The order of steps: the new GSA is proven before any pod switches to it.
      const saved = JSON.parse(readFileSync(journal, 'utf8')) as Journal;
      expect(saved.finished).toBe(true);
      // The verification sees the new pods: the restart waits for the rollout first.
      expect(saved.steps.find((s) => s.kind === 'restart')?.detail).toMatch(/; rolled out in \d+ s$/);
      expect(saved.steps.map((s) => `${s.kind} ${s.target} ${s.state}`)).toEqual([
        `create-new projects/-/serviceAccounts/${NEW} done`,
        'copy-grants projects/acme-shop done',
        `copy-grants ${BUCKET} done`,
        `bind projects/-/serviceAccounts/${NEW} done`,
        `verify-binding projects/-/serviceAccounts/${NEW} done`,
        'annotate namespaces/shop/serviceaccounts/cart done',
        'restart namespaces/shop/deployments/cart done',
        'verify shop/cart done',
        `disable-old projects/-/serviceAccounts/${CART} skipped`,
      ]);
      const kinds = saved.steps.map((s) => s.kind);
      expect(kinds.indexOf('verify-binding')).toBeLessThan(kinds.indexOf('annotate'));
      expect(kinds.indexOf('verify')).toBeLessThan(kinds.indexOf('disable-old'));
    });
  });

  it('--all-users moves every KSA of the old GSA, then disables it; --delete-old names the 30-day window', async () => {
    await withWorld(await scenario('healthy', sharedWorld), async (sb, env) => {
      const r = await cli(
        [
          'rotate',
          '--ksa',
          'shop/cart',
          '--to',
          NEW,
          '--all-users',
          '--delete-old',
          '--yes',
          '--journal',
          journalPath(),
          '--verify-timeout',
          '10',
        ],
        env,
      );
      expect(r.code).toBe(0);
      expect(annotationOf(sb, 'shop', 'cart-batch')).toBe(NEW);
      expect(gsa(sb, CART)).toBeUndefined();
      const uniqueId = sb.world.gsas.find((g) => g.email === CART)?.uniqueId ?? '';
      expect(r.stdout).toContain(
        `within 30 days it can be restored with \`gcloud iam service-accounts undelete ${uniqueId}\``,
      );
      const bound = allPolicies(sb)[`sa/${NEW}`]?.bindings?.find((b) => b.role === 'roles/iam.workloadIdentityUser');
      expect(bound?.members?.sort()).toEqual([
        'serviceAccount:acme-shop.svc.id.goog[shop/cart-batch]',
        'serviceAccount:acme-shop.svc.id.goog[shop/cart]',
      ]);
    });
  });

  it('waits for the new binding to propagate before switching any pod', async () => {
    const delayed = (s: Scenario) => {
      s.faults = { iamPropagationDelaySeconds: 2 };
    };
    await withWorld(await scenario('healthy', delayed), async (sb, env) => {
      const r = await cli(
        ['rotate', '--ksa', 'shop/cart', '--to', NEW, '--yes', '--journal', journalPath(), '--verify-timeout', '20'],
        env,
      );
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/waiting for IAM propagation… \d+ s \(shop\/cart: generate-access-token: 403/);
      expect(gsa(sb, CART)?.disabled).toBe(true);
    });
  });
});

describe('rotate --mode revoke-first', () => {
  it('disables the old GSA first and says the workloads fail until the new one is verified', async () => {
    await withWorld(await scenario('healthy', sharedWorld), async (sb, env) => {
      const journal = journalPath();
      const r = await cli(
        [
          'rotate',
          '--ksa',
          'shop/cart',
          '--to',
          NEW,
          '--mode',
          'revoke-first',
          '--yes',
          '--journal',
          journal,
          '--verify-timeout',
          '10',
        ],
        env,
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /revoke-first: cart-gsa@acme-shop\.iam\.gserviceaccount\.com is disabled first; every workload using it fails until/,
      );
      expect(r.stdout).toMatch(/done {4}1\/\d+ disable-old .*shop\/cart-batch still use it and now fail too/);
      const saved = JSON.parse(readFileSync(journal, 'utf8')) as Journal;
      expect(saved.steps[0]?.kind).toBe('disable-old');
      expect(saved.steps.filter((s) => s.kind === 'disable-old')).toHaveLength(1);
      expect(gsa(sb, CART)?.disabled).toBe(true);
      expect(annotationOf(sb, 'shop', 'cart')).toBe(NEW);
    });
  });
});

describe('rotate: bad input stops before anything changes (exit 2, one line)', () => {
  const cases: [string, string[], RegExp][] = [
    ['a --to that is no service-account email', ['--ksa', 'shop/cart', '--to', 'not-an-email'], /--to "not-an-email"/],
    [
      'a --to that is a Google-managed account',
      ['--ksa', 'shop/cart', '--to', '123456789012-compute@developer.gserviceaccount.com'],
      /user-managed/,
    ],
    ['a rotation to the same GSA', ['--ksa', 'shop/cart', '--to', CART.toUpperCase()], /already use that GSA/],
    ['an unknown KSA', ['--ksa', 'shop/nope', '--to', NEW], /shop\/nope/],
    ['a KSA without a GSA', ['--ksa', 'shop/api', '--to', NEW], /no iam\.gke\.io\/gcp-service-account annotation/],
    ['--resume without a journal', ['--resume'], /no rotation journal at/],
    ['no --to', ['--ksa', 'shop/cart'], /--to ACCOUNT@PROJECT/],
    [
      'an --on rotate cannot copy',
      ['--ksa', 'shop/cart', '--to', NEW, '--on', '//pubsub.googleapis.com/projects/p/topics/t'],
      /--on/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    await withWorld(await scenario('healthy'), async (sb, env) => {
      const before = { policies: allPolicies(sb), gsas: sb.world.gsas.length };
      const journal = journalPath();
      const r = await cli(['rotate', ...args, '--yes', '--journal', journal], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(allPolicies(sb)).toEqual(before.policies);
      expect(sb.world.gsas.length).toBe(before.gsas);
      expect(existsSync(journal)).toBe(false);
    });
  });

  it('an unfinished journal without --resume', async () => {
    await withWorld(await scenario('healthy'), async (_sb, env) => {
      const journal = journalPath();
      const first = await cli(['rotate', '--ksa', 'shop/cart', '--to', NEW, '--journal', journal], env);
      expect(first.code).toBe(2); // no terminal and no --yes: nothing written
      writeFileSync(journal, '{"format":"wi-doctor-rotate-journal/1"}');
      const broken = await cli(['rotate', '--resume', '--yes', '--journal', journal], env);
      expect([broken.code, /not a wi-doctor-rotate-journal\/1 file/.test(broken.stderr)]).toEqual([2, true]);
    });
  });
});
