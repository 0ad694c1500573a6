// The HTML report in a real browser: Debian's headless Chromium driven by playwright-core (never a
// downloaded browser). Every example's report renders with no console error and no serious or critical
// axe-core violation; filters, search, copy buttons, the graph's controls and print work; a bundle full of
// markup runs no script, with or without the page's Content-Security-Policy. Skipped, not passed, when
// /usr/bin/chromium is not installed (`.ci/run` installs it).

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHECKS } from '../../src/checks/index.js';
import { main } from '../../src/cli/main.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { identityGraph } from '../../src/graph/index.js';
import type { GraphNode, IdentityGraph } from '../../src/graph/types.js';
import { renderGraphHtml, renderHtml } from '../../src/report/html/index.js';
import { EVIL_ANNOTATION, PAYLOADS, hostileInput } from '../fixtures/hostile.js';
import { EXAMPLES_DIR } from '../fixtures/load-example.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Pages open at once: two cores, and each page lays out a graph. */
const PARALLEL = 3;
/**
 * axe-core takes seconds a page, and every report is the same template: it runs on examples that between
 * them show every part (shared root causes, unknowns, --need and --impersonate links, a conditional link,
 * workload subjects, node-identity fallback, missing accounts); every example is still opened and checked.
 */
const AXE_EXAMPLES = new Set([
  'multi-team',
  'healthy',
  'missing-permission',
  'cross-project-impersonation',
  'conditional-binding',
  'default-ksa',
  'gsa-missing',
  'no-workload-pool',
]);
const repo = join(import.meta.dirname, '..', '..');
/** An example's folder as the pages name it: relative to where the tests run, as a user types it. */
const example = (name: string): string => relative(process.cwd(), join(EXAMPLES_DIR, name));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Expected {
  targets: { all?: boolean; ksa?: string[]; workload?: string[]; pod?: string[] };
  options?: { need?: string[]; on?: string; impersonate?: string };
}

function flagsOf(expected: Expected): string[] {
  const t = expected.targets;
  const o = expected.options ?? {};
  return [
    ...(t.all ? ['--all'] : []),
    ...(t.ksa ?? []).flatMap((k) => ['--ksa', k]),
    ...(t.workload ?? []).flatMap((w) => ['--workload', w]),
    ...(t.pod ?? []).flatMap((p) => ['--pod', p]),
    ...(o.need ?? []).flatMap((n) => ['--need', n]),
    ...(o.on !== undefined ? ['--on', o.on] : []),
    ...(o.impersonate !== undefined ? ['--impersonate', o.impersonate] : []),
  ];
}

async function cli(args: string[]): Promise<number> {
  const sink = new PassThrough();
  sink.resume();
  return main(args, { stdout: sink, stderr: sink, env: { NO_COLOR: '1' } });
}

interface Opened {
  page: Page;
  errors: string[];
}

/** Opens a page and records console errors and uncaught exceptions (CSP refusals are console errors). */
async function open(context: BrowserContext, file: string, waitForGraph = true): Promise<Opened> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href);
  if (waitForGraph) await page.waitForSelector('#graph-canvas[data-ready="true"]', { timeout: 30_000 });
  return { page, errors };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core, put into the page by the test (over the DevTools protocol, which the page's CSP does not govern). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const options = {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    resultTypes: ['violations'],
  };
  // A string, evaluated in the page: this program is typed for Node, without the DOM's globals.
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run(document, ${JSON.stringify(options)}).then((r) => r.violations)`,
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact ?? ''}): ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    );
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

const visibleArticles = (page: Page): Promise<number> => page.locator('article.subject:visible').count();
const visibleSubjects = async (page: Page): Promise<(string | null)[]> =>
  Promise.all((await page.locator('article.subject:visible').all()).map((a) => a.getAttribute('data-subject')));

describe.skipIf(!hasChromium)('the HTML report in Chromium', () => {
  let context: BrowserContext;
  let profile: string;
  let dir: string;
  const examples = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(EXAMPLES_DIR, d.name, 'expected.json')))
    .map((d) => d.name);
  const file = (name: string): string => join(dir, `${name}.html`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wi-doctor-html-'));
    profile = mkdtempSync(join(tmpdir(), 'wi-doctor-chromium-'));
    for (const name of examples) {
      const expected = JSON.parse(readFileSync(join(EXAMPLES_DIR, name, 'expected.json'), 'utf8')) as Expected;
      const code = await cli([
        'check',
        '--from',
        example(name),
        ...flagsOf(expected),
        '--format',
        'html',
        '--output',
        file(name),
      ]);
      expect(code, name).toBeLessThan(2);
    }
    expect(await cli(['graph', '--from', example('multi-team'), '--format', 'html', '--output', file('graph')])).toBe(
      0,
    );
    expect(
      await cli(['audit', '--from', example('audit-findings'), '--format', 'html', '--output', file('audit')]),
    ).toBe(1);
    const facts = factsFromFiles(hostileInput());
    const report = diagnose(facts, CHECKS, {
      targets: { all: true },
      options: DEFAULT_OPTIONS,
      source: 'hostile',
      version: 'test',
    });
    const hostile = renderHtml(report, { graph: identityGraph(facts, report) });
    writeFileSync(file('hostile'), hostile);
    writeFileSync(file('hostile-no-csp'), hostile.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, ''));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });

  it('renders the report of every example: verdicts, the graph, no console error, no serious axe violation', async () => {
    expect([...AXE_EXAMPLES].filter((n) => !examples.includes(n))).toEqual([]);
    const problems: string[] = [];
    await inParallel(examples, PARALLEL, async (name) => {
      const { page, errors } = await open(context, file(name));
      try {
        const html = readFileSync(file(name), 'utf8');
        const expected = (html.match(/<article /g) ?? []).length;
        if (expected === 0 || (await page.locator('article.subject').count()) !== expected)
          problems.push(`${name}: articles`);
        if ((await page.locator('#graph-canvas canvas').count()) === 0) problems.push(`${name}: no graph canvas`);
        if (!(await page.locator('#f-count').textContent())?.startsWith(`Showing ${expected} of ${expected}`)) {
          problems.push(`${name}: filter count`);
        }
        if (AXE_EXAMPLES.has(name)) for (const v of await seriousViolations(page)) problems.push(`${name}: ${v}`);
        for (const e of errors) problems.push(`${name}: console: ${e}`);
      } finally {
        await page.close();
      }
    });
    expect(problems).toEqual([]);
  }, 240_000);

  it('renders the audit: a card per finding subject, its graph, no console error, no serious axe violation', async () => {
    const { page, errors } = await open(context, file('audit'));
    try {
      expect(await page.locator('h1').textContent()).toBe('Workload Identity audit');
      const expected = (readFileSync(file('audit'), 'utf8').match(/<article /g) ?? []).length;
      expect(expected).toBeGreaterThan(1);
      expect(await page.locator('article.subject').count()).toBe(expected);
      expect(await page.locator('#graph-canvas canvas').count()).toBeGreaterThan(0);
      await page.getByRole('checkbox', { name: '✓ pass' }).uncheck();
      expect(await visibleArticles(page)).toBeLessThan(expected);
      expect(await seriousViolations(page)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it("shows each subject's Google identity and who changed it", async () => {
    const { page, errors } = await open(context, file('missing-binding'));
    try {
      const cart = page.locator('article[data-subject="shop/cart"]');
      expect(await cart.locator('.identity').textContent()).toMatch(/^Google identity: GSA cart@acme-shop/);
      const change = cart.locator('details.change');
      expect(await change.locator('dl').isVisible()).toBe(false);
      await change.locator('summary').click();
      expect(await change.locator('dl').isVisible()).toBe(true);
      expect(await change.locator('dl').textContent()).toContain('alice@acme.example');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('filters by status, namespace and check, and searches', async () => {
    const { page, errors } = await open(context, file('multi-team'));
    try {
      expect(await visibleArticles(page)).toBe(6);
      await page.getByRole('checkbox', { name: '✓ pass' }).uncheck();
      expect(await visibleArticles(page)).toBe(4);
      expect(await page.locator('#f-count').textContent()).toBe('Showing 4 of 6');
      await page.locator('#f-namespace').selectOption('payments');
      expect(await visibleSubjects(page)).toEqual(['payments/fraud-scorer', 'payments/ledger']);
      await page.locator('#f-reset').click();
      expect(await visibleArticles(page)).toBe(6);
      await page.locator('#f-check').selectOption('wi-binding');
      expect(await page.locator('article.subject:visible').getAttribute('data-subject')).toBe('orders/orders');
      await page.locator('#f-reset').click();
      await page.locator('#f-search').fill('reporter');
      expect(await page.locator('article.subject:visible').getAttribute('data-subject')).toBe('analytics/reporter');
      await page.locator('#f-search').fill('no such thing anywhere');
      expect(await visibleArticles(page)).toBe(0);
      expect(await page.locator('#subjects .empty').isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('copies a fix command from the keyboard, and selects it where the clipboard is refused', async () => {
    const { page, errors } = await open(context, file('multi-team'));
    try {
      const button = page.locator('button.copy').first();
      const code = await page.locator(`#${(await button.getAttribute('data-copy')) ?? ''}`).textContent();
      await button.focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => button.textContent()).toBe('Copied');
      expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(code);
      expect(await page.locator('#announce').textContent()).toMatch(/^Copied .* command to the clipboard$/);
      // Without the Clipboard API the command is selected (and copied where execCommand still works).
      await page.evaluate("Object.defineProperty(navigator, 'clipboard', { value: undefined })");
      const second = page.locator('button.copy').nth(1);
      const secondCode = await page.locator(`#${(await second.getAttribute('data-copy')) ?? ''}`).textContent();
      await second.click();
      expect(await page.evaluate<string>('window.getSelection().toString()')).toBe(secondCode);
      expect(['Copied', 'Selected: press Ctrl+C']).toContain(await second.textContent());
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('highlights a subject’s path and lists it as text; namespaces collapse and expand', async () => {
    const { page, errors } = await open(context, file('multi-team'));
    try {
      await page.locator('article[data-subject="orders/orders"] button.show-in-graph').click();
      expect(await page.locator('#g-subject').inputValue()).toBe('orders/orders');
      const path = await page.locator('#g-path').textContent();
      expect(path).toContain('✗ orders/orders → may impersonate → orders@acme-shop.iam.gserviceaccount.com');
      expect(path).toContain('wi-binding fail');
      await page.locator('#g-collapse-all').click();
      expect(await page.locator('#g-status').textContent()).toMatch(/4 namespaces, 0 expanded \(4 collapsed\)/);
      await page.locator('#g-namespace').selectOption('payments');
      await page.locator('#g-expand').click();
      expect(await page.locator('#g-status').textContent()).toMatch(/4 namespaces, 1 expanded/);
      await page.locator('#g-expand-all').click();
      expect(await page.locator('#g-status').textContent()).toMatch(/nodes, \d+ links\./);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('opens a large graph with its namespaces collapsed, and expands one on request', async () => {
    const nodes: GraphNode[] = [];
    for (let ns = 0; ns < 40; ns++) {
      nodes.push({
        id: `ns:team-${ns}`,
        kind: 'namespace',
        label: `team-${ns}`,
        namespace: `team-${ns}`,
        status: 'ok',
        checks: [],
        details: {},
      });
      for (let k = 0; k < 10; k++) {
        nodes.push({
          id: `ksa:team-${ns}/app-${k}`,
          kind: 'ksa',
          label: `team-${ns}/app-${k}`,
          namespace: `team-${ns}`,
          status: 'ok',
          checks: [],
          details: {},
        });
      }
    }
    const graph: IdentityGraph = {
      format: 'wi-doctor-graph/1',
      cluster: 'projects/p/locations/l/clusters/c',
      source: 'synthetic',
      generatedAt: '2026-11-28T17:00:00Z',
      tool: { name: 'wi-doctor', version: 'test' },
      nodes,
      edges: [],
      subjects: [],
      notes: [],
    };
    writeFileSync(file('large'), renderGraphHtml(graph));
    const { page, errors } = await open(context, file('large'));
    try {
      expect(await page.locator('#g-status').textContent()).toBe(
        '40 namespaces, 0 expanded (40 collapsed): pick a namespace or a subject to expand it.',
      );
      await page.locator('#g-namespace').selectOption('team-7');
      await page.locator('#g-expand').click();
      expect(await page.locator('#g-status').textContent()).toMatch(/^40 namespaces, 1 expanded/);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('runs no script from a bundle full of markup, with the CSP and without it', async () => {
    for (const name of ['hostile', 'hostile-no-csp']) {
      const { page, errors } = await open(context, file(name));
      try {
        expect(await page.evaluate<unknown>('window.__wiPwned')).toBeUndefined();
        expect(errors, name).toEqual([]);
        const dom = await page.evaluate<{ scripts: number; foreign: number; handlers: number; text: string }>(`({
          scripts: document.querySelectorAll('script').length,
          foreign: document.querySelectorAll('img, svg, iframe, object, embed, a[href^="javascript"]').length,
          handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
          text: document.body.innerText,
        })`);
        expect(dom).toMatchObject({ scripts: 4, foreign: 0, handlers: 0 });
        expect(dom.text).toContain(EVIL_ANNOTATION);
        expect(dom.text).toContain(`ignored unknown file k8s/${PAYLOADS[0]}.json`);
        // The graph's text views use textContent too.
        await page.locator('#g-subject').selectOption('shop/cart');
        expect(await page.locator('#g-path').textContent()).toContain(PAYLOADS[3]);
        expect(await page.evaluate<unknown>('window.__wiPwned')).toBeUndefined();
        expect(errors, name).toEqual([]);
      } finally {
        await page.close();
      }
    }
  });

  it('reads well in dark mode and in print; the skip link comes first from the keyboard', async () => {
    const { page, errors } = await open(context, file('multi-team'));
    try {
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await seriousViolations(page)).toEqual([]);
      await page.keyboard.press('Tab');
      expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Skip to the content');
      await page.emulateMedia({ media: 'print', colorScheme: 'light' });
      await page.evaluate("window.dispatchEvent(new Event('beforeprint'))");
      expect(await page.locator('details:not([open])').count()).toBe(0);
      expect(await page.locator('#filters').isVisible()).toBe(false);
      expect(await page.locator('button.copy').first().isVisible()).toBe(false);
      await page.evaluate("window.dispatchEvent(new Event('afterprint'))");
      expect(await page.locator('details:not([open])').count()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('the graph page opens on its own', async () => {
    const { page, errors } = await open(context, file('graph'));
    try {
      expect(await page.locator('#graph-canvas canvas').count()).toBeGreaterThan(0);
      expect(await seriousViolations(page)).toEqual([]);
      expect(errors).toEqual([]);
      if (process.env['UPDATE_SCREENSHOTS'] === '1') await screenshots(context);
    } finally {
      await page.close();
    }
  });

  /** docs/images/: the screenshots README.md shows (UPDATE_SCREENSHOTS=1 rewrites them). */
  async function screenshots(ctx: BrowserContext): Promise<void> {
    const { page } = await open(ctx, file('multi-team'));
    await page.screenshot({ path: join(repo, 'docs/images/report-multi-team.png') });
    await page.locator('#g-subject').selectOption('payments/ledger');
    await page.locator('#graph').scrollIntoViewIfNeeded();
    await page.locator('#graph-canvas').screenshot({ path: join(repo, 'docs/images/graph-multi-team.png') });
    await page.close();
    const missing = await open(ctx, file('missing-binding'));
    await missing.page.locator('#g-subject').selectOption('shop/cart');
    await missing.page
      .locator('#graph-canvas')
      .screenshot({ path: join(repo, 'docs/images/graph-missing-binding.png') });
    await missing.page.close();
  }
});
