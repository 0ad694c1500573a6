// The renderers of `wi-doctor graph`, by `--format` name. Each is a pure function of the graph.

import type { IdentityGraph } from '../../graph/types.js';
import type { GraphFormat } from '../formats.js';
import { renderGraphHtml } from '../html/page.js';
import { renderGraphDot } from './dot.js';
import { renderGraphJson } from './json.js';
import { renderGraphMermaid } from './mermaid.js';

export interface GraphRenderOptions {
  /** A subject (or `--gsa` account) whose path is highlighted. */
  highlight?: string;
}

export const GRAPH_RENDERERS: Record<GraphFormat, (graph: IdentityGraph, options: GraphRenderOptions) => string> = {
  html: (graph, options) => renderGraphHtml(graph, options),
  mermaid: (graph, options) => renderGraphMermaid(graph, options),
  dot: (graph, options) => renderGraphDot(graph, options),
  json: (graph) => renderGraphJson(graph),
};

export { renderGraphDot, renderGraphJson, renderGraphMermaid };
