// `--output gs://BUCKET/OBJECT`: the report uploaded to Cloud Storage instead of written to a file, so that a
// CronJob with a read-only root filesystem can keep its reports. One simple media upload through the Cloud
// Storage JSON API (`POST https://storage.googleapis.com/upload/storage/v1/b/BUCKET/o?uploadType=media&name=OBJECT`,
// the report as the body), with google-auth-library's authenticated request and the credentials every other
// Google call uses. It needs storage.objects.create on the bucket (roles/storage.objectCreator), and
// storage.objects.delete as well to replace an object of the same name: `gs://BUCKET/PREFIX/` names a new
// object per run instead.

import { UsageError } from '../engine/errors.js';
import type { GoogleCredentialOptions } from '../collect/live/credentials.js';
import { parseEndpointFlags, resolveEndpoints } from '../collect/live/endpoints.js';

export interface GcsTarget {
  bucket: string;
  object: string;
  /** `gs://BUCKET/OBJECT`, for messages. */
  uri: string;
}

// Bucket names: 3 to 63 characters of lower-case letters, digits, `-`, `_` and `.` (up to 222 with dots),
// starting and ending with a letter or digit.
const GCS = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])\/(.*)$/;

/**
 * The bucket and object of an `--output gs://…` value, or undefined for a local file. An object name ending in
 * `/` (or empty) is a prefix: the run's own name is added, `wi-doctor-YYYYMMDDTHHMMSSZ.EXT`.
 */
export function gcsTarget(output: string | undefined, extension: string, now = new Date()): GcsTarget | undefined {
  if (output === undefined || !output.startsWith('gs://')) return undefined;
  const m = GCS.exec(output);
  if (m === null) {
    throw new UsageError(
      `--output ${output}: expected gs://BUCKET/OBJECT, or gs://BUCKET/PREFIX/ for a new object per run`,
    );
  }
  const bucket = m[1] ?? '';
  let object = m[2] ?? '';
  if (object === '' || object.endsWith('/')) {
    const stamp = now
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replace(/[-:]/g, '');
    object = `${object}wi-doctor-${stamp}.${extension}`;
  }
  return { bucket, object, uri: `gs://${bucket}/${object}` };
}

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  sarif: 'application/sarif+json',
  html: 'text/html; charset=utf-8',
  markdown: 'text/markdown; charset=utf-8',
  text: 'text/plain; charset=utf-8',
};

/** The file extension a format's report gets in a generated object name. */
export function extensionOf(format: string): string {
  return format === 'markdown' ? 'md' : format === 'text' ? 'txt' : format;
}

/** Uploads the report; a refusal or a network failure is one line naming the object (exit 2). */
export async function uploadReport(
  target: GcsTarget,
  body: string,
  format: string,
  options: GoogleCredentialOptions & { endpoint?: string[]; timeout?: number },
  env: NodeJS.ProcessEnv,
): Promise<void> {
  // Loaded here, not with the module: its Google and Kubernetes client libraries (about 900 modules) would
  // otherwise load on every `check`, the many that read a bundle and write no report to Cloud Storage.
  const { googleCredentials } = await import('../collect/live/credentials.js');
  const credentials = googleCredentials(options, env);
  const base = resolveEndpoints(parseEndpointFlags(options.endpoint), env).storage;
  try {
    await credentials.client.request({
      url: `${base}upload/storage/v1/b/${encodeURIComponent(target.bucket)}/o`,
      method: 'POST',
      params: { uploadType: 'media', name: target.object },
      headers: { ...credentials.headers, 'content-type': CONTENT_TYPES[format] ?? 'application/octet-stream' },
      data: body,
      timeout: (options.timeout ?? 20) * 1000,
    });
  } catch (error) {
    throw new UsageError(`--output ${target.uri}: the upload failed (${describeFailure(error)})`);
  }
}

function describeFailure(error: unknown): string {
  const e = error as {
    status?: number;
    response?: { status?: number; data?: { error?: { message?: string } } };
    code?: string;
    message?: string;
  };
  const status = e.response?.status ?? e.status;
  const message = e.response?.data?.error?.message;
  if (status !== undefined) return `${status}${message !== undefined ? `: ${message}` : ''}`;
  return e.code ?? e.message ?? String(error);
}
