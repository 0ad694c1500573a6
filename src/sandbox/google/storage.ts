// Cloud Storage JSON API: bucket IAM (the guide grants roles on buckets), and objects as far as a report written
// to a bucket needs: the simple media upload (`POST /upload/storage/v1/b/BUCKET/o?uploadType=media&name=NAME`,
// storage.objects.create, and storage.objects.delete to replace an object) and reading one back
// (`GET /storage/v1/b/BUCKET/o/NAME`, `?alt=media` for its content; storage.objects.get). Objects live in memory
// for the sandbox's lifetime.

import { RouteTable, readBody, type SandboxRequest, type SandboxResponse } from '../http/router.js';
import type { Principal } from '../iam/principal.js';
import type { World } from '../world.js';
import { authenticate, renderPolicy, writePolicy } from './common.js';

function storageError(code: number, message: string, reason: string): SandboxResponse {
  return { status: code, json: { error: { code, message, errors: [{ message, domain: 'global', reason }] } } };
}

function bucketFor(
  world: World,
  req: SandboxRequest,
  permission: string,
): { ok: true; bucket: string; projectId: string; caller: Principal } | { ok: false; response: SandboxResponse } {
  const auth = authenticate(world, req);
  if (!auth.ok)
    return {
      ok: false,
      response: storageError(
        401,
        'Anonymous caller does not have storage.buckets.get access to the Google Cloud Storage bucket.',
        'required',
      ),
    };
  const name = req.params.bucket ?? '';
  const b = world.buckets.get(name);
  if (!b) return { ok: false, response: storageError(404, 'The specified bucket does not exist.', 'notFound') };
  if (!world.check(auth.principal, permission, world.bucketChain(name)).allowed) {
    const who = auth.principal.kind === 'ksa' ? 'Caller' : auth.principal.email;
    return {
      ok: false,
      response: storageError(
        403,
        `${who} does not have ${permission} access to the Google Cloud Storage bucket. Permission '${permission}' denied on resource (or it may not exist).`,
        'forbidden',
      ),
    };
  }
  return { ok: true, bucket: name, projectId: b.projectId, caller: auth.principal };
}

function storagePolicy(bucket: string, policy: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'storage#policy', resourceId: `projects/_/buckets/${bucket}`, ...policy };
}

interface StoredObject {
  data: Buffer;
  contentType: string;
  generation: number;
  updated: string;
}

function objectResource(bucket: string, name: string, o: StoredObject): Record<string, unknown> {
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${o.generation}`,
    name,
    bucket,
    generation: String(o.generation),
    contentType: o.contentType,
    size: String(o.data.length),
    timeCreated: o.updated,
    updated: o.updated,
  };
}

export function storageRoutes(world: World): RouteTable {
  const objects = new Map<string, StoredObject>();
  let generation = 1_700_000_000_000_000;
  return new RouteTable(
    [
      {
        method: 'POST',
        path: '/upload/storage/v1/b/{bucket}/o',
        handler: (req) => {
          const f = bucketFor(world, req, 'storage.objects.create');
          if (!f.ok) return f.response;
          // UNVERIFIED: the wording of these two 400s; the sandbox plays the simple media upload only.
          if (req.query.get('uploadType') !== 'media') {
            return storageError(400, 'The sandbox plays uploadType=media only.', 'invalid');
          }
          const name = req.query.get('name') ?? '';
          if (name === '') return storageError(400, 'Required parameter: name', 'required');
          const key = `${f.bucket}/${name}`;
          if (objects.has(key)) {
            const replace = bucketFor(world, req, 'storage.objects.delete');
            if (!replace.ok) return replace.response;
          }
          const stored: StoredObject = {
            data: req.body,
            contentType: req.headers['content-type'] ?? 'application/octet-stream',
            generation: ++generation,
            updated: new Date(world.now()).toISOString(),
          };
          objects.set(key, stored);
          return { status: 200, json: objectResource(f.bucket, name, stored) };
        },
      },
      {
        method: 'GET',
        path: '/storage/v1/b/{bucket}/o/{object=**}',
        handler: (req) => {
          const f = bucketFor(world, req, 'storage.objects.get');
          if (!f.ok) return f.response;
          const name = req.params.object ?? '';
          const o = objects.get(`${f.bucket}/${name}`);
          // UNVERIFIED: the wording of Cloud Storage's 404 for a missing object.
          if (o === undefined) return storageError(404, `No such object: ${f.bucket}/${name}`, 'notFound');
          if (req.query.get('alt') === 'media') {
            return { status: 200, headers: { 'Content-Type': o.contentType }, body: o.data };
          }
          return { status: 200, json: objectResource(f.bucket, name, o) };
        },
      },
      {
        method: 'GET',
        path: '/storage/v1/b/{bucket}/iam',
        handler: (req) => {
          const f = bucketFor(world, req, 'storage.buckets.getIamPolicy');
          if (!f.ok) return f.response;
          const v = Number(req.query.get('optionsRequestedPolicyVersion') ?? 1) || 1;
          return {
            status: 200,
            json: storagePolicy(f.bucket, { ...renderPolicy(world.policies.read(`buckets/${f.bucket}`), v) }),
          };
        },
      },
      {
        method: 'PUT',
        path: '/storage/v1/b/{bucket}/iam',
        handler: (req) => {
          const f = bucketFor(world, req, 'storage.buckets.setIamPolicy');
          if (!f.ok) return f.response;
          // The JSON API takes the policy as the body itself, not wrapped in {policy}.
          const wrapped = {
            ...req,
            body: Buffer.from(JSON.stringify({ policy: readBody(req) })),
            headers: { ...req.headers, 'content-type': 'application/json' },
          };
          const res = writePolicy(world, wrapped, {
            key: `buckets/${f.bucket}`,
            projectId: f.projectId,
            serviceName: 'storage.googleapis.com',
            methodName: 'storage.setIamPermissions',
            resourceName: `projects/_/buckets/${f.bucket}`,
            // UNVERIFIED: the bucket's location label; the sandbox does not model bucket locations.
            resource: {
              type: 'gcs_bucket',
              labels: { bucket_name: f.bucket, project_id: f.projectId, location: 'us' },
            },
            permission: 'storage.buckets.setIamPolicy',
            caller: f.caller,
          });
          return res.status === 200
            ? { status: 200, json: storagePolicy(f.bucket, res.json as Record<string, unknown>) }
            : res;
        },
      },
      {
        method: 'GET',
        path: '/storage/v1/b/{bucket}',
        handler: (req) => {
          const f = bucketFor(world, req, 'storage.buckets.get');
          if (!f.ok) return f.response;
          const p = world.project(f.projectId);
          return {
            status: 200,
            json: {
              kind: 'storage#bucket',
              id: f.bucket,
              name: f.bucket,
              projectNumber: p?.number,
              location: 'EU',
              storageClass: 'STANDARD',
              iamConfiguration: { uniformBucketLevelAccess: { enabled: true } },
            },
          };
        },
      },
    ],
    (req) => storageError(404, `The sandbox's storage API has no route for ${req.method} ${req.path}.`, 'notFound'),
  );
}
