// Renderers for the fixes the audit checks need: deleting a user-managed key, turning Data Access audit logs on.

import type { FixPlan } from '../../model/results.js';
import { attr, block, renderHcl, resourceName } from './hcl.js';
import { flag, shellArg, singleQuote } from './shell.js';
import { parseProject, parseServiceAccountTarget } from './targets.js';
import { param } from './types.js';
import type { Rendered } from './types.js';

export function deleteServiceAccountKey(plan: FixPlan): Rendered {
  const sa = parseServiceAccountTarget(plan.action, plan.target);
  const keyId = param(plan, 'keyId');
  return {
    gcloud: `gcloud iam service-accounts keys delete ${shellArg(keyId)} ${flag('iam-account', sa.email)}`,
    kubectl: null,
    terraform: null,
    note: 'A key created by Terraform is a google_service_account_key resource: remove that resource instead.',
  };
}

/**
 * Adds `{logType}` to the audit config of `service`, creating the config if needed, and keeps every other audit
 * config, binding and the etag (so a concurrent change makes set-iam-policy fail rather than be overwritten).
 */
const JQ_ADD_AUDIT_LOG =
  '.auditConfigs = ((.auditConfigs // []) as $c | if any($c[]; .service == $service) ' +
  'then [$c[] | if .service == $service then .auditLogConfigs = (((.auditLogConfigs // []) + [{logType: $type}]) | unique_by(.logType)) else . end] ' +
  'else $c + [{service: $service, auditLogConfigs: [{logType: $type}]}] end)';

export function enableAuditLogs(plan: FixPlan): Rendered {
  const project = parseProject(plan.action, plan.target);
  const service = param(plan, 'service');
  const logType = param(plan, 'logType');
  return {
    gcloud: [
      `gcloud projects get-iam-policy ${shellArg(project)} --format=json > policy.json`,
      `jq --arg service ${shellArg(service)} --arg type ${shellArg(logType)} ${singleQuote(JQ_ADD_AUDIT_LOG)} policy.json > policy-audit.json`,
      `gcloud projects set-iam-policy ${shellArg(project)} policy-audit.json`,
    ].join('\n'),
    kubectl: null,
    terraform: renderHcl([
      block(
        'resource',
        ['google_project_iam_audit_config', resourceName(project, service.split('.')[0] ?? service)],
        [
          attr('project', project),
          attr('service', service),
          block('audit_log_config', [], [attr('log_type', logType)]),
        ],
      ),
    ]),
    note: `Data Access logs are billed as log volume. The Terraform resource owns every log type of ${service} on the project: list the ones already on there too.`,
  };
}
