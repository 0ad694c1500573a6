// The create-only endpoints: TokenRequest (`kubectl create token`), SelfSubjectAccessReview (`kubectl auth
// can-i`), SelfSubjectRulesReview (`can-i --list`), SelfSubjectReview (`kubectl auth whoami`) and TokenReview.
// Tokens carry the GKE issuer (`https://container.googleapis.com/v1/projects/P/locations/L/clusters/C`) and
// are signed with the cluster's key, whose JWKS the sandbox serves at the API server and at the container API.
// The sandbox plays no RBAC: every authenticated request is allowed.

import { importJWK, jwtVerify, SignJWT } from 'jose';
import type { Pod, ServiceAccountObject } from '../../model/k8s/types.js';
import { kubeNotFound, kubeStatus } from '../http/errors.js';
import type { SandboxRequest, SandboxResponse } from '../http/router.js';
import type { ClusterState, World } from '../world.js';
import { decodeObjectBody, warningHeader } from './body.js';
import { arr, at, num, obj, str } from './json.js';
import { kubeTime } from './managed-fields.js';

/** The user a request authenticates as: its bearer token's caller, else the sandbox's admin (kubectl over HTTP). */
export function userOf(world: World, req: SandboxRequest): { username: string; groups: string[] } {
  const header = req.headers.authorization;
  const token = header !== undefined ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  const caller = token !== undefined ? world.callers.get(token) : [...world.callers.values()][0];
  const identity = caller?.identity ?? 'user:admin@example.com';
  const username = identity.replace(/^(user|serviceAccount):/, '');
  return { username, groups: ['system:authenticated'] };
}

/** A service-account token as the cluster issues it (GKE issuer, the cluster's key), bound to a pod if given. */
export async function mintKsaToken(
  world: World,
  cluster: ClusterState,
  sa: ServiceAccountObject,
  audiences: string[],
  expirationSeconds: number,
  pod?: Pod,
): Promise<{ token: string; exp: number }> {
  const ns = sa.metadata.namespace ?? 'default';
  const name = sa.metadata.name;
  const iat = Math.floor(world.now() / 1000);
  const k8s: Record<string, unknown> = { namespace: ns, serviceaccount: { name, uid: sa.metadata.uid } };
  if (pod) {
    k8s.pod = { name: pod.metadata.name, uid: pod.metadata.uid };
    const node = pod.spec.nodeName ? cluster.store.get('nodes', undefined, pod.spec.nodeName) : undefined;
    if (node) k8s.node = { name: node.metadata.name, uid: node.metadata.uid };
  }
  const key = await cluster.key;
  const token = await new SignJWT({ 'kubernetes.io': k8s })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setIssuer(cluster.tokenIssuer)
    .setSubject(`system:serviceaccount:${ns}:${name}`)
    .setAudience(audiences)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + expirationSeconds)
    .setJti(world.prng.uuid())
    .sign(key.privateKey);
  return { token, exp: iat + expirationSeconds };
}

const TOKEN_REQUEST = { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' };

export function tokenRequest(world: World, cluster: ClusterState) {
  return async (req: SandboxRequest): Promise<SandboxResponse> => {
    const ns = req.params.ns ?? '';
    const name = req.params.name ?? '';
    const decoded = decodeObjectBody(req, TOKEN_REQUEST);
    if (!decoded.ok) return decoded.response;
    const sa = cluster.store.get<ServiceAccountObject>('serviceaccounts', ns, name);
    if (!sa) return kubeNotFound('serviceaccounts', name);
    const spec = obj(decoded.obj.spec);
    const requested = arr(spec.audiences)
      .map(str)
      .filter((a) => a !== '');
    const audiences = requested.length > 0 ? requested : [cluster.tokenIssuer];
    const expirationSeconds = spec.expirationSeconds === undefined ? 3600 : num(spec.expirationSeconds);
    if (expirationSeconds < 600) {
      return kubeStatus(
        422,
        'Invalid',
        `TokenRequest.authentication.k8s.io "${name}" is invalid: spec.expirationSeconds: Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`,
        {
          name,
          group: 'authentication.k8s.io',
          kind: 'TokenRequest',
          causes: [
            {
              reason: 'FieldValueInvalid',
              message: `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`,
              field: 'spec.expirationSeconds',
            },
          ],
        },
      );
    }
    const ref = obj(spec.boundObjectRef);
    let pod: Pod | undefined;
    if (str(ref.kind) === 'Pod' && str(ref.name) !== '') {
      pod = cluster.store.get<Pod>('pods', ns, str(ref.name));
      if (!pod) return kubeNotFound('pods', str(ref.name));
      if (str(ref.uid) !== '' && str(ref.uid) !== pod.metadata.uid)
        return kubeStatus(
          409,
          'Conflict',
          `Operation cannot be fulfilled on pods "${pod.metadata.name}": the UID in the bound object reference (${str(ref.uid)}) does not match the UID in record. The object might have been deleted and then recreated`,
        );
    }
    const { token, exp } = await mintKsaToken(world, cluster, sa, audiences, expirationSeconds, pod);
    return {
      status: 201,
      headers: warningHeader(decoded.warnings),
      json: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name, namespace: ns, creationTimestamp: null },
        spec: {
          audiences,
          expirationSeconds,
          boundObjectRef: Object.keys(ref).length > 0 ? ref : null,
        },
        status: { token, expirationTimestamp: kubeTime(exp * 1000) },
      },
    };
  };
}

export function selfSubjectAccessReview(req: SandboxRequest): SandboxResponse {
  const decoded = decodeObjectBody(req, {
    group: 'authorization.k8s.io',
    version: 'v1',
    kind: 'SelfSubjectAccessReview',
  });
  if (!decoded.ok) return decoded.response;
  const spec = obj(decoded.obj.spec);
  if (at(spec, 'resourceAttributes') === undefined && at(spec, 'nonResourceAttributes') === undefined)
    return kubeStatus(
      422,
      'Invalid',
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  return {
    status: 201,
    json: {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed: true },
    },
  };
}

export function selfSubjectRulesReview(req: SandboxRequest): SandboxResponse {
  const decoded = decodeObjectBody(req, {
    group: 'authorization.k8s.io',
    version: 'v1',
    kind: 'SelfSubjectRulesReview',
  });
  if (!decoded.ok) return decoded.response;
  return {
    status: 201,
    json: {
      kind: 'SelfSubjectRulesReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: obj(decoded.obj.spec),
      status: {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      },
    },
  };
}

export function selfSubjectReview(world: World) {
  return (req: SandboxRequest): SandboxResponse => {
    const decoded = decodeObjectBody(req, { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview' });
    if (!decoded.ok) return decoded.response;
    const user = userOf(world, req);
    return {
      status: 201,
      json: {
        kind: 'SelfSubjectReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: kubeTime(world.now()) },
        status: { userInfo: { username: user.username, groups: user.groups } },
      },
    };
  };
}

export function tokenReview(cluster: ClusterState) {
  return async (req: SandboxRequest): Promise<SandboxResponse> => {
    const decoded = decodeObjectBody(req, { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview' });
    if (!decoded.ok) return decoded.response;
    const spec = obj(decoded.obj.spec);
    const wanted = arr(spec.audiences).map(str);
    const base = {
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
    };
    try {
      const key = await importJWK((await cluster.key).publicJwk, 'RS256');
      const { payload } = await jwtVerify(str(spec.token), key, {
        issuer: cluster.tokenIssuer,
        ...(wanted.length > 0 ? { audience: wanted } : { audience: cluster.tokenIssuer }),
      });
      const k8s = obj(payload['kubernetes.io']);
      const ns = str(k8s.namespace);
      const sa = obj(k8s.serviceaccount);
      const pod = obj(k8s.pod);
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud ?? ''];
      const extra: Record<string, string[]> = {};
      if (str(pod.name) !== '') {
        extra['authentication.kubernetes.io/pod-name'] = [str(pod.name)];
        extra['authentication.kubernetes.io/pod-uid'] = [str(pod.uid)];
      }
      return {
        status: 201,
        json: {
          ...base,
          status: {
            authenticated: true,
            user: {
              username: payload.sub,
              uid: str(sa.uid),
              groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
              extra,
            },
            audiences: wanted.length > 0 ? wanted.filter((a) => aud.includes(a)) : aud,
          },
        },
      };
    } catch {
      return {
        status: 201,
        json: { ...base, status: { user: {}, error: '[invalid bearer token, token lookup failed]' } },
      };
    }
  };
}
