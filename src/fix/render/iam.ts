// Renderers for IAM policy bindings and service-account lifecycle actions.

import type { FixPlan } from '../../model/results.js';
import { attr, block, comment, renderHcl, resourceName } from './hcl.js';
import type { HclItem } from './hcl.js';
import { flag, shellArg, singleQuote } from './shell.js';
import { FixPlanError, parseIamResource, parseProject, parseServiceAccountTarget } from './targets.js';
import type { IamResource } from './targets.js';
import { optionalParam, param } from './types.js';
import type { Rendered } from './types.js';

interface Condition {
  expression: string;
  title: string;
}

function conditionOf(plan: FixPlan): Condition | undefined {
  const expression = optionalParam(plan, 'conditionExpression');
  const title = optionalParam(plan, 'conditionTitle');
  if (expression === undefined && title === undefined) return undefined;
  // IAM rejects a condition without both; a plan with half of one is a bug in the check.
  if (expression === undefined || title === undefined) {
    throw new FixPlanError(plan.action, plan.target, 'conditionExpression and conditionTitle go together');
  }
  return { expression, title };
}

/**
 * gcloud splits `--condition` on commas; CEL often contains them, so pick another delimiter with
 * gcloud's `^DELIM^` escape (`gcloud topic escaping`) when needed.
 */
export function gcloudCondition(condition: Condition): string {
  const text = (delimiter: string): string => `expression=${condition.expression}${delimiter}title=${condition.title}`;
  const needsEscape = `${condition.expression}${condition.title}`;
  if (!needsEscape.includes(',')) return `--condition=${singleQuote(text(','))}`;
  const delimiter = [';', '|', '#', '~', '@@'].find((d) => !needsEscape.includes(d)) ?? '@@@';
  return `--condition=${singleQuote(`^${delimiter}^${text(delimiter)}`)}`;
}

/** A short name for the member in a Terraform resource name: `shop_cart` for a KSA, the local part of an email. */
function memberShortName(member: string): string {
  const ksa = /\[([^/\]]+)\/([^\]]+)\]$/.exec(member) ?? /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(member);
  if (ksa?.[1] !== undefined && ksa[2] !== undefined) return `${ksa[1]}_${ksa[2]}`;
  const value = member.slice(member.indexOf(':') + 1);
  const email = /^([^@]+)@/.exec(value);
  if (email?.[1] !== undefined) return email[1];
  return value.split('/').filter(Boolean).pop() ?? value;
}

function resourceShortName(resource: IamResource): string {
  switch (resource.type) {
    case 'serviceAccount':
      return resource.email.split('@')[0] ?? resource.email;
    case 'project':
      return resource.project;
    case 'folder':
      return `folder_${resource.id}`;
    case 'organization':
      return `org_${resource.id}`;
    case 'bucket':
      return resource.bucket;
    case 'other':
      return resource.fullName;
  }
}

function gcloudIamPrefix(resource: IamResource, verb: 'add' | 'remove'): { head: string; tail: string[] } | null {
  const command = `${verb}-iam-policy-binding`;
  switch (resource.type) {
    case 'serviceAccount':
      return {
        head: `gcloud iam service-accounts ${command} ${shellArg(resource.email)}`,
        tail: resource.project === undefined ? [] : [flag('project', resource.project)],
      };
    case 'project':
      return { head: `gcloud projects ${command} ${shellArg(resource.project)}`, tail: [] };
    case 'folder':
      return { head: `gcloud resource-manager folders ${command} ${resource.id}`, tail: [] };
    case 'organization':
      return { head: `gcloud organizations ${command} ${resource.id}`, tail: [] };
    case 'bucket':
      return { head: `gcloud storage buckets ${command} ${shellArg(`gs://${resource.bucket}`)}`, tail: [] };
    case 'other':
      return null;
  }
}

function terraformIamMember(resource: IamResource): { type: string; target: HclItem } | null {
  switch (resource.type) {
    case 'serviceAccount':
      return {
        type: 'google_service_account_iam_member',
        target: attr('service_account_id', `projects/${resource.project ?? '-'}/serviceAccounts/${resource.email}`),
      };
    case 'project':
      return { type: 'google_project_iam_member', target: attr('project', resource.project) };
    case 'folder':
      return { type: 'google_folder_iam_member', target: attr('folder', `folders/${resource.id}`) };
    case 'organization':
      return { type: 'google_organization_iam_member', target: attr('org_id', resource.id) };
    case 'bucket':
      return { type: 'google_storage_bucket_iam_member', target: attr('bucket', resource.bucket) };
    case 'other':
      return null;
  }
}

function iamBinding(plan: FixPlan, verb: 'add' | 'remove'): Rendered {
  const resource = parseIamResource(plan.action, plan.target);
  const role = param(plan, 'role');
  const member = param(plan, 'member');
  const condition = conditionOf(plan);

  const prefix = gcloudIamPrefix(resource, verb);
  const gcloud =
    prefix === null
      ? null
      : [
          prefix.head,
          flag('role', role),
          // Always quoted: legacy Workload Identity members contain brackets, which the shell would glob.
          `--member=${singleQuote(member)}`,
          ...(condition === undefined ? [] : [gcloudCondition(condition)]),
          ...prefix.tail,
        ].join(' ');

  const tf = verb === 'add' ? terraformIamMember(resource) : null;
  const terraform =
    tf === null
      ? null
      : renderHcl([
          block(
            'resource',
            [
              tf.type,
              resourceName(resourceShortName(resource), role.split(/[/.]/).pop() ?? role, memberShortName(member)),
            ],
            [
              tf.target,
              attr('role', role),
              attr('member', member),
              ...(condition === undefined
                ? []
                : [block('condition', [], [attr('title', condition.title), attr('expression', condition.expression)])]),
            ],
          ),
        ]);

  if (resource.type === 'other') {
    return {
      gcloud,
      kubectl: null,
      terraform,
      note: `No command is generated for ${resource.fullName}: ${verb === 'add' ? 'grant' : 'remove'} ${role} ${verb === 'add' ? 'to' : 'from'} ${member} on that resource with its own service's IAM command or console page.`,
    };
  }
  return { gcloud, kubectl: null, terraform };
}

export const addIamBinding = (plan: FixPlan): Rendered => iamBinding(plan, 'add');
export const removeIamMember = (plan: FixPlan): Rendered => iamBinding(plan, 'remove');

export function enableService(plan: FixPlan): Rendered {
  const project = parseProject(plan.action, plan.target);
  const service = param(plan, 'service');
  return {
    gcloud: `gcloud services enable ${shellArg(service)} ${flag('project', project)}`,
    kubectl: null,
    terraform: renderHcl([
      block(
        'resource',
        ['google_project_service', resourceName(project, service.split('.')[0] ?? service)],
        [attr('project', project), attr('service', service)],
      ),
    ]),
  };
}

function projectFlag(project: string | undefined): string {
  return project === undefined ? '' : ` ${flag('project', project)}`;
}

export function enableServiceAccount(plan: FixPlan): Rendered {
  const sa = parseServiceAccountTarget(plan.action, plan.target);
  return {
    gcloud: `gcloud iam service-accounts enable ${shellArg(sa.email)}${projectFlag(sa.project)}`,
    kubectl: null,
    terraform: renderHcl([
      comment(`In the resource "google_service_account" of ${sa.email}:`),
      attr('disabled', false),
    ]),
  };
}

export function undeleteServiceAccount(plan: FixPlan): Rendered {
  const sa = parseServiceAccountTarget(plan.action, plan.target);
  const uniqueId = param(plan, 'uniqueId');
  return {
    // undelete takes the numeric unique id: the email of a deleted account no longer resolves.
    gcloud: `gcloud iam service-accounts undelete ${shellArg(uniqueId)}`,
    kubectl: null,
    terraform: null,
    note: `Undeleting restores ${sa.email} (unique id ${uniqueId}) only within 30 days of its deletion; Terraform cannot undelete.`,
  };
}

export function createServiceAccount(plan: FixPlan): Rendered {
  parseServiceAccountTarget(plan.action, plan.target); // validates the target's shape
  const accountId = param(plan, 'accountId');
  const project = param(plan, 'project');
  return {
    gcloud: `gcloud iam service-accounts create ${shellArg(accountId)} ${flag('project', project)}`,
    kubectl: null,
    terraform: renderHcl([
      block(
        'resource',
        ['google_service_account', resourceName(accountId)],
        [attr('project', project), attr('account_id', accountId)],
      ),
    ]),
  };
}
