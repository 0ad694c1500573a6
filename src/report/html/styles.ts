// The report's one stylesheet: light and dark (prefers-color-scheme), print (every section open, no
// controls, black on white), system fonts only (nothing to fetch). Status is never told by colour alone:
// every badge carries its symbol and word. Colours meet WCAG AA contrast on their backgrounds.

export const STYLES = `
/* Cytoscape.js looks for this element id and adds its own stylesheet when it is missing; the strict
   Content-Security-Policy of this page would refuse that, so the rule it needs is here. */
.__________cytoscape_container { position: relative; }

:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #8c959f; --box: #f6f8fa; --rule: #d0d7de;
  --ok: #1a7f37; --fail: #cf222e; --warn: #9a6700; --unknown: #8250df; --skip: #57606a; --path: #0969da;
  --ok-bg: #dafbe1; --fail-bg: #ffebe9; --warn-bg: #fff8c5; --unknown-bg: #fbefff; --skip-bg: #eaeef2;
  --code-bg: #f6f8fa; --focus: #0969da;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #8b949e; --box: #161b22; --rule: #30363d;
    --ok: #3fb950; --fail: #ff7b72; --warn: #d29922; --unknown: #d2a8ff; --skip: #9198a1; --path: #58a6ff;
    --ok-bg: #12261e; --fail-bg: #3c1618; --warn-bg: #2e2a14; --unknown-bg: #2a1f3d; --skip-bg: #21262d;
    --code-bg: #161b22; --focus: #58a6ff;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); font: 15px/1.5 var(--sans); }
body { margin: 0 auto; max-width: 78rem; padding: 0 1.25rem 3rem; }
a { color: var(--path); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip-link { position: absolute; left: -999px; top: 0; background: var(--bg); padding: .5rem; }
.skip-link:focus { left: 1rem; }
h1 { font-size: 1.6rem; margin: 1.25rem 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--rule); padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 0; display: flex; gap: .6rem; align-items: baseline; flex-wrap: wrap; }
code, pre, kbd { font-family: var(--mono); font-size: .88em; }
code { background: var(--code-bg); padding: .05rem .3rem; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: var(--code-bg); border: 1px solid var(--rule); border-radius: 6px; padding: .6rem .75rem;
  overflow-x: auto; margin: .25rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
pre code { background: none; padding: 0; }
.muted { color: var(--muted); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; list-style: none; padding: 0; margin: .75rem 0; }
.badge { display: inline-block; border-radius: 999px; padding: .05rem .55rem; font-size: .85rem; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap; }
.s-fail { color: var(--fail); background: var(--fail-bg); }
.s-warn { color: var(--warn); background: var(--warn-bg); }
.s-unknown { color: var(--unknown); background: var(--unknown-bg); }
.s-pass { color: var(--ok); background: var(--ok-bg); }
.s-skip { color: var(--skip); background: var(--skip-bg); }
.banner { border: 2px solid var(--warn); background: var(--warn-bg); border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
.notes { border-left: 4px solid var(--line); padding: .25rem .75rem; margin: .75rem 0; }
.notes ul { margin: 0; padding-left: 1.1rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .75rem 1.25rem; align-items: end; padding: .75rem;
  border: 1px solid var(--rule); border-radius: 6px; background: var(--box); position: sticky; top: 0; z-index: 2; margin-bottom: 1rem; }
form.filters fieldset { border: 0; margin: 0; padding: 0; display: flex; gap: .6rem; flex-wrap: wrap; align-items: center; }
form.filters legend { float: left; margin-right: .4rem; color: var(--muted); }
form.filters label { display: inline-flex; gap: .3rem; align-items: center; }
.field { display: flex; flex-direction: column; gap: .15rem; }
.field > span { color: var(--muted); font-size: .85rem; }
input, select, button { font: inherit; color: inherit; }
input[type="search"], select { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .3rem .45rem; min-width: 10rem; }
button { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .25rem .65rem; cursor: pointer; }
button:hover { border-color: var(--fg); }
button:disabled { opacity: .55; cursor: not-allowed; }
#f-count { color: var(--muted); margin-left: auto; }
.subject { border: 1px solid var(--rule); border-left-width: 6px; border-radius: 6px; padding: .8rem 1rem; margin: .9rem 0;
  /* A long report lays out only the cards on screen. */
  content-visibility: auto; contain-intrinsic-size: auto 320px; }
.subject.st-fail { border-left-color: var(--fail); }
.subject.st-warn { border-left-color: var(--warn); }
.subject.st-unknown { border-left-color: var(--unknown); }
.subject.st-pass { border-left-color: var(--ok); }
.subject .headline { margin: .4rem 0; font-size: 1.02rem; }
.subject .identity { margin: .3rem 0; overflow-wrap: anywhere; }
.change { margin: .5rem 0; }
.fix-plan { margin: .8rem 0; }
.subject .actions { float: right; }
.evidence { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .2rem .75rem; margin: .4rem 0; }
.evidence dt { color: var(--muted); }
.evidence dd { margin: 0; min-width: 0; }
.fixes { margin: .5rem 0; }
.fixes > ol { padding-left: 1.3rem; margin: .25rem 0; }
.cmd { display: grid; grid-template-columns: 5.5rem minmax(0, 1fr) auto; gap: .5rem; align-items: start; margin: .3rem 0; }
.cmd .tool { color: var(--muted); padding-top: .6rem; font-size: .85rem; }
.cmd button { margin-top: .35rem; }
details { margin: .4rem 0; }
summary { cursor: pointer; color: var(--muted); }
summary:hover { color: var(--fg); }
table { border-collapse: collapse; width: 100%; margin: .3rem 0; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--rule); }
th { color: var(--muted); font-weight: 600; }
td.st { white-space: nowrap; width: 1%; }
td.id { white-space: nowrap; width: 1%; }
.empty { color: var(--muted); font-style: italic; }
#graph-canvas { height: 38rem; border: 1px solid var(--rule); border-radius: 6px; background: var(--bg); }
.graph-tools { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: end; margin: .5rem 0; }
.graph-side { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 1rem; margin-top: .75rem; }
#g-details { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .1rem .75rem; margin: 0; }
#g-details dt { color: var(--muted); }
#g-details dd { margin: 0; overflow-wrap: anywhere; }
#g-path li { margin: .2rem 0; overflow-wrap: anywhere; }
#g-path .edge-broken { color: var(--fail); }
#g-path .edge-unknown { color: var(--unknown); }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; list-style: none; padding: 0; margin: .5rem 0; font-size: .88rem; color: var(--muted); }
.legend .k { font-family: var(--mono); color: var(--fg); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.js-only { display: none; }
.js .js-only { display: revert; }
.js form.filters.js-only, .js .graph-tools.js-only { display: flex; }
.js .no-js-only { display: none; }
footer { margin-top: 3rem; color: var(--muted); font-size: .88rem; border-top: 1px solid var(--rule); padding-top: .75rem; }
@media (max-width: 48rem) {
  .graph-side { grid-template-columns: 1fr; }
  .cmd { grid-template-columns: 1fr; }
}
@media print {
  :root { --bg: #fff; --fg: #000; --muted: #333; --rule: #999; --code-bg: #fff; --box: #fff; }
  html { font-size: 11pt; }
  body { max-width: none; padding: 0; }
  form.filters, button, .skip-link, .graph-tools, #graph-canvas, .js-only { display: none !important; }
  .subject { break-inside: avoid-page; content-visibility: visible; }
  pre { white-space: pre-wrap; }
  a { color: inherit; }
  .js .no-js-only.print { display: block; }
}
`;
