// Entry point of the single-file build (dist/wi-doctor-probe.cjs): node builtins only, no commander.
// `wi-doctor probe` runs the same code in-process (src/cli/actions/probe.ts).

import { parseProbeArgv, PROBE_USAGE, ProbeUsageError, resolveProbeOptions } from './options.js';
import { probeExitCode, renderProbe } from './render.js';
import { runProbe } from './run.js';

/** Replaced by the build (scripts/build-probe.mjs `define`) with the package version. */
const VERSION = process.env.WI_DOCTOR_PROBE_VERSION ?? '0.0.0-dev';

export async function probeMain(
  argv: readonly string[],
  io: {
    stdout: { write(s: string): unknown };
    stderr: { write(s: string): unknown };
    env: Record<string, string | undefined>;
  },
): Promise<number> {
  try {
    const flags = parseProbeArgv(argv);
    if (flags === 'help') {
      io.stdout.write(PROBE_USAGE);
      return 0;
    }
    const options = resolveProbeOptions(flags, io.env);
    const report = await runProbe(options, { version: VERSION });
    io.stdout.write(renderProbe(report, options.format, options.hidePass));
    return probeExitCode(report);
  } catch (e) {
    if (e instanceof ProbeUsageError) {
      io.stderr.write(`wi-doctor-probe: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`wi-doctor-probe: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
}

// Run when executed as the bundle's entry (esbuild's cjs output sets require.main; under vitest/ESM it is undefined).
declare const require: { main?: unknown } | undefined;
declare const module: unknown;
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  void probeMain(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
  );
}
