import type { Writable } from 'node:stream';

/** Everything the CLI touches of its process, passed in so tests can run it in-process. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** A progress bar is drawn only on a terminal; logs and pipes get plain lines. */
  readonly stderrIsTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly signal?: AbortSignal;
}

export function writeLine(stream: Writable, line: string): void {
  stream.write(`${line}\n`);
}
