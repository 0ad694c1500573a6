// `wi-doctor probe` and `probe-pod`: flags and help; the work is in ../actions/probe.ts.

import type { Command } from 'commander';
import { Option } from 'commander';
import { DEFAULT_PROBE_IMAGE } from '../probe-pod/image.js';
import type { ProbeCommandOptions, ProbePodCommandOptions } from '../actions/probe.js';
import type { RegisterCommand } from '../host.js';
import { list, nonEmptyPath, withExamples } from '../options.js';

/** The probe's flags on a commander command (same names as the single-file build). */
function addProbeFlags(command: Command): Command {
  return command
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json']).default('text'))
    .option('--expect-gsa <email>', 'the Google service account the pod should get')
    .option('--node-sa <email>', "the node's service account, to name a fallback to node identity")
    .option('--audience <aud>', 'also ask for an identity token for this audience')
    .option(
      '--need <permission>',
      'a permission to test with testIamPermissions (repeatable, or comma-separated)',
      list,
    )
    .option('--on <resource>', 'full resource name of a project or bucket for --need')
    .option('--pod <ns/name>', 'the pod, for the report (default POD_NAMESPACE/POD_NAME)')
    .option('--subject <ns/kind/name>', 'report as this workload')
    .option('--node <name>', 'the node, for the report (default NODE_NAME)')
    .option('--credentials <file>', 'credential file (default GOOGLE_APPLICATION_CREDENTIALS)')
    .option('--timeout <seconds>', 'per request (default 3)')
    .option('--attempts <n>', 'attempts for connection errors and 5xx (default 5)')
    .option('--retry-window <seconds>', 'over how long the attempts are spread (default 5)')
    .option(
      '--metadata-host <host[:port]>',
      'metadata server (default GCE_METADATA_HOST, GCE_METADATA_IP, 169.254.169.254)',
    )
    .option('--metadata-ip <ip>', 'what the DNS name should resolve to (default 169.254.169.254)')
    .option('--dns-name <name>', 'the metadata DNS name (default metadata.google.internal)')
    .option('--sts-url <url>', 'STS base URL (default WI_DOCTOR_STS_ENDPOINT, else the file token_url)')
    .option('--iamcredentials-url <url>', 'IAM Credentials base URL (default WI_DOCTOR_IAMCREDENTIALS_ENDPOINT)')
    .option('--crm-url <url>', 'Cloud Resource Manager base URL')
    .option('--storage-url <url>', 'Cloud Storage base URL')
    .option('--hide-pass', 'omit passing steps from the text checklist')
    .option('--output <file>', 'write the report to a file instead of stdout');
}

export const registerProbe: RegisterCommand = (program, { io, setExit }) => {
  withExamples(
    addProbeFlags(
      program
        .command('probe')
        .description('Check, from inside a pod, what it sees of Workload Identity (metadata server or federation).'),
    ),
    [
      'wi-doctor probe   # inside the pod',
      'wi-doctor probe --format json --need storage.objects.get --on //storage.googleapis.com/projects/_/buckets/b',
      'node wi-doctor-probe.cjs --expect-gsa cart@acme-shop.iam.gserviceaccount.com   # the single-file build',
    ],
  ).action(async (options: ProbeCommandOptions) => {
    const { runProbeCommand } = await import('../actions/probe.js');
    setExit(await runProbeCommand(options, io));
  });

  const probePod = program
    .command('probe-pod')
    .description('Print a probe Pod (and its ConfigMap) placed like a workload: pipe it to kubectl apply -f -.')
    .requiredOption('--workload <ns/kind/name>', 'the workload to imitate, e.g. shop/deployment/cart')
    .option('--from <dir>', 'read the workload from an evidence bundle instead of the live cluster', nonEmptyPath)
    .option('--image <image>', 'an image with node 18+', DEFAULT_PROBE_IMAGE)
    .option('--name <name>', 'name of the probe pod (default wi-doctor-probe-NAME)')
    .addOption(new Option('--format <format>', 'manifest format').choices(['yaml', 'json']).default('yaml'))
    .option('--probe-file <file>', 'the single-file probe (default dist/wi-doctor-probe.cjs of this package)')
    .option('--expect-gsa <email>', "the GSA the pod should get (default: the KSA's annotation)")
    .option('--node-sa <email>', "the node's service account")
    .option('--audience <aud>', 'also ask for an identity token for this audience')
    .option('--need <permission>', 'permissions to test (repeatable, or comma-separated)', list)
    .option('--on <resource>', 'full resource name of a project or bucket for --need')
    .option('--kubeconfig <file>', 'kubeconfig file (live mode)')
    .option('--context <name>', 'kubeconfig context (live mode)')
    .option('--output <file>', 'write the manifest to a file instead of stdout');
  withExamples(probePod, [
    'wi-doctor probe-pod --workload shop/deployment/cart | kubectl apply -f -',
    'wi-doctor probe-pod --from examples/healthy --workload shop/deployment/cart --format json',
  ]).action(async (options: ProbePodCommandOptions) => {
    const { runProbePodCommand } = await import('../actions/probe.js');
    setExit(await runProbePodCommand(options, io));
  });
};
