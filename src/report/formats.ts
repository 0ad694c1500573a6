// The report formats by `--format` name. Kept apart from the renderers so that the CLI can list the
// choices without loading them.

export const REPORT_FORMATS = ['text', 'json', 'sarif', 'markdown', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const isReportFormat = (name: string): name is ReportFormat =>
  (REPORT_FORMATS as readonly string[]).includes(name);

/** The formats of `wi-doctor graph`. */
export const GRAPH_FORMATS = ['html', 'mermaid', 'dot', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];
