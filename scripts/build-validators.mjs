// Compiles the bundle validators once, at build time: dist/collect/bundle/validators.generated.cjs (Ajv's
// standalone code for the schemas of src/collect/bundle/schemas.ts). A run then validates with them and never
// loads Ajv's compiler; from the sources (tests), validate.ts compiles the same schemas on first use.

import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { precompiledValidatorsCode } = await import(join(root, 'dist/collect/bundle/validators-build.js'));
const { PRECOMPILED_FILE } = await import(join(root, 'dist/collect/bundle/validate.js'));
const outfile = join(root, 'dist/collect/bundle', PRECOMPILED_FILE);
await writeFile(outfile, precompiledValidatorsCode());
console.log(`build-validators: wrote ${outfile}`);
