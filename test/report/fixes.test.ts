import { describe, expect, it } from 'vitest';

import type { FixActionName } from '../../src/fix/actions.js';
import type { FixPlan } from '../../src/model/results.js';
import { fixCommands, renderedFix } from '../../src/report/fixes.js';
import { RENDERERS } from '../../src/report/index.js';
import { FIXTURES, copy } from './fixtures/index.js';

// The engine carries plans; the report layer renders them. A plan no renderer accepts (a bug in a check)
// must not hide the finding it fixes: the finding stays, and the fix says its commands could not be rendered.
const broken: FixPlan = {
  action: 'no-such-action' as FixActionName,
  target: 'projects/-/serviceAccounts/cart-gsa@acme-shop.iam.gserviceaccount.com',
  params: {},
  description: 'Grant the KSA the role.',
};

describe('renderedFix', () => {
  it('keeps a plan it cannot render, with its description, no commands and why', () => {
    const fix = renderedFix(broken);
    expect(fix.description).toMatch(/^Grant the KSA the role\. \(wi-doctor could not render its commands: /);
    expect(fix.description).toContain('no-such-action');
    expect([fix.gcloud, fix.kubectl, fix.terraform]).toEqual([null, null, null]);
    expect(fixCommands(broken)).toEqual([]);
  });

  it.each(['text', 'markdown', 'json', 'sarif', 'html'] as const)(
    'a %s report still shows the finding whose fix could not be rendered',
    (format) => {
      const report = copy(FIXTURES.failing);
      const root = report.results.find((r) => r.status === 'fail');
      const verdict = report.verdicts[0];
      if (root === undefined || verdict === undefined) throw new Error('the failing fixture has a failure');
      root.fix = [broken];
      verdict.fix = [broken];
      const out = RENDERERS[format](report, { color: false, hidePass: false, checks: [] });
      expect(out).toContain(root.check);
      expect(out).toContain('could not render its commands');
    },
  );
});
