import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'vitest';
import { decodeObject } from '../../../src/sandbox/kube/proto/decode.js';
test('print', () => {
  const dir = new URL('../../fixtures/kube-protobuf/', import.meta.url);
  for (const f of readdirSync(dir)) console.log(f, JSON.stringify(decodeObject(readFileSync(new URL(f, dir)))));
});
