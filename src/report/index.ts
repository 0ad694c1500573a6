// The renderers, by `--format` name (knip style: one folder of reporters and a registry). Each is a pure
// function of the report; only the CLI writes the string anywhere. Text and JSON can also be produced in
// chunks (`renderChunks`), so that a report of 20,000 subjects is written without being one string.

import type { Report, ReportStream } from '../model/results.js';
import { reportOf } from '../model/results.js';
import { jsonChunks, jsonStreamChunks, renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import type { CatalogEntry } from './sarif.js';
import { renderSarif, renderSarifStream } from './sarif.js';
import { renderText, textChunks, textStreamChunks } from './text.js';
import { renderHtml } from './html/index.js';
import type { IdentityGraph } from '../graph/types.js';
import type { ReportFormat } from './formats.js';

export interface RenderContext {
  /** ANSI colour (text only); the CLI decides with `shouldColor`. */
  color: boolean;
  /** List passing checks by count only (text only; summaries still count them). */
  hidePass: boolean;
  /** The check catalog: SARIF lists a rule for every check, not only those with results. */
  checks: readonly CatalogEntry[];
  /** One line per subject (text only). */
  brief?: boolean;
  /** Columns to wrap prose at (text only; default 100). */
  width?: number;
  /** The identity graph of the run (html only: drawn in its own section). */
  graph?: IdentityGraph;
  /** The command that gives the same report as JSON (html only: named when the page cannot hold it all). */
  jsonCommand?: string;
  /** The page's heading (html only): the audit's page says it is an audit. */
  title?: string;
}

export type Renderer = (report: Report, ctx: RenderContext) => string;

const textOptions = (ctx: RenderContext) => ({
  color: ctx.color,
  hidePass: ctx.hidePass,
  ...(ctx.brief !== undefined ? { brief: ctx.brief } : {}),
  ...(ctx.width !== undefined ? { width: ctx.width } : {}),
});

export const RENDERERS: Record<ReportFormat, Renderer> = {
  text: (report, ctx) => renderText(report, textOptions(ctx)),
  json: (report) => renderJson(report),
  sarif: (report, ctx) => renderSarif(report, { checks: ctx.checks }),
  markdown: (report) => renderMarkdown(report),
  html: (report, ctx) => renderHtml(report, { graph: ctx.graph, jsonCommand: ctx.jsonCommand, title: ctx.title }),
};

/**
 * A report stream in chunks: text and JSON as each slice is read, SARIF keeping only the findings of each slice,
 * the other formats made whole first.
 */
export function renderStreamChunks(format: ReportFormat, stream: ReportStream, ctx: RenderContext): Iterable<string> {
  if (format === 'text') return textStreamChunks(stream, textOptions(ctx));
  if (format === 'json') return jsonStreamChunks(stream);
  if (format === 'sarif') return [renderSarifStream(stream, { checks: ctx.checks })];
  return [RENDERERS[format](reportOf(stream), ctx)];
}

/** The report in chunks: streamed for text and JSON, one chunk for the other formats. */
export function renderChunks(format: ReportFormat, report: Report, ctx: RenderContext): Iterable<string> {
  if (format === 'text') return textChunks(report, textOptions(ctx));
  if (format === 'json') return jsonChunks(report);
  return [RENDERERS[format](report, ctx)];
}

export type { CatalogEntry } from './sarif.js';
export { REPORT_FORMATS, isReportFormat, type ReportFormat } from './formats.js';
export { shouldColor, terminalWidth } from './text.js';
