import { PassThrough } from 'node:stream';
import type { CliIo } from '../io.js';

export interface CapturedIo extends CliIo {
  readonly stdoutText: () => string;
  readonly stderrText: () => string;
}

/** A CliIo whose output is kept in memory, for running the CLI in-process. */
export function capturedIo(options: { cwd: string; env?: Record<string, string | undefined> }): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return {
    stdout,
    stderr,
    stderrIsTty: false,
    env: options.env ?? {},
    cwd: options.cwd,
    stdoutText: () => Buffer.concat(out).toString('utf8'),
    stderrText: () => Buffer.concat(err).toString('utf8'),
  };
}
