// Request bodies of the Kubernetes API as the API server decodes them: JSON, YAML or the Kubernetes protobuf
// encoding, into the resource's type, with its errors worded as the server words them:
//   400 `the object provided is unrecognized (must be of type ServiceAccount): couldn't get version/kind; json
//       parse error: invalid character 'x' looking for beginning of value (78)` for a body that is not JSON,
//   400 `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field
//       "spec.foo"` with fieldValidation=Strict (kubectl's default), a Warning header otherwise,
//   415 for a content type it does not read.
// Content negotiation for answers: JSON whenever the Accept header allows it.

import { parse as parseYaml } from 'yaml';
import { kubeStatus } from '../http/errors.js';
import type { SandboxRequest, SandboxResponse } from '../http/router.js';
import { decodeTyped, parseGoJson, summarizeData } from './gojson.js';
import { isObject, type JsonObject } from './json.js';
import { decodeObject, ProtobufError } from './proto/decode.js';
import { kindMessage } from './proto/schema.js';
import { apiVersionOf } from './resources.js';

export type Decoded = { ok: true; obj: JsonObject; warnings: string[] } | { ok: false; response: SandboxResponse };

const ACCEPTED = 'application/json, application/yaml, application/vnd.kubernetes.protobuf';

export function mediaType(req: SandboxRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function bad(message: string): { ok: false; response: SandboxResponse } {
  return { ok: false, response: kubeStatus(400, 'BadRequest', message) };
}

/** The body as a JSON value: JSON (Go's syntax errors), YAML or protobuf. */
export function rawBody(
  req: SandboxRequest,
  kind: string,
): { ok: true; value: unknown } | { ok: false; response: SandboxResponse } {
  const type = mediaType(req);
  if (type === 'application/vnd.kubernetes.protobuf') {
    try {
      return { ok: true, value: decodeObject(req.body) };
    } catch (e) {
      if (e instanceof ProtobufError)
        return bad(
          `the object provided is unrecognized (must be of type ${kind}): ${e.message} (${summarizeData(req.body)})`,
        );
      throw e;
    }
  }
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return { ok: true, value: parseYaml(req.body.toString('utf8')) as unknown };
    } catch (e) {
      return bad(`error converting YAML to JSON: yaml: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  if (type !== '' && type !== 'application/json' && type !== '*/*') {
    return {
      ok: false,
      response: kubeStatus(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${ACCEPTED}`,
      ),
    };
  }
  const text = req.body.toString('utf8');
  const parsed = parseGoJson(text);
  if (!parsed.ok)
    return bad(
      `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${parsed.error} (${summarizeData(req.body)})`,
    );
  return { ok: true, value: parsed.value };
}

/**
 * An object body for a resource: decoded, its apiVersion and kind checked, its fields checked against the type
 * (type errors refused; unknown fields refused under fieldValidation=Strict, warned about otherwise).
 */
export function decodeObjectBody(req: SandboxRequest, def: { group: string; version: string; kind: string }): Decoded {
  const raw = rawBody(req, def.kind);
  if (!raw.ok) return raw;
  const value = raw.value;
  const expected = apiVersionOf(def);
  if (isObject(value)) {
    const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : '';
    const kind = typeof value.kind === 'string' ? value.kind : '';
    if (apiVersion !== '' && apiVersion !== expected)
      return bad(`the API version in the data (${apiVersion}) does not match the expected API version (${expected})`);
    if (kind !== '' && kind !== def.kind)
      // UNVERIFIED: the server's exact words when a body names another kind than the URL's resource.
      return bad(
        `${kind} in version "${def.version}" cannot be handled as a ${def.kind}: the object provided is not a ${def.kind}`,
      );
  }
  const msg = kindMessage(def.group, def.version, def.kind);
  if (!msg)
    return isObject(value) ? { ok: true, obj: value, warnings: [] } : bad('the body of the request is not an object');
  const typed = decodeTyped(msg, value);
  const prefix = `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}`;
  if (typed.typeError !== undefined) return bad(`${prefix}: ${typed.typeError}`);
  const validation = req.query.get('fieldValidation') ?? 'Warn';
  if (typed.unknown.length > 0 && validation === 'Strict')
    return bad(`${prefix}: strict decoding error: ${typed.unknown.join(', ')}`);
  const warnings = validation === 'Ignore' ? [] : typed.unknown;
  return { ok: true, obj: typed.value, warnings };
}

/** `Warning` header value(s) for warnings (RFC 7234 code 299, as the API server sends them). */
export function warningHeader(warnings: string[]): Record<string, string> {
  if (warnings.length === 0) return {};
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}

/** Whether the client takes JSON back (kubectl always lists it; a protobuf-only client is refused). */
export function acceptsJson(req: SandboxRequest): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const t = part.split(';')[0]?.trim().toLowerCase() ?? '';
    return t === 'application/json' || t === '*/*' || t === 'application/*' || t === 'application/yaml';
  });
}

export function notAcceptable(): SandboxResponse {
  return kubeStatus(
    406,
    'NotAcceptable',
    `only the following media types are accepted: application/json, application/yaml`,
  );
}
