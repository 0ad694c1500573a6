// A disabled GSA rejects its existing tokens and every new token request (FACTS §1, §5.7). The API omits
// `disabled` when false, so a missing field means enabled. In the chain it comes after wi-binding: IAM checks the
// caller's permission on the account before its state, so a disabled account without a binding answers the
// binding's 403 first.

import { noAnnotationOutcome } from './lib/subject-principal.js';
import { need } from '../model/facts.js';
import { defineCheck } from './define.js';
import { serviceAccountResource } from './lib/gsa.js';

export default defineCheck({
  id: 'gsa-enabled',
  title: 'The annotated Google service account is enabled',
  failureTitle: 'The annotated Google service account is disabled',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 102,
  requires: ['serviceAccount', 'projectServiceAccounts'],
  run({ facts, target }) {
    const subject = target.subject;
    if (subject.model === 'direct') {
      return noAnnotationOutcome(subject, 'there is no GSA to check');
    }
    const email = subject.gsaEmail;
    if (email === undefined) {
      return { status: 'skip', cause: 'the annotation value is no service-account email (see ksa-annotation)' };
    }
    const account = facts.serviceAccount(email);
    const location = serviceAccountResource(email);
    if (account.status === 'absent') {
      return { status: 'skip', cause: `the account \`${email}\` does not exist (see gsa-exists)`, location };
    }
    const sa = need(account);
    if (sa.disabled === true) {
      return {
        status: 'fail',
        cause: `GSA \`${email}\` is disabled: Google rejects its tokens and refuses to mint new ones`,
        evidence: { expected: { disabled: false }, actual: { disabled: true } },
        fix: [
          {
            action: 'enable-service-account',
            target: location,
            params: {},
            description: `Enable \`${email}\` (if it was disabled to revoke access on purpose, annotate the KSA with another GSA instead).`,
          },
        ],
        location,
      };
    }
    return {
      status: 'pass',
      cause: `GSA \`${email}\` is enabled`,
      evidence: { actual: { disabled: false } },
      location,
    };
  },
});
