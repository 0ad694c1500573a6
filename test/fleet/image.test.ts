// deploy/Dockerfile without Docker (there is neither Docker nor a registry here): the files its final stage
// COPYs are assembled in a temporary folder from the built repository, read-only as the CronJob mounts its root
// filesystem, with a node_modules holding only the production dependencies (what `npm prune --omit=dev` leaves).
// The ENTRYPOINT then runs the CronJob's args (parsed from deploy/wi-doctor.yaml) against the sandbox, and the
// commands that read the package's own files at run time (explain, permissions, --help) run from it too.

import { execFile } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const built = existsSync(join(repo, 'dist', 'cli', 'bin.js'));

interface Stage {
  name: string | undefined;
  workdir: string;
  copies: { from: string | undefined; sources: string[]; dest: string }[];
  entrypoint: string[] | undefined;
  user: string | undefined;
}

/** The stages of a Dockerfile: FROM … AS name, WORKDIR, COPY [--from=stage] SRC… DEST, ENTRYPOINT ["…"], USER. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of lines) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const stage = stages.at(-1);
    switch (instruction.toUpperCase()) {
      case 'FROM':
        stages.push({
          name: /\sAS\s+(\S+)$/i.exec(line)?.[1],
          workdir: '/',
          copies: [],
          entrypoint: undefined,
          user: undefined,
        });
        break;
      case 'WORKDIR':
        if (stage) stage.workdir = rest[0] ?? '/';
        break;
      case 'COPY': {
        const flags = rest.filter((r) => r.startsWith('--'));
        const args = rest.filter((r) => !r.startsWith('--'));
        const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
        const dest = args.pop() ?? '';
        stage?.copies.push({ from, sources: args, dest: dest.startsWith('/') ? dest : join(stage.workdir, dest) });
        break;
      }
      case 'ENTRYPOINT':
        if (stage) stage.entrypoint = JSON.parse(line.slice('ENTRYPOINT'.length).trim()) as string[];
        break;
      case 'USER':
        if (stage) stage.user = rest[0];
        break;
      default:
    }
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(join(repo, 'deploy', 'Dockerfile'), 'utf8'));
const final = stages.at(-1);

interface CronJob {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    jobTemplate: {
      spec: {
        template: {
          spec: {
            securityContext?: { runAsUser?: number };
            containers: { args: string[]; volumeMounts?: { name: string; mountPath: string }[] }[];
            volumes?: { name: string; configMap?: { name: string } }[];
          };
        };
      };
    };
  };
}
const manifest = parseAllDocuments(readFileSync(join(repo, 'deploy', 'wi-doctor.yaml'), 'utf8')).map(
  (d) => d.toJS() as CronJob,
);
const pod = manifest.find((d) => d.kind === 'CronJob')?.spec?.jobTemplate.spec.template.spec;

/** Bare package names a built file imports (static, dynamic and `require.resolve`d). */
function importedPackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...text.matchAll(/^import\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1] ?? '');
  return specs
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] ?? s)));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => f.endsWith('.js') && statSync(f).isFile());
}

describe.skipIf(!built)('deploy/Dockerfile, its final stage assembled without Docker', { timeout: 120_000 }, () => {
  let sandbox: RunningSandbox | undefined;
  let env: NodeJS.ProcessEnv;
  const root = mkdtempSync(join(tmpdir(), 'wi-doctor-image-'));
  /** Where the image's absolute paths live here. */
  const at = (path: string): string => join(root, path);

  beforeAll(async () => {
    if (final === undefined) throw new Error('deploy/Dockerfile has no stage');
    // The top-level packages `npm ci --omit=dev` would install: the lockfile's entries not marked dev.
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
    };
    const production = Object.entries(lock.packages)
      .filter(
        ([path, p]) => /^node_modules\/(?!.*\/node_modules\/)/.test(path) && p.dev !== true && p.devOptional !== true,
      )
      .map(([path]) => path.slice('node_modules/'.length))
      .filter((name) => existsSync(join(repo, 'node_modules', name)));
    expect(production.length).toBeGreaterThan(20);
    for (const copy of final.copies) {
      const stage = stages.find((s) => s.name === copy.from);
      // The build stage copies the repository to its WORKDIR and builds it there.
      if (stage?.copies.some((c) => c.sources.join(' ') === '.' && c.dest === stage.workdir) !== true) {
        throw new Error(`COPY --from=${copy.from ?? ''}: not the build stage of the repository`);
      }
      for (const source of copy.sources) {
        const inRepo = join(repo, relative(stage.workdir, source));
        const dest =
          copy.sources.length > 1 || copy.dest.endsWith('/')
            ? join(copy.dest, source.split('/').pop() ?? '')
            : copy.dest;
        if (relative(repo, inRepo) === 'node_modules') {
          // What `npm prune --omit=dev` leaves: the production packages only.
          for (const name of production) {
            mkdirSync(dirname(join(at(dest), name)), { recursive: true });
            symlinkSync(join(repo, 'node_modules', name), join(at(dest), name));
          }
        } else {
          cpSync(inRepo, at(dest), { recursive: true });
        }
      }
    }
    // readOnlyRootFilesystem: nothing under the image may be written.
    for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      const path = join(root, entry);
      try {
        if (!statSync(path).isSymbolicLink()) chmodSync(path, statSync(path).isDirectory() ? 0o555 : 0o444);
      } catch {
        // a dangling entry: nothing to protect
      }
    }
    sandbox = await startSandbox({ scenario: join(repo, 'scenarios', 'fleet.yaml') });
    env = {
      PATH: process.env.PATH ?? '',
      ...sandbox.env,
      HOME: join(root, 'nonexistent-home'),
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
      NO_COLOR: '1',
    };
  }, 120_000);
  afterAll(async () => {
    await sandbox?.stop();
    for (const entry of ['', ...readdirSync(root, { recursive: true, encoding: 'utf8' })]) {
      try {
        chmodSync(join(root, entry), 0o755);
      } catch {
        // a symlink or a dangling entry
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  /** The ENTRYPOINT with these args, in the image's WORKDIR, as the image's user would run it. */
  async function entrypoint(args: string[]) {
    const [command, ...rest] = final?.entrypoint ?? [];
    expect(command).toBe('node');
    const argv = [...rest.map((a) => (a.startsWith('/') ? at(a) : a)), ...args];
    try {
      const r = await run(process.execPath, argv, { cwd: at(final?.workdir ?? '/'), env, maxBuffer: 2 ** 25 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }

  it('copies the package, the build, the role catalog, the check pages and the scenarios from the build stage', () => {
    const copied = new Set(final?.copies.flatMap((c) => c.sources) ?? []);
    for (const path of ['package.json', 'node_modules', 'dist', 'data', 'docs/checks', 'scenarios'])
      expect(copied, path).toContain(`/src/${path}`);
    expect(final?.user).toBe(String(pod?.securityContext?.runAsUser));
  });

  it('every package the built CLI imports is a production dependency', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
    };
    const imported = new Set(filesUnder(join(repo, 'dist')).flatMap(importedPackages));
    expect(imported.size).toBeGreaterThan(5);
    for (const name of imported) if (name !== pkg.name) expect(Object.keys(pkg.dependencies), name).toContain(name);
  });

  it("runs the CronJob's args (with the mounted baseline) and writes the fleet JSON report", async () => {
    const container = pod?.containers[0];
    if (container === undefined) throw new Error('the CronJob has no container');
    // The ConfigMap's files, where the container sees them.
    const files = new Map<string, string>();
    for (const mount of container.volumeMounts ?? []) {
      const name = pod?.volumes?.find((v) => v.name === mount.name)?.configMap?.name;
      const map = manifest.find((d) => d.kind === 'ConfigMap' && d.metadata.name === name);
      for (const [key, text] of Object.entries(map?.data ?? {})) files.set(`${mount.mountPath}/${key}`, text);
    }
    const mounted = mkdtempSync(join(tmpdir(), 'wi-doctor-image-mount-'));
    try {
      const args = container.args.map((a) => {
        const text = files.get(a);
        if (text === undefined) return a;
        const copy = join(mounted, a.replaceAll('/', '_'));
        writeFileSync(copy, text);
        return copy;
      });
      const { code, stdout, stderr } = await entrypoint(args);
      // Exit 1: staging's shop/orders has no binding, and the shipped baseline accepts nothing.
      expect(code, stderr).toBe(1);
      const report = JSON.parse(stdout) as { format: string; summary: { reachable: boolean }[]; baseline?: object };
      expect(report.format).toBe('wi-doctor-fleet/1');
      expect(report.summary.map((c) => c.reachable)).toEqual([true, true]);
      expect(report.baseline).toMatchObject({ suppressed: 0 });
      expect(stderr).not.toMatch(/EACCES|EROFS|at .*\.js:\d+/);
    } finally {
      rmSync(mounted, { recursive: true, force: true });
    }
  });

  it('explain, permissions and --help read what they need from the image', async () => {
    const explain = await entrypoint(['explain', 'wi-binding']);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toBe(readFileSync(join(repo, 'docs', 'checks', 'wi-binding.md'), 'utf8'));
    const permissions = await entrypoint(['permissions', '--scope', '--format', 'json']);
    expect(permissions.code, permissions.stderr).toBe(0);
    expect(permissions.stdout).toContain('cloudasset.assets.searchAllIamPolicies');
    const help = await entrypoint(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: wi-doctor/);
    const checkHelp = await entrypoint(['check', '--help']);
    expect(checkHelp.stdout).toContain('--baseline <file>');
  });

  it('demo loads its scenario from the image and diagnoses it', async () => {
    const demo = await entrypoint(['demo', '--hide-pass']);
    // Exit 1: the demo world is broken on purpose.
    expect(demo.code, demo.stderr).toBe(1);
    expect(demo.stdout).toMatch(/\d+ of \d+ KSAs broken/);
    expect(demo.stderr).not.toMatch(/EACCES|EROFS|ENOENT|at .*\.js:\d+/);
  });
});
