import { isatty } from 'node:tty';
import { runCli } from './cli.js';

// First Ctrl-C cancels cleanly (partial files are removed); a second one ends the process at once.
const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort(Object.assign(new Error('interrupted'), { code: 'SIGINT' }));
});

// A closed pipe (`cairn artifact download -o - | head`) ends the command quietly instead of crashing it.
process.stdout.on('error', (error) => controller.abort(error));

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  // Opened only by the commands that read it: a stdin stream costs start-up time and can hold the process.
  get stdin() {
    return process.stdin;
  },
  stderrIsTty: process.stderr.isTTY === true,
  stdinIsTty: isatty(0),
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});

// The command is done and has said everything; what is left is gRPC channels and sockets closing on their
// own, which kept each call alive ~30 ms longer (bench:cli, 12 calls in an attestation flow). End once
// stdout and stderr have flushed what was written to them.
const flushed = (stream: NodeJS.WriteStream) =>
  new Promise<void>((resolve) => {
    if (stream.destroyed || stream.writableEnded) resolve();
    else stream.write('', () => resolve());
  });
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
