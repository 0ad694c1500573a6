// Errors the CLI turns into exit code 2 with one clear line (no stack trace).

/** Bad flags, unknown targets, unusable input. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
