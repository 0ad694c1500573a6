// POSIX shell quoting for copy-pasteable commands.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Always single-quoted; an embedded `'` becomes `'\''`. */
export function singleQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Bare when every character is safe in a shell word, single-quoted otherwise. */
export function shellArg(value: string): string {
  return SAFE.test(value) ? value : singleQuote(value);
}

/** `--name=value`, the value quoted as needed. */
export function flag(name: string, value: string): string {
  return `--${name}=${shellArg(value)}`;
}
