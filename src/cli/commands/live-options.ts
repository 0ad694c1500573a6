// The flags of live collection, shared by every command that reads the live APIs.

import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { parseEndpointFlags } from '../../collect/live/endpoints.js';
import { nonEmptyPath } from '../options.js';

function positiveNumber(what: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected a positive ${integer ? 'integer' : 'number'} (${what})`);
    }
    return n;
  };
}

/** `--endpoint API=URL`, checked when the flag is read: in every mode, `--from` included. */
function endpoint(value: string, previous: string[] = []): string[] {
  try {
    parseEndpointFlags([value]);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
  return [...previous, value];
}

export function addLiveOptions(command: Command): Command {
  return command
    .option('--project <id>', 'project of the cluster (default: from a gke_PROJECT_LOCATION_CLUSTER context name)')
    .option('--location <location>', 'location (region or zone) of the cluster')
    .option('--cluster <name>', 'name of the cluster')
    .option('--context <name>', 'kubeconfig context to use (default: the current context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster)', nonEmptyPath)
    .option(
      '--access-token-file <file>',
      'a Google access token to use instead of Application Default Credentials',
      nonEmptyPath,
    )
    .option('--billing-project <id>', 'project to bill API quota to (sent as x-goog-user-project)')
    .addOption(
      new Option('--timeout <seconds>', 'timeout per API call').argParser(positiveNumber('seconds', false)).default(20),
    )
    .addOption(
      new Option('--concurrency <n>', 'API calls in flight at once')
        .argParser(positiveNumber('calls', true))
        .default(8),
    )
    .option(
      '--endpoint <api=url>',
      'base URL of a Google API, e.g. iam=http://127.0.0.1:8080/ (repeatable; see docs/live.md)',
      endpoint,
    )
    .option('--debug', 'trace every HTTP call on stderr (method, URL, status, time; credentials redacted)')
    .option('--quiet', 'no progress line on stderr');
}

/** Many clusters in one run, and the Cloud Asset Inventory scope searched for grants (docs/fleet.md). */
export function addFleetOptions(command: Command): Command {
  return command
    .option(
      '--clusters <spec>',
      'many clusters: projects/PROJECT, organizations/N or folders/N (every cluster in it), ALL_CONTEXTS (every kubeconfig context) or a file of names',
    )
    .addOption(
      new Option(
        '--cluster-concurrency <n>',
        'clusters collected at once with --clusters (memory holds about this many)',
      )
        .argParser(positiveNumber('clusters', true))
        .default(4),
    )
    .option(
      '--scope <scope>',
      'Cloud Asset Inventory scope searched for grants: organizations/N, folders/N, projects/P, auto or none (default: none; auto with --clusters)',
    );
}
