/** The one error the CLI reports as is: a sentence for the operator, and the exit code. */

/** Exit codes: 1 when the command ran and found nothing (`show` of a missing key), 2 when it could not run. */
export type ExitCode = 1 | 2;

/** A failure the operator can act on; printed as one line, then the process exits with `exitCode`. */
export class CliError extends Error {
  /** Process exit code. */
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode = 2) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
