// The graph library written into the page: Cytoscape.js and its dagre layout (which bundles dagre), read
// from the installed packages (pinned in package.json; both MIT, see NOTICE.md) the first time a page with a
// graph is rendered. Nothing is fetched when the page opens.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export interface VendorScript {
  name: string;
  source: string;
}

// Each package's "exports" decides what can be resolved: cytoscape exports its minified UMD build,
// cytoscape-dagre only its package.json beside the main entry.
const FILES: readonly { name: string; path: () => string }[] = [
  { name: 'cytoscape', path: () => require.resolve('cytoscape/dist/cytoscape.min.js') },
  {
    name: 'cytoscape-dagre',
    path: () => join(dirname(require.resolve('cytoscape-dagre/package.json')), 'dist', 'cytoscape-dagre.min.js'),
  },
];

let cache: VendorScript[] | undefined;

/** A library's text as it can stand inside <script>: no source-map comment, and nothing that ends the element. */
export function inlineScript(name: string, text: string): string {
  const source = text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
  if (/<\/script|<!--/i.test(source)) {
    throw new Error(`${name}: the library text contains </script or <!--, so it cannot be written inline`);
  }
  return source;
}

export function graphLibraries(): VendorScript[] {
  cache ??= FILES.map(({ name, path }) => ({ name, source: inlineScript(name, readFileSync(path(), 'utf8')) }));
  return cache;
}
