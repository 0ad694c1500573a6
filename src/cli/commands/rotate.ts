// `wi-doctor rotate`: flags and help; the work is in ../actions/rotate.ts.

import { Option } from 'commander';
import type { RegisterCommand } from '../host.js';
import { list, nonEmptyPath, withExamples } from '../options.js';
import { seconds } from './fix.js';
import { addLiveOptions } from './live-options.js';

function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export const registerRotate: RegisterCommand = (program, { io, setExit }) => {
  const rotate = program
    .command('rotate')
    .description(
      'Move KSAs to a new Google service account without downtime: the new one is proven to work before any pod uses it, and the old one is disabled only after that.',
    )
    .option('--ksa <ns/name>', 'a KSA to move (repeatable, or comma-separated)', list)
    .option('--to <email>', 'the new service account, ACCOUNT@PROJECT.iam.gserviceaccount.com (created if absent)')
    .option(
      '--on <resource>',
      'also copy the old account’s grants on this resource (repeatable; projects are always covered)',
      repeatable,
    )
    .option('--all-users', 'also move every other KSA that uses the old account')
    .option('--delete-old', 'delete the old account at the end (it can be undeleted for 30 days)')
    .addOption(
      new Option('--mode <mode>', 'zero-downtime, or revoke-first when the old account is compromised')
        .choices(['zero-downtime', 'revoke-first'])
        .default('zero-downtime'),
    )
    .option(
      '--journal <file>',
      'where the rotation records its progress (default: wi-doctor-rotate.journal.json)',
      nonEmptyPath,
    )
    .option('--resume', 'continue the rotation the journal records')
    .option('--yes', 'do not ask (CI, scripts)')
    .addOption(
      new Option('--verify-timeout <seconds>', 'how long to wait for IAM propagation at each verification')
        .argParser(seconds)
        .default(180),
    )
    .option('--log <file>', 'append every step as a JSON line to this file', nonEmptyPath);
  withExamples(rotate, [
    'wi-doctor rotate --ksa shop/cart --to cart-v2@acme-shop.iam.gserviceaccount.com',
    'wi-doctor rotate --resume --yes   # after a crash: continue where the journal stopped',
    'wi-doctor rotate --ksa shop/cart --to cart-v3@acme-shop.iam.gserviceaccount.com --mode revoke-first --delete-old',
  ]);
  addLiveOptions(rotate).action(async (options: import('../actions/rotate.js').RotateCommandOptions) => {
    const { runRotateCommand } = await import('../actions/rotate.js');
    setExit(await runRotateCommand(options, io));
  });
};
