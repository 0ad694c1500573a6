// The structure of a page the HTML renderer wrote, as indented text for golden files: elements with the
// attributes that carry meaning (ids, classes, roles, aria, data, form state), text cut to one line, and
// script and style bodies replaced by what they are. Pixels, hashes and library code stay out of it.
// A small tokenizer is enough: the renderer writes well-formed, double-quoted markup.

const KEPT_ATTRIBUTES =
  /^(id|class|role|href|type|name|value|checked|selected|open|hidden|disabled|for|scope|lang|datetime|aria-[a-z-]+|data-[a-z-]+|http-equiv|charset)$/;
const VOID = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'col']);
const TOKEN =
  /<!--[\s\S]*?-->|<!DOCTYPE[^>]*>|<\/([a-z][a-z0-9-]*)\s*>|<([a-z][a-z0-9-]*)((?:\s+[a-z][a-z0-9-]*(?:="[^"]*")?)*)\s*>|([^<]+)|</gi;
const ATTRIBUTE = /([a-z][a-z0-9-]*)(?:="([^"]*)")?/gi;

const decode = (text: string): string =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

export interface Element {
  tag: string;
  attrs: Record<string, string>;
  children: (Element | string)[];
}

/** Parses the renderer's output into a tree (throws on a closing tag that does not match). */
export function parse(html: string): Element {
  const root: Element = { tag: '#document', attrs: {}, children: [] };
  const stack: Element[] = [root];
  const top = (): Element => stack[stack.length - 1] ?? root;
  const token = new RegExp(TOKEN.source, 'gi');
  let match: RegExpExecArray | null;
  while ((match = token.exec(html)) !== null) {
    const [whole, closing, opening, attrText, text] = match;
    if (whole.startsWith('<!')) continue;
    if (text !== undefined) {
      top().children.push(decode(text));
    } else if (closing !== undefined) {
      const open = stack.pop();
      if (open?.tag !== closing.toLowerCase()) throw new Error(`</${closing}> closes <${open?.tag ?? '?'}>`);
    } else if (opening !== undefined) {
      const attrs: Record<string, string> = {};
      for (const a of (attrText ?? '').matchAll(ATTRIBUTE)) attrs[(a[1] ?? '').toLowerCase()] = decode(a[2] ?? '');
      const element: Element = { tag: opening.toLowerCase(), attrs, children: [] };
      top().children.push(element);
      if (VOID.has(element.tag)) continue;
      if (element.tag === 'script' || element.tag === 'style') {
        // Raw text: everything up to the first closing tag, as the HTML parser reads it.
        const end = html.toLowerCase().indexOf(`</${element.tag}`, token.lastIndex);
        if (end < 0) throw new Error(`unclosed <${element.tag}>`);
        element.children.push(html.slice(token.lastIndex, end));
        token.lastIndex = html.indexOf('>', end) + 1;
        continue;
      }
      stack.push(element);
    } else {
      throw new Error(`stray < at ${match.index}`);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${top().tag}>`);
  return root;
}

export function textOf(node: Element | string): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}

export function findAll(node: Element, test: (e: Element) => boolean, out: Element[] = []): Element[] {
  for (const child of node.children) {
    if (typeof child === 'string') continue;
    if (test(child)) out.push(child);
    findAll(child, test, out);
  }
  return out;
}

function oneLine(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The outline: one line per element or text run. */
export function outline(html: string): string {
  const lines: string[] = [];
  const walk = (el: Element, depth: number): void => {
    const indent = '  '.repeat(depth);
    const attrs = Object.entries(el.attrs)
      .filter(([k]) => KEPT_ATTRIBUTES.test(k))
      .map(([k, v]) => `${k}=${JSON.stringify(oneLine(v, 60))}`);
    if (el.tag === 'meta' && el.attrs['http-equiv'] === 'Content-Security-Policy') attrs.push('content=[policy]');
    lines.push(`${indent}<${el.tag}${attrs.length ? ` ${attrs.join(' ')}` : ''}>`);
    if (el.tag === 'script' || el.tag === 'style') {
      const kind = el.attrs['type'] === 'application/json' ? 'json' : el.tag === 'style' ? 'css' : 'javascript';
      lines.push(`${indent}  [${kind}]`);
      return;
    }
    for (const child of el.children) {
      if (typeof child === 'string') {
        const text = oneLine(child);
        if (text !== '') lines.push(`${indent}  "${text}"`);
      } else {
        walk(child, depth + 1);
      }
    }
  };
  for (const child of parse(html).children) if (typeof child !== 'string') walk(child, 0);
  return `${lines.join('\n')}\n`;
}
