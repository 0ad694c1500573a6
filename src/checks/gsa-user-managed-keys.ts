// Workload Identity exists so that no key file is needed: a GSA used through it that also has user-managed keys
// keeps a long-lived secret in circulation (and a pod may use it instead: see credential-override). Google-managed
// (SYSTEM_MANAGED) keys are Google's own and never leave Google: they are no finding. An active user key fails; a
// disabled one (which can be enabled again) warns; an expired one is noted only. The key id is shown, never a key.

import type { ServiceAccountKey } from '../model/gcp.js';
import { need } from '../model/facts.js';
import type { FixPlan } from '../model/results.js';
import { defineCheck } from './define.js';
import { missingGsaOutcome } from './lib/audit.js';
import { listNames } from './lib/fixes.js';
import { serviceAccountResource } from './lib/gsa.js';

/** The key id: the last segment of `projects/P/serviceAccounts/EMAIL/keys/KEY_ID`. */
function keyIdOf(key: ServiceAccountKey): string {
  return key.name.slice(key.name.lastIndexOf('/') + 1);
}

function describeKey(key: ServiceAccountKey): Record<string, string> {
  return {
    keyId: keyIdOf(key),
    ...(key.keyType !== undefined ? { keyType: key.keyType } : {}),
    ...(key.validAfterTime !== undefined ? { validAfterTime: key.validAfterTime } : {}),
    ...(key.validBeforeTime !== undefined ? { validBeforeTime: key.validBeforeTime } : {}),
    ...(key.disabled === true ? { disabled: 'true' } : {}),
  };
}

export default defineCheck({
  id: 'gsa-user-managed-keys',
  title: 'Workload Identity GSAs have no user-managed keys',
  failureTitle: 'A Workload Identity GSA also has user-managed keys',
  group: 'audit',
  scope: 'gsa',
  chainOrder: 903,
  requires: ['serviceAccountKeys', 'serviceAccount'],
  run({ facts, target }) {
    const gsa = target.email;
    const missing = missingGsaOutcome(facts, gsa);
    if (missing) return missing;
    const all = need(facts.serviceAccountKeys(gsa)).filter(
      (k): k is ServiceAccountKey => typeof k === 'object' && k !== null && typeof k.name === 'string',
    );
    // The collection asks for USER_MANAGED keys only; a key without a type in such a list is one of them.
    const systemManaged = all.filter((k) => k.keyType === 'SYSTEM_MANAGED');
    const userKeys = all.filter((k) => k.keyType !== 'SYSTEM_MANAGED');
    const expired = userKeys.filter(
      (k) => k.validBeforeTime !== undefined && Date.parse(k.validBeforeTime) <= facts.now.getTime(),
    );
    const live = userKeys.filter((k) => !expired.includes(k));
    const active = live.filter((k) => k.disabled !== true);
    const disabled = live.filter((k) => k.disabled === true);
    const notes = [
      ...(systemManaged.length > 0
        ? [
            `${systemManaged.length} Google-managed (SYSTEM_MANAGED) key${systemManaged.length === 1 ? '' : 's'}: Google's own, never downloadable, not counted`,
          ]
        : []),
      ...expired.map((k) => `key \`${keyIdOf(k)}\` expired on ${k.validBeforeTime ?? ''}: it no longer signs in`),
    ];
    if (live.length === 0) {
      return {
        status: 'pass',
        cause: `GSA \`${gsa}\` has no usable user-managed key`,
        ...(notes.length > 0 ? { evidence: { notes } } : {}),
      };
    }
    const fix: FixPlan[] = live.map((k) => ({
      action: 'delete-service-account-key',
      target: serviceAccountResource(gsa),
      params: { keyId: keyIdOf(k) },
      description: `Delete user-managed key \`${keyIdOf(k)}\` of \`${gsa}\` once nothing uses it (check that no pod mounts it: credential-override).`,
    }));
    const users = listNames(target.ksas);
    return {
      status: active.length > 0 ? 'fail' : 'warn',
      cause:
        active.length > 0
          ? `GSA \`${gsa}\`, used through Workload Identity by KSA ${users}, has ${active.length} active user-managed key${active.length === 1 ? '' : 's'} (${listNames(active.map(keyIdOf))}): a long-lived secret Workload Identity makes unnecessary`
          : `GSA \`${gsa}\`, used through Workload Identity by KSA ${users}, has ${disabled.length} disabled user-managed key${disabled.length === 1 ? '' : 's'} (${listNames(disabled.map(keyIdOf))}), which can be enabled again`,
      evidence: {
        expected: 'no user-managed keys (Workload Identity needs none)',
        actual: live.map(describeKey),
        notes,
      },
      fix,
      location: `//iam.googleapis.com/projects/-/serviceAccounts/${gsa}`,
    };
  },
});
