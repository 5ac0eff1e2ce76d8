import type { Readable, Writable } from 'node:stream';

/** Everything the CLI touches of its process, passed in so tests can run it in-process. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Read only by the commands that take a secret or data from a pipe. */
  readonly stdin?: Readable & { readonly isTTY?: boolean };
  /** A progress bar is drawn only on a terminal; logs and pipes get plain lines. */
  readonly stderrIsTty: boolean;
  /** `cas-backend delete` asks for confirmation only when someone can answer. */
  readonly stdinIsTty?: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly signal?: AbortSignal;
}

export function writeLine(stream: Writable, line: string): void {
  stream.write(`${line}\n`);
}
