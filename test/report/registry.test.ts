import { describe, expect, it } from 'vitest';

import { isReportFormat, REPORT_FORMATS, RENDERERS } from '../../src/report/index.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderSarif } from '../../src/report/sarif.js';
import { renderText } from '../../src/report/text.js';
import { CATALOG } from './fixtures/catalog.js';
import { FIXTURES } from './fixtures/index.js';

describe('RENDERERS', () => {
  const ctx = { color: false, hidePass: true, checks: CATALOG };

  it('has a renderer for each format and nothing else', () => {
    expect(Object.keys(RENDERERS).sort()).toEqual([...REPORT_FORMATS].sort());
    expect(isReportFormat('sarif')).toBe(true);
    expect(isReportFormat('html')).toBe(true);
    expect(isReportFormat('pdf')).toBe(false);
  });

  it('passes the context through to each renderer', () => {
    const report = FIXTURES.failing;
    expect(RENDERERS.text(report, ctx)).toBe(renderText(report, { color: false, hidePass: true }));
    expect(RENDERERS.text(report, { ...ctx, color: true })).toContain('\u001b[');
    expect(RENDERERS.json(report, ctx)).toBe(renderJson(report));
    expect(RENDERERS.sarif(report, ctx)).toBe(renderSarif(report, { checks: CATALOG }));
    expect(RENDERERS.markdown(report, ctx)).toBe(renderMarkdown(report));
  });
});
