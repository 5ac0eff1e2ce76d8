/** A mistake in how the command was called: exit code 2 and a pointer to `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose help to point at, e.g. `artifact upload`; empty for the top level. */
  readonly command: string;

  constructor(message: string, command = '') {
    super(message);
    this.command = command;
  }
}
