// What may be secret never leaves the API answer: env values (names kept; the value of
// GOOGLE_APPLICATION_CREDENTIALS is a path that credential-override reads, so it stays), Secret data, and
// the last-applied-configuration annotation (a copy of the whole manifest, env values included).
// Applied to live facts too, so a live diagnosis and a bundle diagnosis see the same objects.

export const SCRUBBED = '<scrubbed by wi-doctor>';
const KEEP_ENV = new Set(['GOOGLE_APPLICATION_CREDENTIALS']);
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scrubContainers(list: unknown): void {
  if (!Array.isArray(list)) return;
  for (const container of list) {
    if (!isRecord(container) || !Array.isArray(container.env)) continue;
    for (const env of container.env) {
      if (isRecord(env) && typeof env.value === 'string' && !KEEP_ENV.has(String(env.name))) env.value = SCRUBBED;
    }
  }
}

function scrubPodSpec(spec: unknown): void {
  if (!isRecord(spec)) return;
  scrubContainers(spec.containers);
  scrubContainers(spec.initContainers);
  scrubContainers(spec.ephemeralContainers);
}

/** Scrub one Kubernetes object in place (pods, workload templates, CronJob job templates, Secrets). */
export function scrubObject(obj: unknown): void {
  if (!isRecord(obj)) return;
  const meta = obj.metadata;
  if (isRecord(meta) && isRecord(meta.annotations) && LAST_APPLIED in meta.annotations) {
    meta.annotations[LAST_APPLIED] = SCRUBBED;
  }
  if (obj.kind === 'Secret') {
    for (const field of ['data', 'stringData']) {
      const data = obj[field];
      if (isRecord(data)) for (const key of Object.keys(data)) data[key] = SCRUBBED;
    }
  }
  const spec = obj.spec;
  if (!isRecord(spec)) return;
  scrubPodSpec(spec);
  if (isRecord(spec.template)) scrubPodSpec(spec.template.spec);
  const jobTemplate = spec.jobTemplate;
  if (isRecord(jobTemplate) && isRecord(jobTemplate.spec) && isRecord(jobTemplate.spec.template)) {
    scrubPodSpec(jobTemplate.spec.template.spec);
  }
}

/** Scrub every item of a List (or one object). */
export function scrubK8sFile(json: unknown): void {
  if (isRecord(json) && Array.isArray(json.items)) for (const item of json.items) scrubObject(item);
  else scrubObject(json);
}
