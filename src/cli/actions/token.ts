// `wi-doctor token decode|verify`: read a KSA token (a file, stdin, or a TokenRequest), show its header and
// claims with human times, run the token-claims evaluation, or verify its signature. Exit codes as `check`:
// 0 nothing wrong, 1 findings, 2 input or usage error (a non-JWT gets one precise line). The full token is
// never printed; the signature only with --show-signature.

import { readFile } from 'node:fs/promises';
import tokenClaimsCheck from '../../checks/token-claims.js';
import { loadKubeConfig, parseGkeContextName } from '../../collect/live/credentials.js';
import { resolveEndpoints } from '../../collect/live/endpoints.js';
import { UsageError } from '../../engine/errors.js';
import type { ClusterRef } from '../../model/facts.js';
import { clusterResourceName } from '../../model/facts.js';
import type { CheckResult, FailOn, Report } from '../../model/results.js';
import { docsUrl, exitCodeFor, summarize } from '../../model/results.js';
import { renderJson } from '../../report/json.js';
import { evaluateClaims, parseGkeIssuer, tokenIdentity } from '../../token/claims.js';
import type { DecodedToken } from '../../token/decode.js';
import { TokenError, decodeToken } from '../../token/decode.js';
import { claimFixes } from '../../token/fixes.js';
import { MintError, mintToken } from '../../token/mint.js';
import { renderDecodedToken } from '../../token/render.js';
import type { VerifyResult } from '../../token/verify.js';
import { clusterJwksUrl, verifyToken } from '../../token/verify.js';
import type { Io } from '../output.js';
import { emit, warn } from '../output.js';
import { sanitize } from '../../report/sanitize.js';
import { packageVersion } from '../package-info.js';

/** Io plus stdin, for `token decode -`. */
export type TokenIo = Io & { stdin?: NodeJS.ReadableStream };

interface ExpectOptions {
  expectNamespace?: string;
  expectKsa?: string;
  expectAudience?: string;
  expectIssuer?: string;
  /** Clock skew tolerance in seconds (default 60). */
  skew?: number;
  format?: 'text' | 'json';
  output?: string;
  /** Test seam: the clock (default: now). */
  now?: Date;
}

export interface TokenDecodeOptions extends ExpectOptions {
  /** A token file, or `-` for stdin. */
  file?: string;
  /** `NS/KSA`: mint a token through TokenRequest instead of reading one. */
  ksa?: string;
  /** `NS/POD` or `POD`: bind the minted token to this pod. */
  pod?: string;
  /** Audience of the minted token (default: the workload pool `PROJECT.svc.id.goog`). */
  audience?: string;
  /** Project whose pool is the default audience (default: from a `gke_P_L_C` context name). */
  project?: string;
  expirationSeconds?: number;
  kubeconfig?: string;
  context?: string;
  showSignature?: boolean;
  failOn?: FailOn;
}

export interface TokenVerifyOptions extends ExpectOptions {
  file?: string;
  jwks?: string;
  fromIssuer?: boolean;
  /** `true`: the cluster from the token's GKE issuer; a string: `projects/P/locations/L/clusters/C`. */
  fromCluster?: boolean | string;
  /** Seconds per HTTP request. */
  timeout?: number;
}

/** Reported as exit code 2 with one line. */
class InputError extends Error {}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function readTokenInput(file: string | undefined, io: TokenIo): Promise<{ text: string; source: string }> {
  if (file === undefined) throw new UsageError('give a token file, - for stdin, or --ksa NS/KSA to mint one');
  if (file === '-') return { text: await readStream(io.stdin ?? process.stdin), source: 'stdin' };
  try {
    return { text: await readFile(file, 'utf8'), source: file };
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function splitRef(value: string, flag: string): { namespace: string; name: string } {
  const parts = value.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UsageError(`${flag} ${value}: expected NAMESPACE/NAME`);
  return { namespace: parts[0], name: parts[1] };
}

async function mint(
  options: TokenDecodeOptions,
  io: TokenIo,
): Promise<{ text: string; source: string; audience: string }> {
  const ksa = splitRef(options.ksa ?? '', '--ksa');
  let pod: string | undefined;
  if (options.pod !== undefined) {
    const p = options.pod.includes('/')
      ? splitRef(options.pod, '--pod')
      : { namespace: ksa.namespace, name: options.pod };
    if (p.namespace !== ksa.namespace) {
      throw new UsageError(`--pod ${options.pod} is in namespace ${p.namespace}, --ksa in ${ksa.namespace}`);
    }
    pod = p.name;
  }
  const kc = loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context }, io.env);
  const project = options.project ?? parseGkeContextName(kc.getCurrentContext())?.project;
  const audience = options.audience ?? options.expectAudience ?? (project ? `${project}.svc.id.goog` : undefined);
  if (audience === undefined) {
    throw new UsageError('give --audience (the workload pool, e.g. acme-shop.svc.id.goog) or --project');
  }
  try {
    const text = await mintToken(kc, {
      namespace: ksa.namespace,
      ksa: ksa.name,
      audience,
      ...(pod !== undefined ? { pod } : {}),
      ...(options.expirationSeconds !== undefined ? { expirationSeconds: options.expirationSeconds } : {}),
    });
    return { text, source: `TokenRequest ${ksa.namespace}/${ksa.name}${pod ? ` (pod ${pod})` : ''}`, audience };
  } catch (e) {
    if (e instanceof MintError) throw new InputError(e.message);
    throw e;
  }
}

/** The token-claims result for a decoded token, as `check` reports it. */
export function tokenClaimsResult(
  token: DecodedToken,
  source: string,
  expect: { namespace?: string; ksa?: string; audience?: string; issuer?: string; skewSeconds?: number; now: Date },
): { result: CheckResult; evaluation: ReturnType<typeof evaluateClaims> } {
  const evaluation = evaluateClaims(token.claims, expect);
  const identity = evaluation.identity ?? tokenIdentity(token.claims);
  const namespace = expect.namespace ?? identity?.namespace;
  const ksa = expect.ksa ?? identity?.name;
  const target = namespace && ksa ? `namespaces/${namespace}/serviceaccounts/${ksa}` : source;
  const failing = evaluation.status !== 'pass';
  const plans = failing
    ? claimFixes(evaluation, {
        target,
        ...(expect.audience !== undefined ? { audience: expect.audience } : {}),
        ...(expect.issuer !== undefined ? { issuer: expect.issuer } : {}),
        ...(namespace !== undefined ? { namespace } : {}),
        ...(ksa !== undefined ? { ksa } : {}),
      })
    : [];
  const notes = [...token.notes, ...(evaluation.evidence.notes ?? [])];
  const result: CheckResult = {
    check: tokenClaimsCheck.id,
    status: evaluation.status,
    subject: identity ? `${identity.namespace}/${identity.name}` : 'token',
    title: failing ? tokenClaimsCheck.failureTitle : tokenClaimsCheck.title,
    cause: evaluation.cause,
    evidence: { ...evaluation.evidence, ...(notes.length > 0 ? { notes } : {}) },
    fix: plans,
    docs: docsUrl(tokenClaimsCheck.id),
    location: source,
  };
  return { result, evaluation };
}

function clusterOfIssuer(iss: unknown): string {
  const ref = typeof iss === 'string' ? parseGkeIssuer(iss) : undefined;
  return ref ? clusterResourceName({ project: ref.project, location: ref.location, name: ref.cluster }) : '';
}

/** Run a command body; input errors (a non-JWT, an unreadable file) become one line on stderr and exit 2. */
async function guarded(io: TokenIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof InputError || e instanceof TokenError) {
      warn(io, e.message);
      return 2;
    }
    throw e;
  }
}

export function runTokenDecode(options: TokenDecodeOptions, io: TokenIo): Promise<number> {
  return guarded(io, async () => {
    if (options.pod !== undefined && options.ksa === undefined) throw new UsageError('--pod needs --ksa NS/KSA');
    if (options.ksa !== undefined && options.file !== undefined) {
      throw new UsageError('give either a token file or --ksa, not both');
    }
    const minted = options.ksa !== undefined ? await mint(options, io) : undefined;
    const { text, source } = minted ?? (await readTokenInput(options.file, io));
    let token: DecodedToken;
    try {
      token = decodeToken(text, { keepSignature: options.showSignature === true });
    } catch (e) {
      if (e instanceof TokenError) throw new InputError(`${source}: ${e.message}`);
      throw e;
    }
    const now = options.now ?? new Date();
    const ksa = options.ksa !== undefined ? splitRef(options.ksa, '--ksa') : undefined;
    const expect = {
      now,
      ...(options.skew !== undefined ? { skewSeconds: options.skew } : {}),
      ...((options.expectNamespace ?? ksa?.namespace) !== undefined
        ? { namespace: options.expectNamespace ?? ksa?.namespace }
        : {}),
      ...((options.expectKsa ?? ksa?.name) !== undefined ? { ksa: options.expectKsa ?? ksa?.name } : {}),
      ...((options.expectAudience ?? minted?.audience) !== undefined
        ? { audience: options.expectAudience ?? minted?.audience }
        : {}),
      ...(options.expectIssuer !== undefined ? { issuer: options.expectIssuer } : {}),
    };
    const { result, evaluation } = tokenClaimsResult(token, source, expect);
    if (options.format === 'json') {
      const report: Report & { token: Omit<DecodedToken, 'notes'> } = {
        format: 'wi-doctor-report/1',
        tool: { name: 'wi-doctor', version: packageVersion() },
        generatedAt: now.toISOString(),
        source,
        cluster: clusterOfIssuer(token.claims.iss),
        results: [result],
        verdicts: [],
        groups: [],
        summary: summarize([result]),
        notes: token.notes,
        token: { header: token.header, claims: token.claims, signature: token.signature },
      };
      emit(io, renderJson(report), options.output);
    } else {
      const lines = renderDecodedToken(token, source, evaluation, now);
      for (const fix of result.fix) lines.push(`    fix: ${sanitize(fix.description)}`);
      emit(io, lines.join('\n'), options.output);
    }
    return exitCodeFor([result], options.failOn ?? 'fail');
  });
}

function clusterRefOf(value: string): ClusterRef {
  const m = /^projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)$/.exec(value);
  if (!m?.[1] || !m[2] || !m[3]) {
    throw new UsageError(`--from-cluster ${value}: expected projects/PROJECT/locations/LOCATION/clusters/CLUSTER`);
  }
  return { project: m[1], location: m[2], name: m[3] };
}

/** ✓ passed, ✗ failed, – not compared (nothing given to compare with): never ✓ for a comparison not made. */
const VERIFY_SYMBOL = (c: { ok: boolean; compared?: false }): string =>
  !c.ok ? '✗' : c.compared === false ? '–' : '✓';

export function runTokenVerify(options: TokenVerifyOptions, io: TokenIo): Promise<number> {
  return guarded(io, async () => {
    const sources = [options.jwks !== undefined, options.fromIssuer === true, options.fromCluster !== undefined];
    if (sources.filter(Boolean).length !== 1) {
      throw new UsageError('give exactly one key source: --jwks URL|FILE, --from-issuer or --from-cluster');
    }
    const { text, source } = await readTokenInput(options.file, io);
    let jwks: URL | string | undefined = options.jwks;
    if (options.fromCluster !== undefined && options.fromCluster !== false) {
      let ref: ClusterRef | undefined;
      if (typeof options.fromCluster === 'string') ref = clusterRefOf(options.fromCluster);
      else {
        let iss: unknown;
        try {
          iss = decodeToken(text).claims.iss;
        } catch (e) {
          if (e instanceof TokenError) throw new InputError(`${source}: ${e.message}`);
          throw e;
        }
        const gke = typeof iss === 'string' ? parseGkeIssuer(iss) : undefined;
        if (!gke) {
          throw new UsageError(
            `--from-cluster: the token's issuer is no GKE cluster; give --from-cluster projects/P/locations/L/clusters/C`,
          );
        }
        ref = { project: gke.project, location: gke.location, name: gke.cluster };
      }
      // The cluster JWKS is public, like the issuer's discovery document; the container endpoint honours
      // WI_DOCTOR_CONTAINER_ENDPOINT / CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER (docs/live.md).
      jwks = clusterJwksUrl(ref, resolveEndpoints({}, io.env).container);
    }
    const result: VerifyResult = await verifyToken(text, {
      ...(jwks !== undefined ? { jwks } : {}),
      // A GKE issuer is discovered through the container endpoint when it is overridden (docs/live.md).
      ...(options.fromIssuer ? { fromIssuer: true, containerEndpoint: resolveEndpoints({}, io.env).container } : {}),
      ...(options.expectAudience !== undefined ? { audience: options.expectAudience } : {}),
      ...(options.expectIssuer !== undefined ? { issuer: options.expectIssuer } : {}),
      ...(options.skew !== undefined ? { skewSeconds: options.skew } : {}),
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout * 1000 } : {}),
      now: options.now ?? new Date(),
    });
    if (options.format === 'json') {
      emit(io, JSON.stringify({ format: 'wi-doctor-token-verify/1', source, ...result }, null, 2), options.output);
    } else {
      const width = Math.max(...result.checks.map((c) => c.name.length));
      const lines = [`Token from ${source}`];
      for (const c of result.checks) lines.push(`  ${VERIFY_SYMBOL(c)} ${c.name.padEnd(width)}  ${c.message}`);
      lines.push(
        result.ok
          ? `verified: signed by ${result.kid !== undefined ? `key \`${result.kid}\`` : 'a key'} of ${result.keySource ?? 'the JWKS'}`
          : `not verified: ${result.error ?? 'a check failed'}`,
      );
      emit(io, lines.map((line) => sanitize(line)).join('\n'), options.output);
    }
    if (result.inputError) {
      // Exit 2 always says why on stderr, whatever went to stdout.
      warn(io, `${source}: ${result.error ?? 'the token or the keys could not be read'}`);
      return 2;
    }
    return result.ok ? 0 : 1;
  });
}
