// The HTML report: one self-contained file (styles, scripts and the graph library inline; system fonts;
// nothing fetched), readable without JavaScript and when printed. Per subject the verdict comes first,
// failures first; filters, search, copy buttons and the identity graph come from the page's script.
// Works on any `Report` (check, audit): subjects without a verdict are shown by their results.

import { createHash } from 'node:crypto';
import type { IdentityGraph, SubjectIdentity, SubjectPath } from '../../graph/types.js';
import type { ChangeRecord, CheckResult, Evidence, FixPlan, Report, Status, Verdict } from '../../model/results.js';
import { blocksFor, redactSecrets, summaryLine, unclaimedResults, verdictStatus } from '../common.js';
import { fixCommands, renderedFix } from '../fixes.js';
import { COLLAPSE_AT, EXPAND_ALL_LIMIT, reportClient } from './client/main.js';
import type { Child } from './markup.js';
import { Markup, h, jsonForScript, safeLink } from './markup.js';
import { pageGraph } from './graph-data.js';
import { STYLES } from './styles.js';
import { graphLibraries } from './vendor.js';

/** Subjects shown in full on one page; past it the page shows the most severe and points to the JSON. */
export const MAX_SUBJECTS = 500;
/** Nodes the page's graph carries at most; past it the graph section points to `wi-doctor graph --format json`. */
export const MAX_GRAPH_NODES = 60_000;
/** Evidence values longer than this (as JSON) are cut on the page; the JSON report has them whole. */
const MAX_EVIDENCE_CHARS = 4000;

export interface HtmlOptions {
  /** The identity graph of the run, drawn in its own section. */
  graph?: IdentityGraph;
  /** The command that gives this report as JSON, named when the page cannot hold everything. */
  jsonCommand?: string;
  /** The page's heading: "Workload Identity report" unless the command says what it is (the audit). */
  title?: string;
}

const SYMBOL: Record<Status, string> = { fail: '✗', warn: '!', unknown: '?', pass: '✓', skip: '–' };
const WORD: Record<Status, string> = {
  fail: 'fail',
  warn: 'warning',
  unknown: 'unknown',
  pass: 'pass',
  skip: 'skipped',
};
const SEVERITY: Record<Status, number> = { fail: 0, warn: 1, unknown: 2, pass: 3, skip: 4 };

const badge = (status: Status): Markup =>
  h('span', { class: `badge s-${status}` }, `${SYMBOL[status]} ${WORD[status]}`);

const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The namespace of a Kubernetes subject (`ns/ksa`, `ns/kind/name`); other subjects have none. */
function namespaceOf(subject: string): string {
  const first = subject.split('/')[0] ?? '';
  return subject.includes('/') && !/^(projects|organizations|folders)$/.test(first) && !subject.startsWith('//')
    ? first
    : '(none)';
}

/** Ids for elements of this page (counters, never data). */
class Ids {
  private n = 0;
  next(prefix: string): string {
    this.n++;
    return `${prefix}-${this.n}`;
  }
}

/** Text whose `backticked` parts (how causes and headlines quote names) are shown as code. */
function prose(text: string): Child[] {
  const parts = text.split('`');
  // An odd count of backticks leaves the last one unmatched: keep the text as it is then.
  if (parts.length % 2 === 0) return [text];
  return parts.map((part, i) => (i % 2 === 1 ? h('code', null, part) : part));
}

function jsonText(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? String(value));
  return text.length > MAX_EVIDENCE_CHARS
    ? `${text.slice(0, MAX_EVIDENCE_CHARS)}\n… (cut at ${MAX_EVIDENCE_CHARS.toLocaleString('en-US')} characters; the JSON report has it whole)`
    : text;
}

function evidence(ev: Evidence | undefined): Markup | null {
  if (ev === undefined) return null;
  const rows: Child[] = [];
  if (ev.expected !== undefined)
    rows.push(h('dt', null, 'expected'), h('dd', null, h('pre', null, h('code', null, jsonText(ev.expected)))));
  if (ev.actual !== undefined)
    rows.push(h('dt', null, 'actual'), h('dd', null, h('pre', null, h('code', null, jsonText(ev.actual)))));
  if (ev.notes?.length) {
    rows.push(
      h('dt', null, 'notes'),
      h(
        'dd',
        null,
        h(
          'ul',
          null,
          ev.notes.map((n) => h('li', null, prose(n))),
        ),
      ),
    );
  }
  return rows.length > 0 ? h('dl', { class: 'evidence' }, rows) : null;
}

function command(ids: Ids, tool: string, text: string): Markup {
  const id = ids.next('cmd');
  return h(
    'div',
    { class: 'cmd' },
    h('span', { class: 'tool' }, tool),
    h('pre', null, h('code', { id }, text)),
    h(
      'button',
      {
        type: 'button',
        class: 'copy js-only',
        'data-copy': id,
        'data-what': `${tool} command`,
        'aria-label': `Copy the ${tool} command`,
      },
      'Copy',
    ),
  );
}

function fixes(ids: Ids, list: readonly FixPlan[], heading = 'Fix'): Markup | null {
  if (list.length === 0) return null;
  return h(
    'div',
    { class: 'fixes' },
    h('h4', null, heading),
    h(
      'ol',
      null,
      list.map((fix) =>
        h(
          'li',
          null,
          h('p', null, prose(renderedFix(fix).description)),
          fixCommands(fix).map((c) => command(ids, c.tool, c.command)),
        ),
      ),
    ),
  );
}

function resultRow(result: CheckResult, withSubject: boolean): Markup {
  const finding: Child[] = [h('div', null, prose(result.cause ?? result.title))];
  // A pass says in its one line what it established; the evidence of passes stays in the JSON report, which
  // keeps large pages small.
  const ev = result.status === 'pass' || result.status === 'skip' ? null : evidence(result.evidence);
  if (ev) finding.push(h('details', null, h('summary', null, 'Evidence'), ev));
  if (result.missing?.length) {
    finding.push(
      h(
        'div',
        null,
        h('span', { class: 'muted' }, 'To collect: '),
        h(
          'ul',
          null,
          result.missing.map((m) => h('li', null, h('code', null, m))),
        ),
      ),
    );
  }
  return h(
    'tr',
    { 'data-status': result.status },
    h('td', { class: 'st' }, badge(result.status)),
    h(
      'td',
      { class: 'id' },
      safeLink(result.docs, h('code', null, result.check)),
      withSubject ? h('div', { class: 'muted' }, result.subject) : null,
    ),
    h('td', null, finding),
  );
}

function resultTable(results: readonly CheckResult[], caption: string, withSubject = false): Markup {
  const sorted = [...results].sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status]);
  return h(
    'table',
    null,
    h('caption', { class: 'sr-only' }, caption),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Check'),
        h('th', { scope: 'col' }, 'Finding'),
      ),
    ),
    h(
      'tbody',
      null,
      sorted.map((r) => resultRow(r, withSubject)),
    ),
  );
}

function countsText(results: readonly CheckResult[]): string {
  const counts = new Map<Status, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return (['fail', 'warn', 'unknown', 'pass', 'skip'] as const)
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s) ?? 0} ${WORD[s]}`)
    .join(', ');
}

interface SubjectCard {
  subject: string;
  status: Status;
  /** Checks with a fail, warn or unknown result: what the check filter matches. */
  flagged: string[];
  order: number;
  render(ids: Ids, anchor: string): Markup;
}

/** The Google identity a subject's pods get: the GSA, or under direct binding the KSA's own principal. */
function identityLine(identity: SubjectIdentity): Markup {
  return identity.model === 'impersonation'
    ? h(
        'p',
        { class: 'identity' },
        h('span', { class: 'muted' }, 'Google identity: '),
        'GSA ',
        h('code', null, identity.gsa),
        h('span', { class: 'muted' }, ' (impersonated through the iam.gke.io/gcp-service-account annotation)'),
      )
    : h(
        'p',
        { class: 'identity' },
        h('span', { class: 'muted' }, 'Google identity: '),
        'the KSA’s own principal ',
        h('code', null, identity.principal),
        h('span', { class: 'muted' }, ' (direct binding: no annotation; its grants are its own)'),
      );
}

/** Who changed it: the recorded change behind the root cause, field by field. */
function changeBlock(change: ChangeRecord): Markup {
  const rows: [string, string | undefined][] = [
    ['what', change.kind],
    ['resource', change.resource],
    ['role', change.role],
    ['member', change.member],
    ['by', change.by ?? (change.source === 'admin-activity' ? 'not recorded' : undefined)],
    ['when', change.at],
    ['from', change.callerIp],
    [change.source === 'kubernetes-managed-fields' ? 'field manager' : 'tool', change.tool],
    ['user agent', change.userAgent],
    ['operation', change.operation],
    ['log entry', change.insertId],
    [
      'recorded in',
      change.source === 'admin-activity'
        ? 'Admin Activity audit log'
        : 'the object’s metadata.managedFields (they name the tool, not the person)',
    ],
  ];
  // The headline already says it in a sentence: the record itself, field by field, is one click away.
  return h(
    'details',
    { class: 'change' },
    h('summary', null, `Who changed it: ${change.by ?? change.tool}, ${change.at}`),
    h(
      'dl',
      { class: 'evidence' },
      rows.flatMap(([term, value]) =>
        value === undefined ? [] : [h('dt', null, term), h('dd', null, h('code', null, value))],
      ),
    ),
  );
}

/** A path as a shell word: plain when it is plain, else single-quoted. */
const shellWord = (text: string): string => (/^[\w./@:+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/**
 * The fixes of a diagnosis as one plan: `wi-doctor fix` orders them along the chain, deduplicated, with
 * restarts last, as text, a shell script or Terraform, and applies them only with --apply.
 */
function fixPlanHint(ids: Ids, report: Report): Markup | null {
  const fixing = report.verdicts.filter((v) => v.fix.length > 0).map((v) => v.subject);
  if (fixing.length === 0) return null;
  const from = report.source === 'live' ? '' : ` --from ${shellWord(report.source)}`;
  // The subjects with fixes by the flags `check` and `fix` share (NS/KSA, NS/pod/NAME, NS/KIND/NAME); many: --all.
  const flag = (subject: string): string => {
    const [ns = '', second = '', third] = subject.split('/');
    if (third === undefined) return `--ksa ${shellWord(subject)}`;
    return second === 'pod' ? `--pod ${shellWord(`${ns}/${third}`)}` : `--workload ${shellWord(subject)}`;
  };
  const targets = fixing.length <= 5 ? fixing.map(flag).join(' ') : '--all';
  return h(
    'div',
    { class: 'fix-plan', role: 'note' },
    h(
      'p',
      null,
      'The fixes as one plan, ordered along the chain, deduplicated, restarts last (add ',
      h('code', null, '--format shell'),
      ' or ',
      h('code', null, '--format terraform'),
      report.source === 'live' ? [', or ', h('code', null, '--apply'), ' to make the changes and verify them'] : null,
      '):',
    ),
    command(ids, 'wi-doctor', `wi-doctor fix${from} ${targets}`),
  );
}

/** The evidence without its `changed:` notes, when "Who changed it" shows them field by field. */
function withoutChangeNotes(ev: Evidence | undefined): Evidence | undefined {
  if (ev?.notes === undefined) return ev;
  return { ...ev, notes: ev.notes.filter((n) => !n.startsWith('changed: ')) };
}

function verdictCard(
  report: Report,
  verdict: Verdict,
  order: number,
  graphPaths: ReadonlyMap<string, SubjectPath>,
  sharedAnchors: ReadonlyMap<string, string>,
): SubjectCard {
  const path = graphPaths.get(verdict.subject);
  const status = verdictStatus(report, verdict);
  const blocks = blocksFor(report, verdict);
  const results = blocks.flatMap((b) => b.results);
  const flagged = [
    ...new Set(
      results.filter((r) => r.status === 'fail' || r.status === 'warn' || r.status === 'unknown').map((r) => r.check),
    ),
  ];
  return {
    subject: verdict.subject,
    status,
    flagged,
    order,
    render(ids, anchor) {
      const root =
        verdict.rootCause === null
          ? undefined
          : results.find((r) => r.check === verdict.rootCause && r.status === 'fail');
      return h(
        'article',
        {
          class: `subject st-${status}`,
          id: anchor,
          'aria-labelledby': `${anchor}-h`,
          'data-status': status,
          'data-namespace': namespaceOf(verdict.subject),
          'data-checks': flagged.join(' '),
          'data-subject': verdict.subject,
        },
        h(
          'h3',
          { id: `${anchor}-h` },
          badge(status),
          h('span', { class: 'name' }, verdict.subject),
          verdict.rootCause !== null
            ? h('span', { class: 'muted' }, 'root cause ', h('code', null, verdict.rootCause))
            : null,
        ),
        h('p', { class: 'headline' }, prose(verdict.headline)),
        path?.identity !== undefined ? identityLine(path.identity) : null,
        verdict.change !== undefined ? changeBlock(verdict.change) : null,
        root ? evidence(verdict.change !== undefined ? withoutChangeNotes(root.evidence) : root.evidence) : null,
        fixes(ids, verdict.fix),
        verdict.notEvaluated.length > 0
          ? h(
              'details',
              { open: verdict.rootCause === null },
              h('summary', null, `Not evaluated (${verdict.notEvaluated.length})`),
              h(
                'ul',
                null,
                verdict.notEvaluated.map((t) => h('li', null, prose(t))),
              ),
            )
          : null,
        verdict.ruledOut.length > 0
          ? h(
              'details',
              null,
              h('summary', null, `Ruled out (${verdict.ruledOut.length})`),
              h(
                'ul',
                null,
                // Plain text: one line per passing check, many per page.
                verdict.ruledOut.map((t) => h('li', null, t.replace(/`/g, ''))),
              ),
            )
          : null,
        h(
          'details',
          null,
          h('summary', null, `Checks (${countsText(results)})`),
          blocks.map((b) => {
            if (b.own) {
              // Passes are listed under "Ruled out", each with what it established: not twice. Checks that
              // did not apply are one line each, without a table row of their own.
              const shown = b.results.filter((r) => r.status !== 'pass' && r.status !== 'skip');
              const skipped = b.results.filter((r) => r.status === 'skip');
              const passed = b.results.filter((r) => r.status === 'pass').length;
              return [
                shown.length > 0 ? resultTable(shown, `Checks of ${b.subject}`) : null,
                passed > 0 ? h('p', { class: 'muted' }, `${plural(passed, 'check')} passed: see Ruled out.`) : null,
                skipped.length > 0
                  ? h(
                      'p',
                      { class: 'muted' },
                      `Did not apply: ${skipped.map((r) => `${r.check} (${(r.cause ?? r.title).replace(/`/g, '')})`).join('; ')}.`,
                    )
                  : null,
              ];
            }
            // Shared objects (cluster, node pool, project) are listed once, in their own section; a card
            // repeats only their results that are not a pass.
            const flaggedShared = b.results.filter((r) => r.status !== 'pass' && r.status !== 'skip');
            const anchor = sharedAnchors.get(b.subject);
            const where = anchor !== undefined ? h('a', { href: `#${anchor}` }, b.subject) : b.subject;
            return h(
              'div',
              null,
              h(
                'p',
                { class: 'muted' },
                'Shared: checks of ',
                where,
                flaggedShared.length === 0 ? ` — ${countsText(b.results)}` : null,
              ),
              flaggedShared.length > 0 ? resultTable(flaggedShared, `Checks of ${b.subject}`) : null,
            );
          }),
        ),
        path !== undefined && path.nodes.length > 0
          ? h(
              'p',
              { class: 'js-only' },
              h(
                'button',
                { type: 'button', class: 'show-in-graph', 'data-subject': verdict.subject },
                'Show in the graph',
              ),
            )
          : null,
      );
    },
  };
}

/** Results no verdict shows (audit results about an account, a project): one card per subject. */
function resultCards(results: readonly CheckResult[], start: number): SubjectCard[] {
  const bySubject = new Map<string, CheckResult[]>();
  for (const r of results) {
    const list = bySubject.get(r.subject);
    if (list) list.push(r);
    else bySubject.set(r.subject, [r]);
  }
  return [...bySubject].map(([subject, list], i) => {
    const status =
      (['fail', 'warn', 'unknown', 'pass', 'skip'] as const).find((s) => list.some((r) => r.status === s)) ?? 'pass';
    const flagged = [
      ...new Set(
        list.filter((r) => r.status === 'fail' || r.status === 'warn' || r.status === 'unknown').map((r) => r.check),
      ),
    ];
    return {
      subject,
      status,
      flagged,
      order: start + i,
      render(ids, anchor) {
        return h(
          'article',
          {
            class: `subject st-${status}`,
            id: anchor,
            'aria-labelledby': `${anchor}-h`,
            'data-status': status === 'skip' ? 'pass' : status,
            'data-namespace': namespaceOf(subject),
            'data-checks': flagged.join(' '),
            'data-subject': subject,
          },
          h('h3', { id: `${anchor}-h` }, badge(status), h('span', { class: 'name' }, subject)),
          resultTable(list, `Checks of ${subject}`),
          fixes(
            ids,
            list.flatMap((r) => r.fix),
            'Fixes',
          ),
        );
      },
    };
  });
}

function filters(cards: readonly SubjectCard[]): Markup {
  const namespaces = [...new Set(cards.map((c) => namespaceOf(c.subject)))].sort();
  const checks = [...new Set(cards.flatMap((c) => c.flagged))].sort();
  return h(
    'form',
    { id: 'filters', class: 'filters js-only', role: 'search', 'aria-label': 'Filter the subjects' },
    h(
      'fieldset',
      null,
      h('legend', null, 'Status'),
      (['fail', 'warn', 'unknown', 'pass'] as const).map((s) =>
        h(
          'label',
          null,
          h('input', { type: 'checkbox', name: 'status', value: s, checked: true }),
          `${SYMBOL[s]} ${WORD[s]}`,
        ),
      ),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', null, 'Namespace'),
      h(
        'select',
        { id: 'f-namespace' },
        h('option', { value: '' }, 'all'),
        namespaces.map((ns) => h('option', { value: ns }, ns === '(none)' ? '(not in a namespace)' : ns)),
      ),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', null, 'Check (failing, warning or unknown)'),
      h(
        'select',
        { id: 'f-check' },
        h('option', { value: '' }, 'any'),
        checks.map((c) => h('option', { value: c }, c)),
      ),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', null, 'Search'),
      h('input', { type: 'search', id: 'f-search', placeholder: 'name, email, check, text…' }),
    ),
    h('button', { type: 'button', id: 'f-reset' }, 'Show all'),
    h('output', { id: 'f-count', 'aria-live': 'polite' }),
  );
}

function sharedSection(
  report: Report,
  subjects: readonly string[],
  anchors: ReadonlyMap<string, string>,
): Markup | null {
  if (subjects.length === 0) return null;
  const bySubject = new Map<string, CheckResult[]>();
  for (const r of report.results) {
    if (!anchors.has(r.subject)) continue;
    const list = bySubject.get(r.subject);
    if (list) list.push(r);
    else bySubject.set(r.subject, [r]);
  }
  return h(
    'section',
    { id: 'shared', 'aria-labelledby': 'shared-h' },
    h('h2', { id: 'shared-h' }, 'Shared objects'),
    h('p', null, 'The cluster, node pools and project the subjects depend on, each checked once.'),
    subjects.map((subject) => {
      const results = bySubject.get(subject) ?? [];
      const anchor = anchors.get(subject) ?? '';
      return h(
        'div',
        { id: anchor, class: 'shared' },
        h('h3', { id: `${anchor}-h` }, subject),
        resultTable(results, `Checks of ${subject}`),
      );
    }),
  );
}

function notEvaluatedSection(report: Report): Markup | null {
  const lines = new Map<string, number>();
  for (const v of report.verdicts)
    for (const line of new Set(v.notEvaluated)) lines.set(line, (lines.get(line) ?? 0) + 1);
  const unknown = report.results.filter((r) => r.status === 'unknown');
  if (lines.size === 0 && unknown.length === 0) return null;
  const sorted = [...lines].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return h(
    'section',
    { id: 'not-evaluated', 'aria-labelledby': 'not-evaluated-h' },
    h('h2', { id: 'not-evaluated-h' }, 'What was not evaluated'),
    h(
      'p',
      null,
      `${plural(unknown.length, 'check')} could not be evaluated (unknown is never a pass). What no check here can see is listed too: it could still block a token.`,
    ),
    h(
      'ul',
      null,
      sorted
        .slice(0, 50)
        .map(([line, n]) => h('li', null, prose(line), h('span', { class: 'muted' }, ` — ${plural(n, 'subject')}`))),
    ),
    sorted.length > 50
      ? h('p', { class: 'muted' }, `… and ${plural(sorted.length - 50, 'more line')}: see each subject.`)
      : null,
  );
}

function groupsSection(report: Report, anchors: ReadonlyMap<string, string>): Markup | null {
  const shared = report.groups.filter((g) => g.subjects.length > 1 && g.rootCause !== null);
  if (shared.length === 0) return null;
  return h(
    'section',
    { id: 'groups', 'aria-labelledby': 'groups-h' },
    h('h2', { id: 'groups-h' }, 'Shared root causes'),
    h(
      'ul',
      null,
      shared.map((g) =>
        h(
          'li',
          null,
          h('code', null, g.rootCause ?? ''),
          ' — ',
          prose(g.headline),
          ' ',
          h('span', { class: 'muted' }, `(${plural(g.subjects.length, 'subject')}: `),
          g.subjects.map((s, i) => {
            const anchor = anchors.get(s);
            return [i > 0 ? ', ' : '', anchor !== undefined ? h('a', { href: `#${anchor}` }, s) : s];
          }),
          h('span', { class: 'muted' }, ')'),
        ),
      ),
    ),
  );
}

const LEGEND: readonly [string, string][] = [
  ['runs as', 'workload or pod → KSA'],
  ['annotated as', 'KSA → GSA (iam.gke.io/gcp-service-account)'],
  ['may impersonate', 'may mint tokens for a GSA (which binding, which role)'],
  ['granted', 'holds a role (a binding) → on a resource or project'],
  ['falls back to node identity', 'pods get the node pool’s account'],
  ['- - ✗', 'broken link, with the check that broke it'],
  ['· · ?', 'could not be told'],
  [
    'shapes',
    'rounded: workload · ellipse: pod · rectangle: KSA · cut corners: GSA · tag: role · barrel: resource · hexagon: project',
  ],
];

function graphSection(graph: IdentityGraph, selected: string | undefined, jsonCommand: string | undefined): Markup {
  const intro = h(
    'p',
    null,
    'Who can become which Google identity: workloads and pods → KSAs → GSAs → roles → resources and projects, with the direct grants of KSA principals and the node identity pods fall back to. Broken links are drawn dashed and name the check that broke them.',
  );
  if (graph.nodes.length > MAX_GRAPH_NODES) {
    return h(
      'section',
      { id: 'graph', 'aria-labelledby': 'graph-h' },
      h('h2', { id: 'graph-h' }, 'Identity graph'),
      intro,
      h(
        'p',
        { class: 'banner' },
        `The graph has ${plural(graph.nodes.length, 'node')}, more than one page draws (${MAX_GRAPH_NODES.toLocaleString('en-US')}). Use `,
        h('code', null, 'wi-doctor graph --format json'),
        ' (or --ksa NS/KSA, --gsa EMAIL for one subject).',
        jsonCommand !== undefined ? [' The report itself: ', h('code', null, jsonCommand), '.'] : null,
      ),
    );
  }
  const order = [...graph.subjects].sort(
    (a, b) => SEVERITY[a.status] - SEVERITY[b.status] || a.subject.localeCompare(b.subject),
  );
  const namespaces = graph.nodes.filter((n) => n.kind === 'namespace').map((n) => n.label);
  return h(
    'section',
    { id: 'graph', 'aria-labelledby': 'graph-h' },
    h('h2', { id: 'graph-h' }, 'Identity graph'),
    intro,
    h(
      'ul',
      { class: 'legend', 'aria-label': 'Legend' },
      LEGEND.map(([k, v]) => h('li', null, h('span', { class: 'k' }, k), ` ${v}`)),
    ),
    h(
      'div',
      { class: 'graph-tools js-only' },
      h(
        'label',
        { class: 'field' },
        h('span', null, 'Highlight the path of'),
        h(
          'select',
          { id: 'g-subject' },
          h('option', { value: '' }, '(no subject)'),
          order.map((s) =>
            h('option', { value: s.subject, selected: s.subject === selected }, `${SYMBOL[s.status]} ${s.subject}`),
          ),
        ),
      ),
      namespaces.length > 0
        ? [
            h(
              'label',
              { class: 'field' },
              h('span', null, 'Namespace'),
              h(
                'select',
                { id: 'g-namespace' },
                namespaces.map((ns) => h('option', { value: ns }, ns)),
              ),
            ),
            h('button', { type: 'button', id: 'g-expand' }, 'Expand and show'),
            h('button', { type: 'button', id: 'g-expand-all' }, 'Expand all'),
            h('button', { type: 'button', id: 'g-collapse-all' }, 'Collapse all'),
          ]
        : null,
      h('button', { type: 'button', id: 'g-fit' }, 'Fit'),
    ),
    h('p', { id: 'g-status', role: 'status' }),
    h('div', {
      id: 'graph-canvas',
      class: 'js-only',
      role: 'img',
      'aria-label': `Identity graph: ${plural(graph.nodes.length, 'node')}, ${plural(graph.edges.length, 'link')}. The highlighted subject's path is listed as text below.`,
    }),
    h(
      'p',
      { class: 'no-js-only' },
      'The drawing needs JavaScript. ',
      h('code', null, 'wi-doctor graph --format mermaid|dot|json'),
      ' gives the same graph as text.',
    ),
    h(
      'div',
      { class: 'graph-side' },
      h(
        'section',
        { 'aria-labelledby': 'g-path-h' },
        h('h3', { id: 'g-path-h' }, 'Path of the highlighted subject'),
        h('ol', { id: 'g-path', 'aria-live': 'polite' }),
      ),
      h(
        'section',
        { 'aria-labelledby': 'g-details-h' },
        h('h3', { id: 'g-details-h' }, 'Selected node or link'),
        h('dl', { id: 'g-details' }),
      ),
    ),
    graph.notes.length > 0
      ? h(
          'div',
          { class: 'notes' },
          h(
            'ul',
            null,
            graph.notes.map((n) => h('li', null, n)),
          ),
        )
      : null,
  );
}

interface PageParts {
  title: string;
  body: Child[];
  graph?: IdentityGraph;
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The document: CSP first, one hashed stylesheet, hashed scripts; data only inside a JSON script element. */
function page({ title, body, graph }: PageParts): string {
  const client = `(${reportClient.toString()})(${COLLAPSE_AT}, ${EXPAND_ALL_LIMIT});`;
  const scripts = [...(graph !== undefined ? graphLibraries().map((l) => l.source) : []), client];
  const csp = [
    "default-src 'none'",
    `script-src ${scripts.map(sha256).join(' ')}`,
    `style-src ${sha256(STYLES)}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const head = h(
    'head',
    null,
    h('meta', { charset: 'utf-8' }),
    h('meta', { 'http-equiv': 'Content-Security-Policy', content: csp }),
    h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
    h('meta', { name: 'color-scheme', content: 'light dark' }),
    h('meta', { name: 'referrer', content: 'no-referrer' }),
    h('meta', { name: 'generator', content: 'wi-doctor' }),
    h('title', null, title),
    Markup.trusted(`<style id="__________cytoscape_stylesheet">${STYLES}</style>`),
  );
  const data =
    graph !== undefined
      ? Markup.trusted(`<script type="application/json" id="graph-data">${jsonForScript(pageGraph(graph))}</script>`)
      : null;
  const tail = scripts.map((s) => `<script>${s}</script>`).join('');
  // Tokens and keys are redacted from everything data can reach (the JSON is redacted as it is written);
  // the scripts are left as they are, so that their hashes hold.
  const markup = redactSecrets(Markup.join([head, Markup.trusted('<body>'), body]).html);
  return `<!DOCTYPE html>\n<html lang="en" class="no-js">${markup}${data?.html ?? ''}${tail}</body></html>\n`;
}

function header(
  title: string,
  report: { cluster: string; source: string; generatedAt: string; tool: { name: string; version: string } },
  extra: Child,
): Markup {
  return h(
    'header',
    null,
    h('a', { class: 'skip-link', href: '#main' }, 'Skip to the content'),
    h('h1', null, title),
    h(
      'dl',
      { class: 'meta' },
      h('dt', null, 'Cluster'),
      h('dd', null, report.cluster),
      h('dt', null, 'Source'),
      h('dd', null, report.source),
      h('dt', null, 'Generated'),
      h('dd', null, h('time', { datetime: report.generatedAt }, report.generatedAt)),
      h('dt', null, 'Tool'),
      h('dd', null, `${report.tool.name} ${report.tool.version}`),
      extra,
    ),
  );
}

const footer = (): Markup =>
  h(
    'footer',
    null,
    h(
      'p',
      null,
      'Made by wi-doctor. This file is self-contained: it loads nothing from the network, and every value from the cluster or from Google is shown as text.',
    ),
  );

/** The report of `check` (or any command with the same report shape) as one HTML page. */
export function renderHtml(report: Report, options: HtmlOptions = {}): string {
  const graph = options.graph;
  const graphPaths = new Map(graph?.subjects.map((s) => [s.subject, s]) ?? []);
  // Shared objects (cluster, node pools, project) the verdicts depend on: their checks are listed once.
  const sharedSubjects = [...new Set(report.verdicts.flatMap((v) => v.related.filter((r) => r !== v.subject)))];
  const sharedAnchors = new Map(sharedSubjects.map((s, i) => [s, `shared-${i + 1}`]));
  const verdictCards = report.verdicts.map((v, i) => verdictCard(report, v, i, graphPaths, sharedAnchors));
  const otherCards = resultCards(unclaimedResults(report), verdictCards.length);
  const all = [...verdictCards, ...otherCards];
  const bySeverity = (a: SubjectCard, b: SubjectCard): number =>
    SEVERITY[a.status] - SEVERITY[b.status] || a.order - b.order;
  const kept = new Set([...all].sort(bySeverity).slice(0, MAX_SUBJECTS));
  const shownVerdicts = verdictCards.filter((c) => kept.has(c)).sort(bySeverity);
  const shownOthers = otherCards.filter((c) => kept.has(c)).sort(bySeverity);

  const ids = new Ids();
  const anchors = new Map<string, string>();
  const rendered = (cards: readonly SubjectCard[]): Markup[] =>
    cards.map((card) => {
      const anchor = ids.next('s');
      anchors.set(card.subject, anchor);
      return card.render(ids, anchor);
    });
  const verdictMarkup = rendered(shownVerdicts);
  const otherMarkup = rendered(shownOthers);

  const statusCounts = new Map<Status, number>();
  for (const c of all) statusCounts.set(c.status, (statusCounts.get(c.status) ?? 0) + 1);
  const failing = statusCounts.get('fail') ?? 0;
  const title = `wi-doctor: ${plural(all.length, 'subject')}, ${failing} failing — ${report.cluster}`;

  const tooLarge = all.length > MAX_SUBJECTS;
  const body: Child[] = [
    Markup.trusted('<div id="announce" class="sr-only" role="status" aria-live="polite"></div>'),
    header(options.title ?? 'Workload Identity report', report, [
      h('dt', null, 'Subjects'),
      h('dd', null, plural(all.length, 'subject')),
    ]),
    h(
      'main',
      { id: 'main' },
      h(
        'ul',
        { class: 'counts', 'aria-label': 'Subjects by verdict' },
        (['fail', 'warn', 'unknown', 'pass', 'skip'] as const)
          .filter((s) => statusCounts.has(s))
          .map((s) =>
            h('li', null, h('span', { class: `badge s-${s}` }, `${SYMBOL[s]} ${statusCounts.get(s) ?? 0} ${WORD[s]}`)),
          ),
      ),
      h('p', { class: 'muted' }, `Checks: ${summaryLine(report)}`),
      report.notes.length > 0
        ? h(
            'div',
            { class: 'notes', role: 'note' },
            h('p', null, h('strong', null, 'Notes from the input')),
            h(
              'ul',
              null,
              report.notes.map((n) => h('li', null, n)),
            ),
          )
        : null,
      tooLarge
        ? h(
            'p',
            { class: 'banner', role: 'note' },
            h('strong', null, 'This report is larger than one page holds. '),
            `It has ${plural(all.length, 'subject')}; this page shows the ${MAX_SUBJECTS.toLocaleString('en-US')} most severe (failures first), and leaves out ${plural(all.length - MAX_SUBJECTS, 'subject')}. The complete report is the JSON: `,
            h('code', null, options.jsonCommand ?? 'the same command with --format json'),
            '.',
          )
        : null,
      groupsSection(report, anchors),
      fixPlanHint(ids, report),
      h(
        'div',
        { id: 'subject-lists' },
        filters(kept.size > 0 ? [...kept] : []),
        verdictMarkup.length > 0 || otherMarkup.length === 0
          ? h(
              'section',
              { id: 'subjects', class: 'subject-list', 'aria-labelledby': 'subjects-h' },
              h('h2', { id: 'subjects-h' }, 'Verdicts'),
              verdictMarkup.length > 0 ? verdictMarkup : h('p', null, 'No subject was diagnosed.'),
              h('p', { class: 'empty', hidden: true }, 'No subject matches the filters.'),
            )
          : null,
        otherMarkup.length > 0
          ? h(
              'section',
              { id: 'other-results', class: 'subject-list', 'aria-labelledby': 'other-h' },
              h('h2', { id: 'other-h' }, report.verdicts.length > 0 ? 'Other results' : 'Results'),
              otherMarkup,
              h('p', { class: 'empty', hidden: true }, 'No subject matches the filters.'),
            )
          : null,
      ),
      sharedSection(report, sharedSubjects, sharedAnchors),
      notEvaluatedSection(report),
      graph !== undefined ? graphSection(graph, undefined, options.jsonCommand) : null,
    ),
    footer(),
  ];
  return page({ title, body, ...(graph !== undefined && graph.nodes.length <= MAX_GRAPH_NODES ? { graph } : {}) });
}

/** `wi-doctor graph --format html`: the graph alone, with a subject's path highlighted when one was asked for. */
export function renderGraphHtml(graph: IdentityGraph, options: { highlight?: string } = {}): string {
  const title = `wi-doctor identity graph — ${graph.cluster}`;
  const body: Child[] = [
    Markup.trusted('<div id="announce" class="sr-only" role="status" aria-live="polite"></div>'),
    header('Identity graph', graph, [
      h('dt', null, 'Graph'),
      h('dd', null, `${plural(graph.nodes.length, 'node')}, ${plural(graph.edges.length, 'link')}`),
    ]),
    h('main', { id: 'main' }, graphSection(graph, options.highlight, undefined)),
    footer(),
  ];
  return page({ title, body, ...(graph.nodes.length <= MAX_GRAPH_NODES ? { graph } : {}) });
}
