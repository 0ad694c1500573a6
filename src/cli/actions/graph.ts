// `wi-doctor graph`: the identity graph of a bundle or of the live APIs (the same collection as `check`),
// as HTML, Mermaid, DOT or JSON. With --ksa, that KSA's path; with --gsa, everything around one account.

import { CHECKS } from '../../checks/index.js';
import { readBundle } from '../../collect/bundle/read.js';
import type { LiveOptions } from '../../collect/live/live.js';
import { DEFAULT_OPTIONS, diagnose } from '../../engine/diagnose.js';
import { UsageError } from '../../engine/errors.js';
import { aroundNode, identityGraph, nodeId, withTokenMinters } from '../../graph/index.js';
import { createRoleResolver } from '../../model/iam/roles.js';
import { editDistance } from '../../model/edit-distance.js';
import { isServiceAccountEmail } from '../../model/identifiers.js';
import type { GraphFormat } from '../../report/formats.js';
import { GRAPH_RENDERERS } from '../../report/graph/index.js';
import type { Io } from '../output.js';
import { emit, warn } from '../output.js';
import { packageVersion } from '../package-info.js';
import { readLive } from './check.js';

export interface GraphCommandOptions extends LiveOptions {
  from?: string;
  ksa?: string;
  gsa?: string;
  format: GraphFormat;
  output?: string;
}

/** The live-collection flags only (`--ksa` here is one name, not the list `check` takes). */
function liveOptionsOf(options: GraphCommandOptions): LiveOptions {
  const { ksa: _ksa, gsa: _gsa, from: _from, format: _format, output: _output, ...live } = options;
  return live;
}

export async function runGraphCommand(options: GraphCommandOptions, io: Io): Promise<number> {
  if (options.ksa !== undefined && options.gsa !== undefined) {
    throw new UsageError('--ksa and --gsa: give one of them (or neither, for every KSA with a Google identity)');
  }
  const gsa = options.gsa?.toLowerCase();
  if (gsa !== undefined && !isServiceAccountEmail(gsa)) {
    throw new UsageError(
      `--gsa ${JSON.stringify(options.gsa)}: not a service-account email (NAME@PROJECT.iam.gserviceaccount.com)`,
    );
  }
  const targets = options.ksa !== undefined ? { ksa: [options.ksa] } : { all: true };
  const { facts, notes } = options.from
    ? await readBundle(options.from)
    : await readLive({ ...liveOptionsOf(options), ...targets }, io);
  for (const note of notes) warn(io, note);
  const report = diagnose(facts, CHECKS, {
    targets,
    options: DEFAULT_OPTIONS,
    source: options.from ?? 'live',
    version: packageVersion(),
    generatedAt: new Date().toISOString(),
  });
  let graph = identityGraph(facts, report);
  let highlight = options.ksa;
  if (gsa !== undefined) {
    const id = nodeId.gsa(gsa);
    if (!graph.nodes.some((n) => n.id === id)) {
      const known = graph.nodes.filter((n) => n.kind === 'gsa' && isServiceAccountEmail(n.label)).map((n) => n.label);
      const close = known
        .map((email) => ({ email, d: editDistance(email, gsa, 6) }))
        .filter((c) => c.d <= 6)
        .sort((a, b) => a.d - b.d || a.email.localeCompare(b.email))
        .slice(0, 3)
        .map((c) => `\`${c.email}\``);
      throw new UsageError(
        `--gsa ${gsa}: no KSA in ${options.from ?? 'the live cluster'} is annotated with, bound to or falls back to this account${close.length > 0 ? `; did you mean ${close.join(', ')}?` : ''}`,
      );
    }
    // Who can mint its tokens: the principals who-can --gsa lists, from the same evaluation of the same facts.
    graph = aroundNode(withTokenMinters(graph, facts, createRoleResolver(facts), gsa), id, gsa);
    highlight = gsa;
  }
  emit(io, GRAPH_RENDERERS[options.format](graph, highlight !== undefined ? { highlight } : {}), options.output);
  return 0;
}
