// `wi-doctor token decode|verify`: flags and help; the work is in ../actions/token.ts.

import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { TokenDecodeOptions, TokenVerifyOptions } from '../actions/token.js';
import type { RegisterCommand } from '../host.js';
import { withExamples } from '../options.js';

function seconds(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected seconds (${what})`);
    return n;
  };
}

function addExpectOptions(command: Command): Command {
  return command
    .option(
      '--expect-audience <audience>',
      'the audience the token must include (the pool, e.g. acme-shop.svc.id.goog)',
    )
    .option(
      '--expect-issuer <url>',
      'the issuer the token must name (GKE: https://container.googleapis.com/v1/projects/P/locations/L/clusters/C)',
    )
    .addOption(
      new Option('--skew <seconds>', 'clock skew tolerance for exp, nbf and iat')
        .argParser(seconds('skew'))
        .default(60),
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--output <file>', 'write the output to a file instead of stdout');
}

/** `token decode` and `token verify`. */
export const registerToken: RegisterCommand = (program, { io, setExit }) => {
  const token = withExamples(
    program
      .command('token')
      .description('Decode, check and verify Kubernetes service account tokens (never printed in full).'),
    ['wi-doctor token decode token.txt', 'wi-doctor token verify token.txt --from-issuer'],
  );

  const decode = token
    .command('decode')
    .description("Show a KSA token's header and claims with human times, and run the token-claims check on it.")
    .argument('[file]', 'a token file, or - for stdin (kubectl exec output with \\r is fine)')
    .option('--ksa <ns/name>', 'mint a token for this KSA through the TokenRequest API instead of reading one')
    .option('--pod <ns/name>', 'bind the minted token to this pod (needs --ksa)')
    .option('--audience <audience>', 'audience of the minted token (default: the workload pool PROJECT.svc.id.goog)')
    .option('--project <id>', 'project whose pool is the default audience (default: from a gke_P_L_C context)')
    .addOption(
      new Option('--expiration <seconds>', 'lifetime of the minted token (minimum 600)').argParser(
        seconds('expiration'),
      ),
    )
    .option('--kubeconfig <file>', 'kubeconfig file for --ksa (default: KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context for --ksa')
    .option('--expect-namespace <ns>', 'the namespace the token must be for (default: that of --ksa)')
    .option('--expect-ksa <name>', 'the KSA the token must be for (default: that of --ksa)')
    .option('--show-signature', 'print the signature too (it is hidden by default)')
    .addOption(
      new Option('--fail-on <level>', 'exit 1 when the result reaches this level')
        .choices(['fail', 'warn', 'unknown'])
        .default('fail'),
    );
  withExamples(decode, [
    'wi-doctor token decode token.txt',
    'kubectl create token cart -n shop --audience acme-shop.svc.id.goog | wi-doctor token decode - --expect-namespace shop',
    'wi-doctor token decode --ksa shop/cart --pod shop/cart-7d9f8b6c5d-abcde',
  ]);
  addExpectOptions(decode).action(
    async (file: string | undefined, options: TokenDecodeOptions & { expiration?: number }) => {
      const { expiration, ...rest } = options;
      const { runTokenDecode } = await import('../actions/token.js');
      setExit(
        await runTokenDecode(
          {
            ...rest,
            ...(file !== undefined ? { file } : {}),
            ...(expiration !== undefined ? { expirationSeconds: expiration } : {}),
          },
          io,
        ),
      );
    },
  );

  const verify = token
    .command('verify')
    .description("Verify a token's signature against its issuer's keys, then its issuer, audience and times.")
    .argument('[file]', 'a token file, or - for stdin')
    .option('--jwks <url-or-file>', 'a JWKS: an http(s) URL or a file')
    .option('--from-issuer', "fetch the keys through OIDC discovery on the token's issuer")
    .option(
      '--from-cluster [projects/P/locations/L/clusters/C]',
      "GKE's cluster JWKS (default: the cluster of the token's issuer)",
    )
    .addOption(new Option('--timeout <seconds>', 'per HTTP request').argParser(seconds('timeout')).default(10));
  withExamples(verify, [
    'wi-doctor token verify token.txt --from-issuer',
    'wi-doctor token verify token.txt --jwks ./jwks.json',
    'wi-doctor token verify token.txt --from-cluster projects/acme-shop/locations/europe-west1/clusters/prod',
  ]);
  addExpectOptions(verify).action(async (file: string | undefined, options: TokenVerifyOptions) => {
    const { runTokenVerify } = await import('../actions/token.js');
    setExit(await runTokenVerify({ ...options, ...(file !== undefined ? { file } : {}) }, io));
  });
};
