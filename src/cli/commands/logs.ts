// `wi-doctor logs`: flags and help; the work is in ../actions/logs.ts.

import { Option } from 'commander';
import type { RegisterCommand } from '../host.js';
import { nonEmptyPath, withExamples } from '../options.js';
import { addLiveOptions } from './live-options.js';

export const registerLogs: RegisterCommand = (program, { io, setExit }) => {
  const logs = program
    .command('logs')
    .description(
      "What the audit logs say about a KSA's tokens: whether the logs are on, GenerateAccessToken and STS entries, failures, callers.",
    )
    .requiredOption('--ksa <ns/name>', 'the Kubernetes service account')
    .option('--since <duration>', 'how far back: 30m, 12h, 7d (at most 400d)', '7d')
    .option(
      '--from <dir>',
      'an evidence bundle folder (its gcp/logs/); without it, Cloud Logging is read live',
      nonEmptyPath,
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--output <file>', 'write the report to a file instead of stdout', nonEmptyPath);
  withExamples(logs, [
    'wi-doctor logs --from examples/missing-binding --ksa shop/cart --since 7d',
    'wi-doctor logs --from examples/healthy --ksa shop/cart --since 30d --format json',
    'wi-doctor logs --ksa shop/cart --since 12h --context gke_acme-shop_europe-west1_prod   # live: Cloud Logging',
  ]);
  addLiveOptions(logs).action(async (options: import('../actions/logs.js').LogsCommandOptions) => {
    const { runLogsCommand } = await import('../actions/logs.js');
    setExit(await runLogsCommand(options, io));
  });
};
