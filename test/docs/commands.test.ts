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

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import {
  BLOCKS,
  DELEGATED,
  NOT_RUN,
  PREFIX_NOT_RUN,
  built,
  commandsOf,
  complete,
  docFiles,
  has,
  pagesOf,
  repo,
  run,
  runPages,
  words,
} from './commands.js';

/** The page files: test/docs/commands-pages-N.test.ts, N from 1, each running pageShare(N - 1, SHARES). */
const SHARES = 3;

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

  it(`runs every page in exactly one of the ${SHARES} page files`, () => {
    const shares = Array.from({ length: SHARES }, (_, i) => pagesOf(i, SHARES));
    expect(shares.flat().sort()).toEqual(runPages().sort());
    shares.forEach((pages, i) => {
      const file = join(repo, 'test', 'docs', `commands-pages-${i + 1}.test.ts`);
      expect(existsSync(file), `${file} is missing`).toBe(true);
      expect(readFileSync(file, 'utf8')).toContain(`pageShare(${i}, ${SHARES})`);
      expect(pages.length, `share ${i + 1} runs no page`).toBeGreaterThan(0);
    });
  });
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
