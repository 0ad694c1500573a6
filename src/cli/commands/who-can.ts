// `wi-doctor who-can`: flags and help; the work is in ../actions/who-can.ts.

import { Option } from 'commander';
import type { RegisterCommand } from '../host.js';
import { nonEmptyPath, withExamples } from '../options.js';
import { addLiveOptions } from './live-options.js';

export const registerWhoCan: RegisterCommand = (program, { io, setExit }) => {
  const command = program
    .command('who-can')
    .description(
      'The reverse question: who can get a GSA’s tokens (--gsa), or what a KSA’s identity can reach (--ksa), from the live APIs or an evidence bundle (--from).',
    )
    .option('--from <dir>', 'answer from an evidence bundle (offline) instead of the live APIs', nonEmptyPath)
    .option(
      '--gsa <email>',
      'a Google service account: every principal that can mint its tokens, and the KSAs that get it',
    )
    .option(
      '--ksa <ns/name>',
      'a Kubernetes service account: every resource its identity reaches, direct and through its GSA',
    )
    .option(
      '--clusters <spec>',
      'with --gsa: the clusters whose KSAs to list (projects/PROJECT, organizations/N, folders/N, ALL_CONTEXTS or a file)',
    )
    .option(
      '--scope <scope>',
      'Cloud Asset Inventory scope searched for grants: organizations/N, folders/N, projects/P, auto (default) or none',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--output <file>', 'write the answer to a file instead of stdout', nonEmptyPath);
  withExamples(command, [
    'wi-doctor who-can --gsa cart-gsa@acme-shop.iam.gserviceaccount.com --clusters ALL_CONTEXTS',
    'wi-doctor who-can --ksa shop/api --context gke_acme-shop_europe-west1_prod',
    'wi-doctor who-can --from ./bundle --gsa cart-gsa@acme-shop.iam.gserviceaccount.com',
  ]);
  addLiveOptions(command).action(async (options: import('../actions/who-can.js').WhoCanOptions) => {
    const { runWhoCanCommand } = await import('../actions/who-can.js');
    setExit(await runWhoCanCommand(options, io));
  });
};
