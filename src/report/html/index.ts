// The HTML report and the graph page (see docs/html.md).

export { MAX_GRAPH_NODES, MAX_SUBJECTS, renderGraphHtml, renderHtml } from './page.js';
export type { HtmlOptions } from './page.js';
