// Flag parsing shared by the bench scripts: unknown flags and bad values end the script with one line on
// stderr and exit code 2, before anything is built, imported or started.

import { parseArgs } from 'node:util';

/**
 * Parse `argv` with node:util parseArgs (strict), then run `check(values)`, which returns an error message
 * or undefined. Exits 2 with `<name>: <message>` on the first problem.
 */
export function benchArgs(name, options, check = () => undefined, argv = process.argv.slice(2)) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (error) {
    fail(name, error instanceof Error ? error.message.split('\n')[0] : String(error));
  }
  const problem = check(values);
  if (problem !== undefined) fail(name, problem);
  return values;
}

function fail(name, message) {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(2);
}

/** A positive number flag, or an error message naming it. */
export function positive(values, flag) {
  const n = Number(values[flag]);
  return Number.isFinite(n) && n > 0
    ? undefined
    : `--${flag} must be a positive number, got ${JSON.stringify(values[flag])}`;
}

/** A non-negative number flag, or an error message naming it. */
export function nonNegative(values, flag) {
  const n = Number(values[flag]);
  return Number.isFinite(n) && n >= 0
    ? undefined
    : `--${flag} must be a number ≥ 0, got ${JSON.stringify(values[flag])}`;
}

/** Every comma-separated item of a flag is one of `allowed`, or an error message naming the first that is not. */
export function oneOf(values, flag, allowed) {
  const bad = String(values[flag])
    .split(',')
    .find((v) => !allowed.includes(v));
  return bad === undefined ? undefined : `--${flag}: unknown ${JSON.stringify(bad)} (one of ${allowed.join(', ')})`;
}
