// Builds the in-pod probe as one dependency-free file: dist/wi-doctor-probe.cjs (Node 18+, CommonJS, node
// builtins only), to `kubectl cp` into any pod that has node, or to mount from a ConfigMap (probe-pod).

import { build } from 'esbuild';
import { chmod, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'wi-doctor-probe.cjs');
const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

const result = await build({
  entryPoints: [join(root, 'src', 'probe', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
  define: { 'process.env.WI_DOCTOR_PROBE_VERSION': JSON.stringify(version) },
  // Anything that is not a node builtin must be bundled, never required at run time.
  external: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});

const inputs = Object.keys(result.metafile.inputs);
const foreign = inputs.filter((p) => p.includes('node_modules'));
if (foreign.length > 0) {
  console.error(`build-probe: the probe must not import packages, but bundles ${foreign.join(', ')}`);
  process.exit(1);
}
await chmod(outfile, 0o755);
console.log(`build-probe: wrote ${outfile} (${inputs.length} modules)`);
