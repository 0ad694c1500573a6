// `wi-doctor demo`: flags and help; the work is in ../actions/demo.ts.

import { Option } from 'commander';
import { REPORT_FORMATS } from '../../report/formats.js';
import type { RegisterCommand } from '../host.js';
import { withExamples } from '../options.js';

export const registerDemo: RegisterCommand = (program, { io, setExit }) => {
  const demo = program
    .command('demo')
    .description('Start the built-in sandbox on a broken multi-team world and diagnose it over HTTP (no cloud needed).')
    .addOption(new Option('--format <format>', 'report format').choices(REPORT_FORMATS).default('text'))
    .option('--hide-pass', 'omit passing checks from the checklist')
    .option('--keep', 'leave the sandbox running after the report, until Ctrl-C');
  withExamples(demo, ['wi-doctor demo', 'wi-doctor demo --format markdown', 'wi-doctor demo --keep']).action(
    async (options: import('../actions/demo.js').DemoCommandOptions) => {
      const { runDemoCommand } = await import('../actions/demo.js');
      setExit(await runDemoCommand(options, io));
    },
  );
};
