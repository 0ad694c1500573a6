// Option parsing shared by commands: repeatable, comma-separated lists and closed choices.

import { InvalidArgumentError } from 'commander';

/** Collects `--x a --x b,c` into ['a', 'b', 'c']. */
export function list(value: string, previous: string[] = []): string[] {
  const items = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  if (items.length === 0) throw new InvalidArgumentError('expected a value');
  return [...previous, ...items];
}

export function choice<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}`);
    }
    return value as T;
  };
}

export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number (0 for free ports)');
  return n;
}
