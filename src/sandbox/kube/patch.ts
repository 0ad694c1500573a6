// PATCH bodies the API server accepts: JSON merge patch (RFC 7386), strategic merge patch (for the maps
// kubectl patches here — annotations, labels, pod template metadata — the same as a merge patch, with
// `$`-directives ignored), and JSON patch (RFC 6902: add, replace, remove, test).

import { str } from '../http/router.js';

export class PatchError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown, strategic = false): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (strategic && k.startsWith('$')) continue;
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a merge patch deletes keys named by the patch
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v, strategic);
  }
  return out;
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations');
  const doc = structuredClone(target);
  for (const raw of ops) {
    if (!isObject(raw)) throw new PatchError('invalid json patch operation');
    const op = str(raw.op);
    const path = str(raw.path);
    const parts = path.split('/').slice(1).map(unescapePointer);
    const last = parts.pop();
    if (last === undefined) throw new PatchError(`invalid path ${path}`);
    let parent: unknown = doc;
    for (const p of parts) {
      parent = isObject(parent) ? parent[p] : Array.isArray(parent) ? parent[Number(p)] : undefined;
      if (parent === undefined) throw new PatchError(`doc is missing path: "${path}"`);
    }
    if (isObject(parent)) {
      if (op === 'add' || op === 'replace') {
        if (op === 'replace' && !(last in parent))
          throw new PatchError(`replace operation does not apply: doc is missing key: ${path}`);
        parent[last] = raw.value as Json;
      } else if (op === 'remove') {
        if (!(last in parent)) throw new PatchError(`remove operation does not apply: doc is missing key: ${path}`);
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a JSON patch removes the key its path names
        delete parent[last];
      } else if (op === 'test') {
        if (JSON.stringify(parent[last]) !== JSON.stringify(raw.value))
          throw new PatchError(`testing value ${path} failed`);
      } else throw new PatchError(`unsupported json patch operation ${op}`);
    } else if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op === 'add') parent.splice(i, 0, raw.value as Json);
      else if (op === 'replace') parent[i] = raw.value as Json;
      else if (op === 'remove') parent.splice(i, 1);
      else if (op === 'test') {
        if (JSON.stringify(parent[i]) !== JSON.stringify(raw.value))
          throw new PatchError(`testing value ${path} failed`);
      } else throw new PatchError(`unsupported json patch operation ${op}`);
    } else throw new PatchError(`doc is missing path: "${path}"`);
  }
  return doc;
}
