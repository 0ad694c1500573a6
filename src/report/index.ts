// The renderers, by `--format` name (knip style: one folder of reporters and a registry). Each is a pure
// function of the report; only the CLI writes the string anywhere.

import type { Report } from '../model/results.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import type { CatalogEntry } from './sarif.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';
import { renderHtml } from './html/index.js';
import type { IdentityGraph } from '../graph/types.js';
import type { ReportFormat } from './formats.js';

export interface RenderContext {
  /** ANSI colour (text only); the CLI decides with `shouldColor`. */
  color: boolean;
  /** Omit pass lines (text only; summaries still count them). */
  hidePass: boolean;
  /** The check catalog: SARIF lists a rule for every check, not only those with results. */
  checks: readonly CatalogEntry[];
  /** The identity graph of the run (html only: drawn in its own section). */
  graph?: IdentityGraph;
  /** The command that gives the same report as JSON (html only: named when the page cannot hold it all). */
  jsonCommand?: string;
  /** The page's heading (html only): the audit's page says it is an audit. */
  title?: string;
}

export type Renderer = (report: Report, ctx: RenderContext) => string;

export const RENDERERS: Record<ReportFormat, Renderer> = {
  text: (report, ctx) => renderText(report, { color: ctx.color, hidePass: ctx.hidePass }),
  json: (report) => renderJson(report),
  sarif: (report, ctx) => renderSarif(report, { checks: ctx.checks }),
  markdown: (report) => renderMarkdown(report),
  html: (report, ctx) => renderHtml(report, { graph: ctx.graph, jsonCommand: ctx.jsonCommand, title: ctx.title }),
};

export type { CatalogEntry } from './sarif.js';
export { REPORT_FORMATS, isReportFormat, type ReportFormat } from './formats.js';
export { shouldColor } from './text.js';
