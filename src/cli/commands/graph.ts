// `wi-doctor graph`: flags and help; the work is in ../actions/graph.ts.

import { Option } from 'commander';
import { GRAPH_FORMATS } from '../../report/formats.js';
import type { RegisterCommand } from '../host.js';
import { withExamples } from '../options.js';
import { addLiveOptions } from './live-options.js';

export const registerGraph: RegisterCommand = (program, { io, setExit }) => {
  const graph = program
    .command('graph')
    .description(
      'Draw who can become which Google identity: pods → KSAs → GSAs → roles → resources (see docs/html.md).',
    )
    .option('--from <dir>', 'an evidence bundle folder (see docs/bundle.md); without it, the live APIs are read')
    .option('--ksa <ns/name>', 'only this Kubernetes service account and its path')
    .option(
      '--gsa <email>',
      'only this Google service account: who can become it (every principal who-can --gsa lists) and what it is granted',
    )
    .addOption(new Option('--format <format>', 'graph format').choices(GRAPH_FORMATS).default('mermaid'))
    .option('--output <file>', 'write the graph to a file instead of stdout');
  withExamples(graph, [
    'wi-doctor graph --from examples/multi-team --ksa orders/orders --format mermaid',
    'wi-doctor graph --from examples/multi-team --format html --output graph.html',
    'wi-doctor graph --gsa gke-nodes@acme-shop.iam.gserviceaccount.com --format dot   # live',
  ]);
  addLiveOptions(graph).action(async (options: import('../actions/graph.js').GraphCommandOptions) => {
    const { runGraphCommand } = await import('../actions/graph.js');
    setExit(await runGraphCommand(options, io));
  });
};
