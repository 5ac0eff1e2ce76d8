import { CairnError, Code } from '@cairn/errors';
import { UsageError } from './usage-error.js';

/**
 * What `cairn` exits with. These are part of its interface: CI scripts branch on them, so a code never
 * changes meaning. Documented in docs/cli.md.
 */
export const ExitCode = {
  /** The command did what it was asked. */
  Ok: 0,
  /** It failed: a refusal, a missing file, a server error. The line on stderr says what to do. */
  Failure: 1,
  /** It was called wrongly (unknown option, missing argument); nothing was done. */
  Usage: 2,
  /** Bytes or a signature did not match what they claim to be (a download, `attestation verify`). */
  VerificationFailed: 3,
  /** A server could not be reached or did not answer in time; running it again later may work. */
  Unavailable: 4,
  /** Interrupted by Ctrl-C; partial files were removed. */
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (!(error instanceof CairnError)) return ExitCode.Failure;
  switch (error.code) {
    case Code.DataLoss:
      return ExitCode.VerificationFailed;
    case Code.Unavailable:
    case Code.DeadlineExceeded:
      return ExitCode.Unavailable;
    case Code.Canceled:
      return error.details.reason === 'interrupted' ? ExitCode.Interrupted : ExitCode.Failure;
    default:
      return ExitCode.Failure;
  }
}
