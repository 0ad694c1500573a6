// Crash safety. A rotation is interrupted at every step, at both of its dangerous moments: right after the step
// is journalled as started, and right after it ran but before it is journalled as done. Each time
// `rotate --resume` continues from the journal on disk, which is all a killed process leaves. The rotation always
// completes, and nothing is lost or done twice: each copied grant is there once, the deployment rolled once, the
// old account ends deleted.
//
// The full matrix interrupts the in-process run by throwing at the boundary (nothing after it runs, as with a
// kill); the built CLI is also killed for real (SIGKILL, no cleanup at all) at steps of each kind of write.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runRotateCommand } from '../../src/cli/actions/rotate.js';
import type { RotateCommandOptions } from '../../src/cli/actions/rotate.js';
import type { Journal, JournalStep } from '../../src/fix/rotate/journal.js';
import type { ServiceAccountObject, Workload } from '../../src/model/k8s/types.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';
import { BUCKET, CART, expectGrantsCopied, NEW, scenario, sharedWorld, withWorld } from './helpers.js';

const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'dist', 'cli', 'bin.js');
const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-crash-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

class Killed extends Error {}

/** create-new, copy-grants ×2, bind, verify-binding, annotate ×2, then the restart of shop/deployments/cart. */
const RESTART_STEP = 8;

const read = (journal: string) => JSON.parse(readFileSync(journal, 'utf8')) as Journal;

function options(journal: string, resume: boolean): RotateCommandOptions {
  const base: RotateCommandOptions = { mode: 'zero-downtime', verifyTimeout: 20, yes: true, journal };
  return resume
    ? { ...base, resume: true }
    : { ...base, ksa: ['shop/cart'], to: NEW, allUsers: true, deleteOld: true, on: [BUCKET] };
}

/** One in-process run, interrupted at `at` (`N:before|after`), or to the end when `at` is undefined. */
async function runUntil(
  env: NodeJS.ProcessEnv,
  journal: string,
  resume: boolean,
  at: string | undefined,
): Promise<number | 'killed'> {
  const sink = new PassThrough();
  sink.resume();
  const io = { stdout: sink, stderr: sink, env };
  try {
    return await runRotateCommand(options(journal, resume), io, {
      firstDelayMs: 200,
      onBoundary: (step: JournalStep, when) => {
        if (`${step.n}:${when}` === at) throw new Killed(at);
      },
    });
  } catch (error) {
    if (error instanceof Killed) return 'killed';
    throw error;
  }
}

/** The end state every interrupted rotation must reach. */
function expectRotated(sb: RunningSandbox, journal: string): void {
  const done = read(journal);
  expect(done.finished).toBe(true);
  expect(done.steps.map((s) => s.state)).toEqual(done.steps.map(() => 'done'));
  expectGrantsCopied(sb);
  const store = sb.world.clusters[0]?.store;
  for (const ksa of ['cart', 'cart-batch']) {
    expect(
      store?.get<ServiceAccountObject>('serviceaccounts', 'shop', ksa)?.metadata.annotations?.[
        'iam.gke.io/gcp-service-account'
      ],
    ).toBe(NEW);
  }
  const replicaSets = (store?.list<Workload>('replicasets', 'shop') ?? []).filter((rs) =>
    rs.metadata.ownerReferences?.some((o) => o.name === 'cart'),
  );
  expect(replicaSets).toHaveLength(2); // the original and one restart, however often the restart step ran
  expect(sb.world.gsas.some((g) => g.email === CART && !g.deleted)).toBe(false);
  expect(sb.world.gsas.filter((g) => g.email === NEW && !g.deleted)).toHaveLength(1);
}

describe('rotate survives an interruption at every step', () => {
  it(
    'in every step, before and after its work: resumes to the same end, nothing lost or doubled',
    { timeout: 120_000 },
    async () => {
      await withWorld(await scenario('healthy', sharedWorld), async (sb, env) => {
        const journal = join(temp, 'matrix.json');
        let kills = ['1:before', '1:after'];
        for (let i = 0; i < kills.length; i++) {
          const at = kills[i] ?? '';
          expect(await runUntil(env, journal, i > 0, at)).toBe('killed');
          const j = read(journal);
          const n = Number(at.split(':')[0]);
          expect(j.steps[n - 1]?.state, `step ${n} interrupted ${at}`).toBe('started');
          expect(j.steps.slice(0, n - 1).every((s) => s.state === 'done')).toBe(true);
          if (i === 0) kills = [...kills, ...j.steps.slice(1).flatMap((s) => [`${s.n}:before`, `${s.n}:after`])];
          // A restart stamps the time: resume in a later second, so that a new stamp would roll the pods again.
          if (j.steps[n - 1]?.kind === 'restart') await new Promise((resolve) => setTimeout(resolve, 1100));
        }
        expect(kills.length).toBe(2 * read(journal).steps.length);
        expect(await runUntil(env, journal, true, undefined)).toBe(0);
        expectRotated(sb, journal);
      });
    },
  );
});

function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    // Asynchronous: the sandbox answers from this very process.
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

describe('rotate survives SIGKILL of the process', () => {
  it.skipIf(!existsSync(bin))(
    'killed right after a restart, resumed by a new process',
    { timeout: 120_000 },
    async () => {
      await withWorld(await scenario('healthy', sharedWorld), async (sb, env) => {
        const journal = join(temp, 'sigkill.json');
        const common = ['--yes', '--journal', journal, '--verify-timeout', '20'];
        const start = [
          'rotate',
          '--ksa',
          'shop/cart',
          '--to',
          NEW,
          '--all-users',
          '--delete-old',
          '--on',
          BUCKET,
          ...common,
        ];
        // Killed right after the restart patched the deployment, before the journal says so.
        const first = await spawnCli(start, { ...env, WI_DOCTOR_TEST_KILL_AT: `${RESTART_STEP}:after` });
        expect([first.signal, first.code], first.out).toEqual(['SIGKILL', null]);
        expect(read(journal).steps[RESTART_STEP - 1]).toMatchObject({ kind: 'restart', state: 'started' });
        const last = await spawnCli(['rotate', '--resume', ...common], env);
        expect(last.code, last.out).toBe(0);
        expectRotated(sb, journal);
      });
    },
  );
});
