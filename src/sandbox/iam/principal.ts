// Who is calling, and which policy members name them. Written independently of src/model/identifiers.ts on
// purpose: the sandbox is a second opinion the tool's static model is tested against.

export type Principal =
  | { kind: 'user'; email: string }
  | { kind: 'serviceAccount'; email: string; uniqueId: string; projectId: string }
  | {
      kind: 'ksa';
      projectNumber: string;
      pool: string;
      namespace: string;
      name: string;
      uid: string;
      clusterUrl: string;
    };

const IAM = 'iam.googleapis.com';

export function poolPrefix(projectNumber: string, pool: string): string {
  return `//${IAM}/projects/${projectNumber}/locations/global/workloadIdentityPools/${pool}`;
}

export function ksaSubjectPrincipal(p: {
  projectNumber: string;
  pool: string;
  namespace: string;
  name: string;
}): string {
  return `principal:${poolPrefix(p.projectNumber, p.pool)}/subject/ns/${p.namespace}/sa/${p.name}`;
}

/** The members that grant something to this principal when they appear in a binding. */
export function matchingMembers(p: Principal): Set<string> {
  const out = new Set<string>(['allUsers', 'allAuthenticatedUsers']);
  switch (p.kind) {
    case 'user': {
      out.add(`user:${p.email.toLowerCase()}`);
      const domain = p.email.split('@')[1];
      if (domain) out.add(`domain:${domain.toLowerCase()}`);
      break;
    }
    case 'serviceAccount':
      out.add(`serviceAccount:${p.email.toLowerCase()}`);
      break;
    case 'ksa': {
      const prefix = poolPrefix(p.projectNumber, p.pool);
      out.add(`serviceAccount:${p.pool}[${p.namespace}/${p.name}]`);
      out.add(ksaSubjectPrincipal(p));
      out.add(`principal:${prefix}/kubernetes.serviceaccount.uid/${p.uid}`);
      out.add(`principalSet:${prefix}/namespace/${p.namespace}`);
      out.add(`principalSet:${prefix}/kubernetes.cluster/${p.clusterUrl}`);
      break;
    }
  }
  return out;
}

/** Members are compared with their email part lower-cased, as IAM stores them. */
export function normalizeMember(member: string): string {
  const m = /^(user|serviceAccount|group):([^[\]]+)$/.exec(member);
  return m ? `${m[1] ?? ''}:${(m[2] ?? '').toLowerCase()}` : member;
}

export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case 'user':
    case 'serviceAccount':
      return p.email;
    case 'ksa':
      return ksaSubjectPrincipal(p);
  }
}
