// `wi-doctor token decode|verify` as functions: exit codes, text and JSON output, stdin, never the full
// token; minting through the sandbox's TokenRequest and verifying against its cluster JWKS.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenIo } from '../../src/cli/actions/token.js';
import { runTokenDecode, runTokenVerify } from '../../src/cli/actions/token.js';
import { registerToken } from '../../src/cli/commands/token.js';
import type { RunningSandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { scenario } from '../sandbox/helpers.js';
import { ISSUER, NOW, NOW_S, POOL, SIGNATURE, claimsFor, jwt } from './jwt.js';

function capture(env: NodeJS.ProcessEnv = {}, stdin?: string): TokenIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  const io: TokenIo & { out: () => string; err: () => string } = {
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    env,
    out: () => out,
    err: () => err,
  };
  if (stdin !== undefined) {
    const stream = new PassThrough();
    stream.end(stdin);
    io.stdin = stream;
  }
  return io;
}

const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-token-cli-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const expectCart = { expectNamespace: 'shop', expectKsa: 'cart', expectAudience: POOL, expectIssuer: ISSUER, now: NOW };

describe('token decode', () => {
  it('a healthy token: exit 0, header, claims with human times, signature length only', async () => {
    const io = capture();
    const code = await runTokenDecode({ file: file('ok.jwt', `${jwt()}\r\n`), format: 'text', ...expectCart }, io);
    expect(code).toBe(0);
    const out = io.out();
    expect(out).toMatch(/note: removed carriage returns/);
    expect(out).toMatch(new RegExp(`exp +${NOW_S + 3000}  2026-11-28 17:50:00 UTC \\(in 50 min\\)`));
    expect(out).toMatch(/Signature {2}256 bytes \(not shown; --show-signature prints it\)/);
    expect(out).toMatch(/✓ token-claims {2}token for KSA `shop\/cart` is well formed/);
    expect(out).not.toContain(SIGNATURE.slice(0, 30));
    expect(out).not.toContain(jwt());
  });

  it('--show-signature prints it', async () => {
    const io = capture();
    await runTokenDecode({ file: file('ok2.jwt', jwt()), format: 'text', showSignature: true, now: NOW }, io);
    expect(io.out()).toContain(SIGNATURE);
  });

  it('reads stdin with -', async () => {
    const io = capture({}, `Bearer ${jwt()}\n`);
    expect(await runTokenDecode({ file: '-', format: 'text', now: NOW }, io)).toBe(0);
    expect(io.out()).toMatch(/Token from stdin/);
  });

  it('an expired token exits 1; JSON is the check report shape and validates against the schema', async () => {
    const io = capture();
    const expired = jwt(claimsFor('shop', 'cart', { iat: NOW_S - 10800, exp: NOW_S - 7200 }));
    const code = await runTokenDecode({ file: file('old.jwt', expired), format: 'json', ...expectCart }, io);
    expect(code).toBe(1);
    const report = JSON.parse(io.out()) as Record<string, unknown> & {
      results: { check: string; status: string; subject: string; fix: { action: string }[] }[];
      summary: Record<string, number>;
      token: { signature: unknown };
    };
    expect(report.format).toBe('wi-doctor-report/1');
    expect(report.results.map((r) => [r.check, r.status, r.subject])).toEqual([['token-claims', 'fail', 'shop/cart']]);
    expect(report.results[0]?.fix.map((f) => f.action)).toEqual(['manual']);
    expect(report.summary).toMatchObject({ fail: 1 });
    expect(report.cluster).toBe('projects/acme-shop/locations/europe-west1/clusters/prod');
    expect(report.token.signature).toEqual({ bytes: 256 });
    const schema: unknown = JSON.parse(
      readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'),
    );
    const validate = new Ajv2020Module.default({ allErrors: true, strict: true }).compile(schema as object);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
  });

  it('a warning exits 0 unless --fail-on warn', async () => {
    const soon = file('soon.jwt', jwt(claimsFor('shop', 'cart', { exp: NOW_S + 100 })));
    expect(await runTokenDecode({ file: soon, format: 'text', now: NOW }, capture())).toBe(0);
    expect(await runTokenDecode({ file: soon, format: 'text', now: NOW, failOn: 'warn' }, capture())).toBe(1);
  });

  it('a non-JWT exits 2 with one precise line and no output', async () => {
    const io = capture();
    const path = file('bad.jwt', 'eyJhbGciOiJSUzI1NiJ9.not+base64.sig\n');
    expect(await runTokenDecode({ file: path, format: 'json', now: NOW }, io)).toBe(2);
    expect(io.err()).toBe(
      `wi-doctor: ${path}: segment 2 (claims): not base64url at character 4 ("+": standard base64, a JWT uses base64url (\`-\` and \`_\`))\n`,
    );
    expect(io.out()).toBe('');
  });

  it('a missing file exits 2', async () => {
    const io = capture();
    expect(await runTokenDecode({ file: join(dir, 'none.jwt'), format: 'text' }, io)).toBe(2);
    expect(io.err()).toMatch(/cannot read .*none.jwt: ENOENT/);
  });

  it('registers token decode and token verify on a commander program', async () => {
    const io = capture();
    let exit = -1;
    const program = new Command('wi-doctor').exitOverride();
    registerToken(program, { io, setExit: (code) => (exit = code) });
    const path = file('cmd.jwt', jwt(claimsFor('shop', 'cart', { iat: NOW_S - 10800, exp: NOW_S - 7200 })));
    await program.parseAsync(['token', 'decode', path, '--expect-namespace', 'shop', '--skew', '30'], { from: 'user' });
    expect(exit).toBe(1);
    expect(io.out()).toMatch(/✗ token-claims/);
    expect(program.commands.find((c) => c.name() === 'token')?.commands.map((c) => c.name())).toEqual([
      'decode',
      'verify',
    ]);
  });
});

describe('token decode --ksa and token verify --from-cluster against the sandbox', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await startSandbox({ scenario: scenario('healthy') });
  });
  afterAll(async () => {
    await sb.stop();
  });

  it('mints a pod-bound token for the pool and checks it', async () => {
    const io = capture({ ...sb.env, METADATA_SERVER_DETECTION: 'none' });
    const pod = sb.pods.find((p) => p.namespace === 'shop' && p.name.startsWith('cart-'));
    expect(pod).toBeDefined();
    const code = await runTokenDecode(
      { ksa: 'shop/cart', pod: `shop/${pod?.name ?? ''}`, kubeconfig: sb.kubeconfig, format: 'json' },
      io,
    );
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(io.out()) as {
      token: { claims: Record<string, unknown> };
      results: { status: string }[];
    };
    expect(report.token.claims.aud).toEqual([POOL]);
    expect(report.token.claims['kubernetes.io']).toMatchObject({ pod: { name: pod?.name } });
    expect(io.out()).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });

  it('a KSA that does not exist exits 2 with the API server message', async () => {
    const io = capture(sb.env);
    const code = await runTokenDecode({ ksa: 'shop/nope', kubeconfig: sb.kubeconfig, audience: POOL }, io);
    expect(code).toBe(2);
    expect(io.err()).toMatch(/^wi-doctor: TokenRequest for shop\/nope: .*nope.*not found/);
  });

  it('verifies a minted token against the cluster JWKS (--from-cluster) and by discovery', async () => {
    // Mint through the sandbox's API directly to get a token file to verify.
    const { KubeConfig } = await import('@kubernetes/client-node');
    const { mintToken } = await import('../../src/token/mint.js');
    const kc = new KubeConfig();
    kc.loadFromFile(sb.kubeconfig);
    const token = await mintToken(kc, { namespace: 'shop', ksa: 'cart', audience: POOL });
    const path = file('minted.jwt', token);

    const io = capture(sb.env);
    const code = await runTokenVerify(
      {
        file: path,
        fromCluster: 'projects/acme-shop/locations/europe-west1/clusters/prod',
        expectAudience: POOL,
        format: 'text',
      },
      io,
    );
    expect(io.out()).toMatch(/✓ signature +signature verified with key/);
    expect(io.out()).toMatch(/✓ audience +audience includes/);
    // No --expect-issuer: the issuer was not compared, and says so with its own mark, never ✓.
    expect(io.out()).toMatch(/– issuer +issuer `.*` not compared \(give --expect-issuer\)/);
    expect(io.out()).not.toMatch(/✓ [^\n]*not compared/);
    expect(code).toBe(0);
    expect(io.out()).not.toContain(token);

    const viaIssuer = capture(sb.env);
    expect(await runTokenVerify({ file: path, fromIssuer: true, format: 'json' }, viaIssuer)).toBe(0);
    const verified = JSON.parse(viaIssuer.out()) as { checks: { name: string; compared?: boolean }[] };
    expect(verified).toMatchObject({ format: 'wi-doctor-token-verify/1', ok: true, alg: 'RS256' });
    expect(verified.checks.filter((c) => c.compared === false).map((c) => c.name)).toEqual(['issuer', 'audience']);
  });

  it('verify needs exactly one key source', async () => {
    await expect(runTokenVerify({ file: file('v.jwt', jwt()), format: 'text' }, capture())).rejects.toThrow(
      /exactly one key source/,
    );
  });
});
