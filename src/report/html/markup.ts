// HTML built so that a value from the cluster or from Google can only ever be text: `h()` escapes every
// string child and every attribute value, and the only markup that passes through unescaped is markup that
// `h()` itself made. KSA annotations, display names, log texts and label values may hold `<script>` or
// `"><img onerror=…>`; here they stay characters.

import { redactSecrets } from '../common.js';

/** Markup made by `h()` (or a constant of this module): the only thing written without escaping. */
export class Markup {
  private constructor(readonly html: string) {}

  /** For constants written in this codebase only (never data): the document type, entities. */
  static trusted(html: string): Markup {
    return new Markup(html);
  }

  static join(children: readonly Child[]): Markup {
    return new Markup(append('', children));
  }
}

export type Child = string | number | Markup | null | undefined | false | readonly Child[];

type AttrValue = string | number | boolean | null | undefined;

// Characters that must not reach a page as themselves: `&<>"'`, C0/C1 controls (invalid in HTML) and the
// bidirectional overrides that can make text read differently from what it is (shown as visible escapes).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[&<>"'\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text as HTML text or attribute value: `&<>"'` escaped, controls and bidirectional overrides made visible.
 * Secrets are redacted on the whole page (see page.ts), since escaping leaves their characters as they are.
 */
export function escapeHtml(text: string): string {
  return text.replace(UNSAFE, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Built with `+=`, which V8 keeps as a rope until the page is written: joining arrays at every level would
// copy a large page once per nesting level.
function append(html: string, child: Child): string {
  if (child === null || child === undefined || child === false) return html;
  if (child instanceof Markup) return html + child.html;
  if (typeof child === 'number') return html + String(child);
  if (typeof child === 'string') return html + escapeHtml(child);
  let out = html;
  for (const c of child) out = append(out, c);
  return out;
}

const NAME = /^[a-z][a-z0-9-]*$/;
const VOID = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'col']);

/**
 * One element. Tag and attribute names come from this codebase (checked: lower-case names only, no event
 * handlers, no inline styles: the page's Content-Security-Policy forbids both anyway).
 */
export function h(tag: string, attrs: Record<string, AttrValue> | null, ...children: Child[]): Markup {
  if (!NAME.test(tag)) throw new Error(`bad tag name ${tag}`);
  let open = `<${tag}`;
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (!NAME.test(name) || name.startsWith('on') || name === 'style') throw new Error(`bad attribute ${name}`);
    if (value === null || value === undefined || value === false) continue;
    open += value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`;
  }
  open += '>';
  if (VOID.has(tag)) return Markup.trusted(open);
  return Markup.trusted(`${append(open, children)}</${tag}>`);
}

/** A link only when the URL is plainly http(s); anything else (javascript:, data:) is shown as text. */
export function safeLink(url: string, text: Child, attrs: Record<string, AttrValue> = {}): Markup {
  if (/^https?:\/\/[^\s"<>]+$/i.test(url)) {
    return h('a', { href: url, rel: 'noopener noreferrer', ...attrs }, text);
  }
  return h('span', null, text);
}

/**
 * JSON to put inside `<script type="application/json">`: `<`, `>`, `&` and the line separators are
 * written as \u escapes, so no value can close the element or open a comment; JSON.parse reads it back
 * unchanged.
 */
export function jsonForScript(value: unknown): string {
  return redactSecrets(JSON.stringify(value)).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
