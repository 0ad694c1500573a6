// target-permission: testIamPermissions with the pod's own token, where the API has one the probe knows:
// projects (CRM v1 `:testIamPermissions`) and buckets (storage `b/B/iam/testPermissions`).

import { googleErrorText, request } from './http.js';
import type { ProbeOptions, ProbeStep } from './types.js';

type Target = { kind: 'project'; id: string } | { kind: 'bucket'; name: string } | { kind: 'unsupported' };

export function permissionTarget(resource: string): Target {
  const project = /^(?:\/\/cloudresourcemanager\.googleapis\.com\/)?projects\/([^/]+)$/.exec(resource);
  if (project) return { kind: 'project', id: project[1] ?? '' };
  const bucket = /^(?:\/\/storage\.googleapis\.com\/)?projects\/_\/buckets\/([^/]+)$/.exec(resource);
  if (bucket) return { kind: 'bucket', name: bucket[1] ?? '' };
  return { kind: 'unsupported' };
}

export async function permissionStep(o: ProbeOptions, token: string | undefined): Promise<ProbeStep> {
  const base = { check: 'target-permission' as const, step: 'test-permissions' };
  if (o.on === undefined || o.need.length === 0)
    return { ...base, status: 'skip', message: 'no --need PERMISSION --on RESOURCE given', ms: 0 };
  const roles = o.need.filter((p) => p.startsWith('roles/') || p.includes('/roles/'));
  const perms = o.need.filter((p) => !roles.includes(p));
  if (perms.length === 0)
    return {
      ...base,
      status: 'unknown',
      message: `the probe tests permissions, not roles (${roles.join(', ')}): name the permissions (wi-doctor check --need expands roles)`,
      ms: 0,
    };
  if (token === undefined)
    return { ...base, status: 'unknown', message: 'not tried: the pod got no access token', ms: 0 };
  const target = permissionTarget(o.on);
  if (target.kind === 'unsupported')
    return {
      ...base,
      status: 'unknown',
      message: `the probe can test permissions on projects and buckets only, not ${o.on}; wi-doctor check --need … --on … evaluates the policy instead`,
      ms: 0,
    };
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const out =
    target.kind === 'project'
      ? await request({
          url: `${o.crmUrl}/v1/projects/${encodeURIComponent(target.id)}:testIamPermissions`,
          method: 'POST',
          headers,
          body: JSON.stringify({ permissions: perms }),
          timeoutMs: o.timeoutMs,
        })
      : await request({
          url: `${o.storageUrl}/storage/v1/b/${encodeURIComponent(target.name)}/iam/testPermissions?${perms.map((p) => `permissions=${encodeURIComponent(p)}`).join('&')}`,
          headers,
          timeoutMs: o.timeoutMs,
        });
  if (!out.ok || out.status !== 200) {
    const why = out.ok ? `HTTP ${out.status}: ${googleErrorText(out.body)}` : `${out.code}: ${out.message}`;
    return {
      ...base,
      status: 'unknown',
      message: `testIamPermissions on ${o.on} did not answer: ${why}`,
      ms: out.ms,
      evidence: { resource: o.on },
    };
  }
  let granted: string[] = [];
  try {
    const p = (JSON.parse(out.body) as { permissions?: unknown }).permissions;
    granted = Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return {
      ...base,
      status: 'unknown',
      message: 'testIamPermissions answered with something that is not JSON',
      ms: out.ms,
    };
  }
  const missing = perms.filter((p) => !granted.includes(p));
  const rolesNote = roles.length > 0 ? ` (roles not tested: ${roles.join(', ')})` : '';
  return {
    ...base,
    status: missing.length > 0 ? 'fail' : roles.length > 0 ? 'unknown' : 'pass',
    message:
      missing.length > 0
        ? `the pod's identity lacks ${missing.join(', ')} on ${o.on}${rolesNote}`
        : `the pod's identity has ${perms.join(', ')} on ${o.on}${rolesNote}`,
    ms: out.ms,
    evidence: { resource: o.on, expected: perms, actual: granted, ...(missing.length > 0 ? { missing } : {}) },
  };
}
