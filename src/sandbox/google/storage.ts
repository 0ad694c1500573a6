// Cloud Storage JSON API, bucket IAM only (the guide grants roles on buckets).

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

export function storageRoutes(world: World): RouteTable {
  return new RouteTable(
    [
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
