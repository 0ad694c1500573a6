// Without ADMIN_READ Data Access logs for `iam.googleapis.com` (or `allServices`), GenerateAccessToken leaves no
// trace: nobody can tell which pod minted tokens for which GSA, or prove an account unused. Checked on every
// project of the audit (the GSAs' projects log the token generation). A grant made on a folder or the organization
// applies too: readable ones count; unreadable ones are named, since they may enable the logs invisibly.

import { adminReadState, IAM_SERVICE } from '../model/audit-config.js';
import { defineCheck } from './define.js';
import { policyCollectHint } from './lib/collect-hints.js';

export default defineCheck({
  id: 'admin-read-audit-logs',
  title: 'ADMIN_READ audit logs are on for IAM (token generation is logged)',
  failureTitle: 'ADMIN_READ audit logs are off for IAM: token generation leaves no trace',
  group: 'audit',
  scope: 'project',
  chainOrder: 909,
  requires: ['projectPolicy', 'ancestorPolicies'],
  run({ facts, target }) {
    const project = target.project;
    const policy = facts.projectPolicy(project);
    if (policy.status !== 'present') {
      return {
        status: 'unknown',
        cause: `the policy of project \`${project}\` could not be read (${policy.message}), so its audit configs are unknown`,
        missing: [policyCollectHint(`projects/${project}`)],
      };
    }
    const own = adminReadState(policy.value);
    const exemptNote = (members: readonly string[]) =>
      members.length > 0 ? [`exempted from logging: ${members.map((m) => `\`${m}\``).join(', ')}`] : [];
    if (own.on) {
      return {
        status: 'pass',
        cause: `ADMIN_READ is on for \`${own.via ?? IAM_SERVICE}\` in project \`${project}\`: GenerateAccessToken is logged`,
        ...(own.exemptedMembers.length > 0 ? { evidence: { notes: exemptNote(own.exemptedMembers) } } : {}),
      };
    }
    const inherited = facts.ancestorPolicies.find(
      (a) => a.policy.status === 'present' && adminReadState(a.policy.value).on,
    );
    if (inherited !== undefined && inherited.policy.status === 'present') {
      const state = adminReadState(inherited.policy.value);
      return {
        status: 'pass',
        cause: `ADMIN_READ is on for \`${state.via ?? IAM_SERVICE}\` in the policy of \`${inherited.resource}\`, which project \`${project}\` inherits`,
        ...(state.exemptedMembers.length > 0 ? { evidence: { notes: exemptNote(state.exemptedMembers) } } : {}),
      };
    }
    const unreadAncestors = facts.ancestorPolicies.filter((a) => a.policy.status !== 'present');
    const notes = [
      ...(own.otherTypesOnly.length > 0
        ? [
            `${own.otherTypesOnly.join(' and ')} ${own.otherTypesOnly.length === 1 ? 'is' : 'are'} on, but only ADMIN_READ records token generation`,
          ]
        : []),
      facts.ancestorPolicies.length === 0
        ? 'folder and organization audit configs were not collected: one of them may turn the logs on without it showing here'
        : unreadAncestors.length > 0
          ? `not readable, so not known to leave them off: ${unreadAncestors.map((a) => `\`${a.resource}\``).join(', ')}`
          : `the collected folder and organization policies leave them off too (${facts.ancestorPolicies.map((a) => `\`${a.resource}\``).join(', ')})`,
    ];
    return {
      status: 'warn',
      cause:
        `ADMIN_READ Data Access logs are off for \`${IAM_SERVICE}\` in project \`${project}\`` +
        (facts.ancestorPolicies.length === 0 || unreadAncestors.length > 0
          ? ' (as far as the project policy shows)'
          : '') +
        ': GenerateAccessToken leaves no trace, and "no log entries" proves nothing',
      evidence: {
        expected: { service: `${IAM_SERVICE} or allServices`, auditLogConfigs: [{ logType: 'ADMIN_READ' }] },
        actual: policy.value.auditConfigs ?? 'no auditConfigs',
        notes,
      },
      fix: [
        {
          action: 'enable-audit-logs',
          target: `projects/${project}`,
          params: { service: IAM_SERVICE, logType: 'ADMIN_READ' },
          description: `Turn on ADMIN_READ Data Access logs for \`${IAM_SERVICE}\` in project \`${project}\`.`,
        },
      ],
      location: `//cloudresourcemanager.googleapis.com/projects/${project}`,
    };
  },
});
