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
import { buildProgram } from '../../src/cli/main.js';
import { loadKubeConfig } from '../../src/collect/live/credentials.js';
import { mintToken } from '../../src/token/mint.js';
import { docsPages } from '../helpers/doc-pages.js';

const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'dist', 'cli', 'bin.js');
const built = existsSync(bin);
const has = (tool: string, ...args: string[]): boolean => spawnSync(tool, args, { stdio: 'ignore' }).status === 0;
const tools = { gcloud: has('gcloud', '--version'), kubectl: has('kubectl', 'version', '--client'), jq: has('jq', '--version'), curl: has('curl', '--version') };

/** Commands shown that cannot run here, by the text they start with, and why. */
const NOT_RUN: Record<string, string> = {
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
interface Delegation {
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

const DELEGATED: Delegation[] = [
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
const PREFIX_NOT_RUN: Record<string, string> = {
  'npm ci && ': 'installing over the checkout under test would change it mid-run; the CI runs `npm ci` on a clean checkout',
};

interface Block {
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

function docFiles(): string[] {
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

const BLOCKS = docFiles().flatMap(blocksOf);

/** Whether `text` is complete shell syntax (a whole command, not the start of one): bash's answer, once per text. */
const parsed = new Map<string, boolean>();
function complete(text: string): boolean {
  let answer = parsed.get(text);
  if (answer === undefined) {
    answer = spawnSync('bash', ['-n'], { input: text }).status === 0;
    parsed.set(text, answer);
  }
  return answer;
}

/** The top-level commands of a block: lines joined until they parse as a whole (continuations, heredocs, loops). */
function commandsOf(block: string): string[] {
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
const words = (command: string): string[] =>
  [...command.replace(/\s+#.*$/gm, '').matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
const notRun = (command: string): string | undefined =>
  Object.entries(NOT_RUN).find(([start]) => command.trimStart().startsWith(start))?.[1];

/** The scratch folder: what a reader of the repository has at hand; the shims npm would link. */
let scratch = '';
let shims = '';

beforeAll(() => {
  if (!built) return;
  scratch = mkdtempSync(join(tmpdir(), 'wi-doctor-docs-'));
  shims = join(scratch, '.bin');
  mkdirSync(shims);
  for (const name of ['wi-doctor', 'kubectl-wi_doctor']) symlinkSync(bin, join(shims, name));
  // `npx wi-doctor …` runs the built CLI (the real npx is run once, below); anything else goes to npx.
  writeFileSync(
    join(shims, 'npx'),
    `#!/bin/sh\nif [ "$1" = wi-doctor ]; then shift; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} "$@"; fi\nexec npx "$@"\n`,
    { mode: 0o755 },
  );
});

afterAll(() => {
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
});

/** A command's exit status and output, without blocking the event loop (the sandbox answers from it). */
function run(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { cwd, env, encoding: 'utf8', timeout: 170_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

function environment(sb: RunningSandbox, cwd: string): NodeJS.ProcessEnv {
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
async function withPage<T>(file: string, fn: (cwd: string, env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const cwd = mkdtempSync(join(scratch, 'page-'));
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
    const env = environment(sb, cwd);
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

describe('commands shown in README.md and docs/', () => {
  it('finds the blocks', () => {
    expect(BLOCKS.length).toBeGreaterThan(20);
  });

  it('delegates blocks only to tests that still run them', () => {
    for (const d of DELEGATED) {
      const where = `${d.file}${d.section !== undefined ? ` ${d.section}` : ''}${d.marker ?? ''}`;
      expect(
        BLOCKS.some((b) => b.file === d.file && b.delegatedTo === d.test),
        `${where}: no block is delegated to ${d.test}`,
      ).toBe(true);
      const source = readFileSync(join(repo, d.test), 'utf8');
      expect(source, `${d.test} does not read ${d.file}`).toContain(d.file.replace(/^README\.md$/, 'README'));
      for (const part of [d.section?.replace(/^## /, ''), d.marker?.replace(/^<!-- /, '').replace(/:$/, '')]) {
        if (part !== undefined) expect(source, `${d.test} does not read ${where}`).toContain(part);
      }
      const { runs } = d;
      if (runs === undefined) continue;
      for (const block of BLOCKS.filter((b) => b.file === d.file && b.delegatedTo === d.test)) {
        for (const command of commandsOf(block.text)) {
          expect(runs.test(command.trim()), `${block.file}:${block.line}: ${d.test} does not run: ${command}`).toBe(true);
        }
      }
    }
  });

  it('lists only commands that are still shown', () => {
    const all = BLOCKS.flatMap((b) => commandsOf(b.text));
    for (const start of [...Object.keys(NOT_RUN), ...Object.keys(PREFIX_NOT_RUN)]) {
      expect(
        all.some((c) => c.trimStart().startsWith(start)),
        `NOT_RUN entry "${start}" matches no shown command`,
      ).toBe(true);
    }
  });

  it('starts the sandbox with --env-out, never --env-file (Node 20 under npx takes --env-file for itself)', () => {
    const shown = docFiles().flatMap((file) =>
      readFileSync(join(repo, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (/wi-doctor sandbox\b[^`]*--env-file/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(shown).toEqual([]);
  });

  it('parses every command with bash, and every wi-doctor command with the CLI', () => {
    const program = buildProgram({ io: { stdout: process.stdout, stderr: process.stderr, env: {} }, setExit: () => undefined });
    const problems: string[] = [];
    for (const block of BLOCKS) {
      for (const command of commandsOf(block.text)) {
        if (!complete(command)) problems.push(`${block.file}:${block.line}: bash cannot parse: ${command}`);
        for (const part of command.split(/\||&&|;/)) {
          const argv = words(part);
          const at = argv.indexOf('wi-doctor');
          if (at < 0 || (at > 0 && argv[at - 1] !== 'npx' && argv[at - 1] !== 'kubectl')) continue;
          let target = program;
          const rest = argv.slice(at + 1);
          while (rest.length > 0 && target.commands.some((c) => c.name() === rest[0])) {
            target = target.commands.find((c) => c.name() === rest.shift()) ?? target;
          }
          const known = new Set([...target.options, ...program.options].flatMap((o) => [o.long, o.short]));
          for (const flag of rest.filter((w) => /^--?[a-zA-Z]/.test(w))) {
            if (!known.has(flag.split('=')[0])) problems.push(`${block.file}:${block.line}: unknown flag ${flag} in: ${part.trim()}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  // Pages are independent (each its own folder, gcloud configuration and sandbox): they run concurrently, most of
  // their time being spent in the processes they start.
  for (const file of [...new Set(BLOCKS.filter((b) => b.delegatedTo === undefined).map((b) => b.file))]) {
    const blocks = BLOCKS.filter((b) => b.file === file && b.delegatedTo === undefined);
    it.concurrent.skipIf(!built || !tools.gcloud || !tools.kubectl || !tools.jq || !tools.curl)(
      `${file}: its ${blocks.length} block${blocks.length === 1 ? '' : 's'} run as written`,
      { timeout: 300_000 },
      async () => {
        await withPage(file, async (cwd, env) => {
          for (const block of blocks) {
            const result = await run(scriptOf(block), cwd, env);
            expect(result.status, `${block.file}:${block.line}\n${result.stderr}\n${result.stdout.slice(-3000)}`).toBe(0);
          }
        });
      },
    );
  }
});

describe('npx wi-doctor, the real one', () => {
  const node20 = /^v20\./.test(process.version);
  it.skipIf(!built || !has('npx', '--version'))(
    `runs the package in a clone, and --env-out survives npx on Node ${process.version}`,
    { timeout: 300_000 },
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'wi-doctor-npx-'));
      // A private npm cache (npx links the checkout there); the build already ran, so no lifecycle scripts.
      const env = {
        ...process.env,
        npm_config_cache: join(home, 'cache'),
        npm_config_ignore_scripts: 'true',
        npm_config_update_notifier: 'false',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        NO_COLOR: '1',
      };
      try {
        const version = await run('npx wi-doctor --version', repo, env);
        expect(version.stdout.trim(), version.stderr).toMatch(/^\d+\.\d+\.\d+$/);
        const envFile = join(home, 'wi.env');
        // Node 20 takes `--env-file` for itself when a launcher runs `node bin.js …`; `--env-out` is ours.
        const out = JSON.stringify(join(home, 'out'));
        const file = JSON.stringify(envFile);
        // In its own process group, stopped as Ctrl-C stops it: SIGINT to the group (npx and the CLI).
        const script = [
          `setsid npx wi-doctor sandbox --scenario healthy --env-out ${file} > ${out} 2>&1 &`,
          'group=$!',
          `for i in $(seq 1 600); do [ -s ${file} ] && break; sleep 0.2; done`,
          `grep -q '^export KUBECONFIG=' ${file} || { cat ${out}; kill -KILL -- -$group; exit 3; }`,
          'kill -INT -- -$group',
          'for i in $(seq 1 100); do kill -0 -- -$group 2>/dev/null || break; sleep 0.2; done',
          'if kill -0 -- -$group 2>/dev/null; then kill -KILL -- -$group; echo "still running after SIGINT"; exit 4; fi',
          `[ ! -e ${file} ] || { echo "env file left behind"; exit 5; }`,
        ].join('\n');
        const sandbox = await run(script, repo, env);
        expect(sandbox.status, `${sandbox.stdout}\n${sandbox.stderr}`).toBe(0);
        if (node20) expect(process.version).toMatch(/^v20\./);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  );
});
