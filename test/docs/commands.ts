// Runs every command README.md and docs/ show, as written (test/docs/commands.test.ts says how and checks the
// lists below; the page files test/docs/commands-pages-N.test.ts run the pages, a share each).
//
// Every command README.md and docs/ show, run as written. Each fenced sh block is run by bash, whole (so
// that variables and background jobs of a block work as they do for a reader), in a scratch folder holding
// what a reader of the repository has (examples/, dist/) and a KSA token file, with `wi-doctor` and
// `kubectl-wi_doctor` on the PATH as npm links them, and gcloud, kubectl and wi-doctor pointed at a sandbox
// world by the environment `wi-doctor sandbox` exports. Each command of a block must end with status 0 —
// or 1 for a wi-doctor command, which means "findings". `npx wi-doctor` runs the built CLI here; one test
// runs the real npx on Node 20, with `--env-out`.
//
// The few commands that cannot run here are listed below with the reason; each is still parsed by bash, and
// each wi-doctor command's flags are checked against the CLI. A listed command that no doc shows any more
// fails the test, so the list cannot rot.
//
// Pages (or sections, or marked blocks) that another test already runs as written are delegated to it, not run
// twice: this test checks that the delegate still reads that page, and still parses and flag-checks its
// commands.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile, startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox, Scenario } from '../../src/sandbox/index.js';
import { loadKubeConfig } from '../../src/collect/live/credentials.js';
import { mintToken } from '../../src/token/mint.js';
import { docsPages } from '../helpers/doc-pages.js';

export const repo = join(import.meta.dirname, '..', '..');
export const bin = join(repo, 'dist', 'cli', 'bin.js');
export const built = existsSync(bin);
export const has = (tool: string, ...args: string[]): boolean => spawnSync(tool, args, { stdio: 'ignore' }).status === 0;
export const tools = { gcloud: has('gcloud', '--version'), kubectl: has('kubectl', 'version', '--client'), jq: has('jq', '--version'), curl: has('curl', '--version') };

/** Commands shown that cannot run here, by the text they start with, and why. */
export const NOT_RUN: Record<string, string> = {
  'npm test': 'it is this test suite (the CI runs it on a clean checkout)',
  'npm run differential -- --runs 1000':
    'a thousand sandbox worlds take far longer than the suite may; test/differential runs the same generator, seeded, on 25',
  'npm run mutation': 'StrykerJS over src/checks and src/model takes hours on two cores (docs/testing.md)',
  'kubectl debug ': 'starts an ephemeral container: the sandbox has pods, no container runtime',
  'kubectl -n shop edit ': 'opens an editor',
  'wi-doctor token verify token.txt --jwks https://': 'fetches a JWKS from the internet',
  'gcloud container node-pools create ': "the sandbox's GKE API reads and updates node pools; it does not create them",
};

/**
 * The sandbox world each page's commands act on (the failure its fix commands repair): a shipped scenario's
 * name, or a world of test/docs/worlds/; default healthy.
 */
const SCENARIOS: Record<string, string> = {
  'docs/checks/broad-project-roles.md': 'test/docs/worlds/audit-findings.yaml',
  'docs/checks/gsa-user-managed-keys.md': 'test/docs/worlds/audit-findings.yaml',
  'docs/checks/orphan-bindings.md': 'test/docs/worlds/audit-findings.yaml',
  'docs/checks/primitive-roles.md': 'test/docs/worlds/audit-findings.yaml',
  'docs/checks/project-level-impersonation.md': 'test/docs/worlds/audit-findings.yaml',
  'docs/checks/default-ksa-annotated.md': 'test/docs/worlds/default-ksa-annotated.yaml',
  'docs/checks/metadata-server-healthy.md': 'metadata-server-down',
  'docs/checks/cluster-workload-pool.md': 'no-workload-pool',
  'docs/checks/cross-project-impersonation.md': 'cross-project-impersonation',
  'docs/checks/end-to-end-token.md': 'missing-binding',
  'docs/checks/gsa-enabled.md': 'gsa-disabled',
  'docs/checks/gsa-exists.md': 'gsa-deleted',
  'docs/checks/host-network.md': 'host-network',
  'docs/checks/iamcredentials-api-enabled.md': 'iamcredentials-disabled',
  'docs/checks/network-policy-metadata.md': 'netpol-blocks-metadata',
  'docs/checks/nodepool-gke-metadata.md': 'gce-metadata-pool',
  'docs/checks/pod-service-account.md': 'default-ksa',
  'docs/checks/pods-restarted-after-change.md': 'pods-not-restarted',
  'docs/checks/wi-binding-stale.md': 'gsa-recreated',
  'docs/checks/wi-binding.md': 'missing-binding',
};

/** Blocks another test runs as written: a page, one `## ` section of it, or the block after a marker comment. */
export interface Delegation {
  file: string;
  section?: string;
  marker?: string;
  /** The test that runs them; its source must name `file` (and `section` or `marker`). */
  test: string;
  /** The only commands the delegate runs (it skips others): every command of the blocks must be one. */
  runs?: RegExp;
}

/** What test/docs/html-commands.test.ts runs of a block. */
const HTML_DOCS_RUNS = /^wi-doctor /;

/** What test/cli/audit-docs-commands.test.ts runs of a block. */
const AUDIT_DOCS_RUNS = /^(wi-doctor |kubectl logs .*\| wi-doctor )/;

export const DELEGATED: Delegation[] = [
  { file: 'docs/fix.md', test: 'test/fix/docs.test.ts' },
  { file: 'docs/rotate.md', test: 'test/fix/docs.test.ts' },
  { file: 'README.md', section: '## Fix and rotate', test: 'test/fix/docs.test.ts' },
  { file: 'docs/audit.md', test: 'test/cli/audit-docs-commands.test.ts', runs: AUDIT_DOCS_RUNS },
  { file: 'docs/logs.md', test: 'test/cli/audit-docs-commands.test.ts', runs: AUDIT_DOCS_RUNS },
  { file: 'docs/explain-error.md', test: 'test/cli/audit-docs-commands.test.ts', runs: AUDIT_DOCS_RUNS },
  { file: 'README.md', section: '## Audit, logs and error messages', test: 'test/cli/audit-docs-commands.test.ts', runs: AUDIT_DOCS_RUNS },
  { file: 'docs/sandbox.md', marker: '<!-- sandbox-commands:', test: 'test/sandbox/docs-commands.test.ts' },
  { file: 'docs/html.md', test: 'test/docs/html-commands.test.ts', runs: HTML_DOCS_RUNS },
  {
    file: 'README.md',
    section: '## HTML report and identity graph',
    test: 'test/docs/html-commands.test.ts',
    runs: HTML_DOCS_RUNS,
  },
];

/** Leading parts of a command that are not run here (the rest of the command is), and why. */
export const PREFIX_NOT_RUN: Record<string, string> = {
  'npm ci && ': 'installing over the checkout under test would change it mid-run; the CI runs `npm ci` on a clean checkout',
};

export interface Block {
  file: string;
  line: number;
  text: string;
  /** The test that runs this block instead of this one. */
  delegatedTo?: string;
}

/** Whether the block starting at `offset` of `text` is one that `d` delegates. */
function delegates(d: Delegation, text: string, offset: number): boolean {
  if (d.section !== undefined) {
    const start = text.indexOf(`${d.section}\n`);
    if (start < 0 || offset < start) return false;
    const end = text.indexOf('\n## ', start + d.section.length);
    return end < 0 || offset < end;
  }
  if (d.marker !== undefined) {
    const before = text.slice(0, offset).trimEnd().split('\n').at(-1) ?? '';
    return before.startsWith(d.marker);
  }
  return true;
}

export function docFiles(): string[] {
  return ['README.md', 'examples/README.md', ...docsPages()];
}

function blocksOf(file: string): Block[] {
  const text = readFileSync(join(repo, file), 'utf8');
  return [...text.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm)].map((m) => {
    const delegatedTo = DELEGATED.find((d) => d.file === file && delegates(d, text, m.index))?.test;
    return {
      file,
      line: text.slice(0, m.index).split('\n').length,
      text: m[1] ?? '',
      ...(delegatedTo !== undefined ? { delegatedTo } : {}),
    };
  });
}

export const BLOCKS = docFiles().flatMap(blocksOf);

/** Whether `text` is complete shell syntax (a whole command, not the start of one): bash's answer, once per text. */
const parsed = new Map<string, boolean>();
export function complete(text: string): boolean {
  let answer = parsed.get(text);
  if (answer === undefined) {
    answer = spawnSync('bash', ['-n'], { input: text }).status === 0;
    parsed.set(text, answer);
  }
  return answer;
}

/** The top-level commands of a block: lines joined until they parse as a whole (continuations, heredocs, loops). */
export function commandsOf(block: string): string[] {
  const commands: string[] = [];
  let pending: string[] = [];
  let heredoc: string | undefined;
  for (const line of block.split('\n')) {
    if (pending.length === 0 && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    pending.push(line);
    const text = pending.join('\n');
    // A heredoc runs to its terminator (bash -n accepts an unterminated one).
    if (heredoc !== undefined) {
      if (line === heredoc) heredoc = undefined;
      else continue;
    } else {
      const start = /<<-?\s*['"]?(\w+)['"]?/.exec(line);
      if (start?.[1] !== undefined) {
        heredoc = start[1];
        continue;
      }
    }
    if (/\\$|\|$|&&$/.test(line.trimEnd())) continue;
    if (complete(text)) {
      commands.push(text);
      pending = [];
    }
  }
  if (pending.length > 0) commands.push(pending.join('\n'));
  return commands;
}

/** The command's words before any comment, `|`, `&&` or redirection, and the reason it is not run, if any. */
export const words = (command: string): string[] =>
  [...command.replace(/\s+#.*$/gm, '').matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
const notRun = (command: string): string | undefined =>
  Object.entries(NOT_RUN).find(([start]) => command.trimStart().startsWith(start))?.[1];

/** The scratch folder: what a reader of the repository has at hand; the shims npm would link. */
interface Scratch {
  dir: string;
  shims: string;
}

function makeScratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-docs-'));
  const shims = join(dir, '.bin');
  mkdirSync(shims);
  for (const name of ['wi-doctor', 'kubectl-wi_doctor']) symlinkSync(bin, join(shims, name));
  // `npx wi-doctor …` runs the built CLI (the real npx is run once, in commands.test.ts); anything else goes to npx.
  writeFileSync(
    join(shims, 'npx'),
    `#!/bin/sh\nif [ "$1" = wi-doctor ]; then shift; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} "$@"; fi\nexec npx "$@"\n`,
    { mode: 0o755 },
  );
  return { dir, shims };
}

/** A command's exit status and output, without blocking the event loop (the sandbox answers from it). */
export function run(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { cwd, env, encoding: 'utf8', timeout: 170_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

function environment(sb: RunningSandbox, cwd: string, shims: string): NodeJS.ProcessEnv {
  const cart = sb.pods.find((p) => p.namespace === 'shop' && p.name.startsWith('cart-'));
  return {
    ...process.env,
    ...sb.env,
    PATH: `${shims}:${process.env['PATH'] ?? ''}`,
    NO_COLOR: '1',
    METADATA_SERVER_DETECTION: 'none',
    CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
    CLOUDSDK_CONFIG: join(cwd, '.gcloud'),
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    // `wi-doctor probe` runs inside a pod: here, the cart pod's metadata server.
    ...(cart !== undefined ? { GCE_METADATA_HOST: cart.metadataHost } : {}),
  };
}

/**
 * A page's folder and sandbox: what its reader has at hand (the repository's examples/ and dist/, a KSA
 * token in token.txt, the cluster's JWKS in jwks.json), and the world its commands act on. Blocks of one
 * page run in order, in the same folder, against the same world, as a reader follows the page.
 */
async function withPage<T>(scratch: Scratch, file: string, fn: (cwd: string, env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const cwd = mkdtempSync(join(scratch.dir, 'page-'));
  for (const name of ['examples', 'dist', 'scenarios']) symlinkSync(join(repo, name), join(cwd, name));
  const world = SCENARIOS[file] ?? 'healthy';
  const scenario = await loadScenarioFile(join(repo, world.includes('/') ? world : join('scenarios', `${world}.yaml`)));
  // Pages written against examples/ name the cart GSA `cart@acme-shop`, as the example bundles do; the shipped
  // scenarios call it `cart-gsa` (an account id gcloud can create). The page's world uses the page's name.
  const page = readFileSync(join(repo, file), 'utf8');
  const named = page.includes('cart-gsa@')
    ? scenario
    : (JSON.parse(JSON.stringify(scenario).replaceAll('cart-gsa@', 'cart@').replaceAll('"cart-gsa"', '"cart"')) as Scenario);
  const sb = await startSandbox({ scenario: named });
  try {
    const env = environment(sb, cwd, scratch.shims);
    const kc = loadKubeConfig({}, sb.env);
    writeFileSync(join(cwd, 'token.txt'), `${await mintToken(kc, { namespace: 'shop', ksa: 'api', audience: 'acme-shop.svc.id.goog' })}\n`);
    const jwks = await run('kubectl get --raw /openid/v1/jwks', cwd, env);
    if (jwks.status === 0) writeFileSync(join(cwd, 'jwks.json'), jwks.stdout);
    return await fn(cwd, env);
  } finally {
    await sb.stop();
  }
}

/** The script that runs a block: each command as written, then a check of its exit status. */
function scriptOf(block: Block): string {
  const lines = ['set -u', "trap 'kill $(jobs -p) 2>/dev/null' EXIT"];
  commandsOf(block.text).forEach((shown, i) => {
    const prefix = Object.keys(PREFIX_NOT_RUN).find((p) => shown.startsWith(p));
    const command = prefix === undefined ? shown : shown.slice(prefix.length);
    const reason = notRun(command);
    if (reason !== undefined) {
      lines.push(`# not run: ${reason}`);
      return;
    }
    // Exit 1 is a finding for a wi-doctor command, when its status is the command's (the last of a pipeline).
    const last = command.split(/\|(?!\|)/).at(-1)?.trim() ?? '';
    const findings = /^(npx )?wi-doctor\s/.test(last);
    lines.push(command);
    lines.push(
      `__s=$?; if [ $__s -gt ${findings ? 1 : 0} ]; then echo "wi-docs: command ${i + 1} exited $__s" >&2; exit 100; fi`,
    );
  });
  return lines.join('\n');
}

/** The pages whose blocks are run here (not delegated to another test). */
export function runPages(): string[] {
  return [...new Set(BLOCKS.filter((b) => b.delegatedTo === undefined).map((b) => b.file))];
}

/**
 * The pages of share `shard` (0-based) of `count`: the largest first, each to the least loaded share, by the
 * lines of its blocks (each command starts a process or two). Every page is in exactly one share.
 */
export function pagesOf(shard: number, count: number): string[] {
  const weight = (file: string): number =>
    BLOCKS.filter((b) => b.file === file && b.delegatedTo === undefined).reduce(
      (n, b) => n + b.text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length,
      // Each page starts its own sandbox world.
      2,
    );
  const shares = Array.from({ length: count }, () => ({ load: 0, pages: [] as string[] }));
  const pages = runPages().sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));
  for (const page of pages) {
    const least = shares.reduce((min, s) => (s.load < min.load ? s : min));
    least.pages.push(page);
    least.load += weight(page);
  }
  return shares[shard]?.pages ?? [];
}

/**
 * The page tests of share `shard` of `count`, one after another in one file: the shares are separate test files
 * so that the runner spreads them over its workers without running more processes at once than it has workers.
 */
export function pageShare(shard: number, count: number): void {
  describe(`commands shown in README.md and docs/ (pages, share ${shard + 1} of ${count})`, () => {
    let scratch: Scratch = { dir: '', shims: '' };
    beforeAll(() => {
      if (built) scratch = makeScratch();
    });
    afterAll(() => {
      if (scratch.dir !== '') rmSync(scratch.dir, { recursive: true, force: true });
    });

    for (const file of pagesOf(shard, count)) {
      const blocks = BLOCKS.filter((b) => b.file === file && b.delegatedTo === undefined);
      it.skipIf(!built || !tools.gcloud || !tools.kubectl || !tools.jq || !tools.curl)(
        `${file}: its ${blocks.length} block${blocks.length === 1 ? '' : 's'} run as written`,
        { timeout: 300_000 },
        async () => {
          await withPage(scratch, file, async (cwd, env) => {
            for (const block of blocks) {
              const result = await run(scriptOf(block), cwd, env);
              expect(result.status, `${block.file}:${block.line}\n${result.stderr}\n${result.stdout.slice(-3000)}`).toBe(0);
            }
          });
        },
      );
    }
  });
}
