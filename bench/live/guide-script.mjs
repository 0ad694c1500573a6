// The reference troubleshooting guide's "Diagnostic Commands" script (/work/shared/reference/
// 000_15413b6e27fd9702.txt), verbatim except its `kubectl exec … ls -la /var/run/secrets/tokens/` line, with
// the guide's placeholder names replaced by one KSA's real names. Run with bash, the machine's gcloud,
// kubectl and jq, against the sandbox. It prints four raw values and no verdict.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const GUIDE_SCRIPT = `#!/bin/bash
# Comprehensive Workload Identity diagnostics

echo "=== Cluster Configuration ==="
gcloud container clusters describe my-cluster --zone us-central1-a \\
  --format="value(workloadIdentityConfig.workloadPool)"

echo ""
echo "=== ServiceAccount Annotation ==="
kubectl get serviceaccount app-sa -n production -o jsonpath='{.metadata.annotations}'

echo ""
echo "=== IAM Binding ==="
gcloud iam service-accounts get-iam-policy \\
  app-gcp@PROJECT_ID.iam.gserviceaccount.com \\
  --format=json | jq '.bindings[] | select(.role == "roles/iam.workloadIdentityUser")'

echo ""
echo "=== Pod Configuration ==="
kubectl get deployment app -n production -o jsonpath='{.spec.template.spec.serviceAccountName}'

echo ""
echo "=== Token Verification ==="
`;

/** The script for one KSA: the guide's names replaced, nothing else changed. */
export function guideScriptFor({ cluster, location, namespace, ksa, gsa, deployment }) {
  return GUIDE_SCRIPT.replace('describe my-cluster --zone us-central1-a', `describe ${cluster} --zone ${location}`)
    .replace('serviceaccount app-sa -n production', `serviceaccount ${ksa} -n ${namespace}`)
    .replace('app-gcp@PROJECT_ID.iam.gserviceaccount.com', gsa)
    .replace('deployment app -n production', `deployment ${deployment} -n ${namespace}`);
}

/** gcloud pointed at the sandbox, with a throwaway configuration directory (and HOME, for kubectl's cache). */
export function guideEnv(sandboxEnv, configDir) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: configDir,
    ...sandboxEnv,
    CLOUDSDK_CONFIG: configDir,
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
  };
}

/**
 * Run the script once per sampled KSA, one after the other (the sandbox must keep answering: never block
 * this process's event loop). Returns per-KSA wall time and output.
 */
export async function runGuideScript(sandboxEnv, cluster, ksas, { timeoutMs = 60_000 } = {}) {
  const configDir = mkdtempSync(join(tmpdir(), 'wi-doctor-bench-gcloud-'));
  const env = guideEnv(sandboxEnv, configDir);
  const runs = [];
  try {
    for (const k of ksas) {
      const script = guideScriptFor({
        ...cluster,
        namespace: k.namespace,
        ksa: k.name,
        gsa: k.gsa,
        deployment: k.deployment,
      });
      const t0 = performance.now();
      const { code, stdout, stderr } = await new Promise((resolve) => {
        execFile('bash', ['-c', script], { env, timeout: timeoutMs, maxBuffer: 1 << 24 }, (error, stdout, stderr) =>
          resolve({ code: error ? (error.code ?? 'killed') : 0, stdout, stderr }),
        );
      });
      runs.push({ ksa: `${k.namespace}/${k.name}`, ms: performance.now() - t0, code, stdout, stderr });
    }
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
  return runs;
}
