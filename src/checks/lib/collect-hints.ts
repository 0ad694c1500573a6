// What to collect when a policy could not be read: the bundle file and the command that makes it
// (BUNDLE.md). Checks never import the collectors, so the few forms they need are spelled here.

const SA = /^projects\/-\/serviceAccounts\/(.+)$/;
const PROJECT = /^projects\/([^/]+)$/;
const ANCESTOR = /^(folders|organizations)\/([^/]+)$/;

const BUCKET = /^\/\/storage\.googleapis\.com\/projects\/_\/buckets\/([^/]+)$/;

/** The gcloud command that reads the policy of `resource`; undefined for resources of other services. */
export function policyReadCommand(resource: string): string | undefined {
  const sa = SA.exec(resource);
  if (sa?.[1] !== undefined) return `gcloud iam service-accounts get-iam-policy ${sa[1]} --format=json`;
  const project = PROJECT.exec(resource);
  if (project?.[1] !== undefined) return `gcloud projects get-iam-policy ${project[1]} --format=json`;
  const ancestor = ANCESTOR.exec(resource);
  if (ancestor?.[1] !== undefined && ancestor[2] !== undefined) {
    const command = ancestor[1] === 'folders' ? 'resource-manager folders' : 'organizations';
    return `gcloud ${command} get-iam-policy ${ancestor[2]} --format=json`;
  }
  const bucket = BUCKET.exec(resource);
  if (bucket?.[1] !== undefined) return `gcloud storage buckets get-iam-policy gs://${bucket[1]} --format=json`;
  return undefined;
}

/** The bundle file that holds the policy of `resource`. */
function policyFile(resource: string): string {
  const sa = SA.exec(resource);
  if (sa?.[1] !== undefined) return `gcp/service-accounts/${sa[1]}.iam-policy.json`;
  const project = PROJECT.exec(resource);
  if (project?.[1] !== undefined) return `gcp/projects/${project[1]}.iam-policy.json`;
  const ancestor = ANCESTOR.exec(resource);
  if (ancestor?.[1] !== undefined && ancestor[2] !== undefined)
    return `gcp/${ancestor[1]}/${ancestor[2]}.iam-policy.json`;
  return `gcp/resources/ANY.json with {"resource": "${resource}", "policy": …}`;
}

/** One line: the file of the bundle and the command that writes it, for the policy of `resource`. */
export function policyCollectHint(resource: string): string {
  return `${policyFile(resource)} (${policyReadCommand(resource) ?? `the service's get-iam-policy for ${resource}`})`;
}

/** For an unreadable service account: the project list proves absence where describe answers 403. */
export function serviceAccountListHint(project: string): string {
  return `gcp/projects/${project}.service-accounts.json (gcloud iam service-accounts list --project ${project} --format=json)`;
}

const CUSTOM_ROLE = /^(projects|organizations)\/([^/]+)\/roles\/([^/]+)$/;

/** For a role whose permissions could not be resolved: the custom role's file, or a spelling hint. */
export function roleCollectHint(role: string): string {
  const m = CUSTOM_ROLE.exec(role);
  if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined) {
    return `role \`${role}\` is not in the predefined catalog: check its spelling (gcloud iam roles describe ${role})`;
  }
  const flag = m[1] === 'projects' ? '--project' : '--organization';
  return `gcp/roles/${role.replaceAll('/', '~')}.json (gcloud iam roles describe ${m[3]} ${flag} ${m[2]} --format=json)`;
}
