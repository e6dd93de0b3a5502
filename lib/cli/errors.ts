/**
 * Errors of the operator CLI. Each carries the process exit code it maps to: 1 for a command that
 * could not do its work, 2 for a command line that was wrong (the code commander's own usage errors
 * are mapped to as well).
 */
export class CliError extends Error {
  readonly exitCode: number = 1;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** The command line is wrong: a missing companion option, an option that conflicts with another. */
export class UsageError extends CliError {
  override readonly exitCode: number = 2;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** Validation failed and a report was already printed: the runner prints nothing more, only exits. */
export class ReportedError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'ReportedError';
  }
}
