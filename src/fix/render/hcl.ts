// A small HCL writer: enough for the resources fixes need, formatted as `terraform fmt` would.

export type HclValue = string | number | boolean | readonly string[] | { readonly map: Record<string, string> };

export type HclItem =
  | { kind: 'attr'; name: string; value: HclValue }
  | { kind: 'block'; type: string; labels: string[]; body: HclItem[] }
  | { kind: 'comment'; text: string };

export const attr = (name: string, value: HclValue): HclItem => ({ kind: 'attr', name, value });
export const block = (type: string, labels: string[], body: HclItem[]): HclItem => ({
  kind: 'block',
  type,
  labels,
  body,
});
export const comment = (text: string): HclItem => ({ kind: 'comment', text });

/** A quoted HCL string; `${` and `%{` are escaped so values are never read as templates. */
export function hclString(value: string): string {
  const json = JSON.stringify(value).replaceAll('\\b', '\\u0008').replaceAll('\\f', '\\u000c');
  // Function replacers: in a replacement string `$$` would collapse to `$`.
  return json.replaceAll('${', () => '$${').replaceAll('%{', () => '%%{');
}

function renderValue(value: HclValue, indent: string): string {
  if (typeof value === 'string') return hclString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isList(value)) return `[${value.map(hclString).join(', ')}]`;
  const entries = Object.entries(value.map).map(([k, v]) => [hclString(k), hclString(v)] as const);
  if (entries.length === 0) return '{}';
  const width = Math.max(...entries.map(([k]) => k.length));
  const lines = entries.map(([k, v]) => `${indent}  ${k.padEnd(width)} = ${v}`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function isList(value: HclValue): value is readonly string[] {
  return Array.isArray(value);
}

function renderItems(items: readonly HclItem[], indent: string): string[] {
  const out: string[] = [];
  // terraform fmt aligns the `=` of consecutive single-line attributes.
  let run: { name: string; value: HclValue }[] = [];
  const flush = (): void => {
    const width = Math.max(0, ...run.map((a) => a.name.length));
    for (const a of run) out.push(`${indent}${a.name.padEnd(width)} = ${renderValue(a.value, indent)}`);
    run = [];
  };
  for (const item of items) {
    if (item.kind === 'attr' && !renderValue(item.value, indent).includes('\n')) {
      run.push(item);
      continue;
    }
    flush();
    if (item.kind === 'attr') {
      // A multi-line value stands alone: terraform fmt aligns it with neither neighbour.
      out.push(`${indent}${item.name} = ${renderValue(item.value, indent)}`);
      continue;
    }
    if (item.kind === 'comment') {
      out.push(`${indent}# ${item.text}`);
    } else {
      const head = [item.type, ...item.labels.map(hclString)].join(' ');
      out.push(`${indent}${head} {`, ...renderItems(item.body, `${indent}  `), `${indent}}`);
    }
  }
  flush();
  return out;
}

export function renderHcl(items: readonly HclItem[]): string {
  return renderItems(items, '').join('\n');
}

/** A Terraform resource name from parts: lower snake case, only [a-z0-9_], starting with a letter. */
export function resourceName(...parts: string[]): string {
  const snake = parts
    .join('_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 64)
    .replace(/_$/, '');
  return /^[a-z]/.test(snake) ? snake : `r_${snake}`;
}
