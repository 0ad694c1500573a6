// The code of the precompiled validators (Ajv's standalone output for every named schema), for
// scripts/build-validators.mjs, which writes it next to validate.js in dist/. Not loaded at run time.

import { createRequire } from 'node:module';
import type { Ajv } from 'ajv';
import { SCHEMA_ID_PREFIX, namedSchemas } from './schemas.js';
import { AJV_OPTIONS, createAjv } from './validate.js';

const require = createRequire(import.meta.url);

/** CommonJS source exporting one validate function per named schema, by name (`pods`, `cluster`, …). */
export function precompiledValidatorsCode(): string {
  const standalone = (require('ajv/dist/standalone') as { default: (ajv: Ajv, refs: Record<string, string>) => string })
    .default;
  const ajv = createAjv(AJV_OPTIONS.build);
  const exports: Record<string, string> = {};
  for (const schema of namedSchemas) {
    const id = String(schema.$id);
    exports[id.slice(SCHEMA_ID_PREFIX.length)] = id;
  }
  return standalone(ajv, exports);
}
