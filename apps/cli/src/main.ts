import { runCli } from './cli.js';

// First Ctrl-C cancels cleanly (partial files are removed); a second one ends the process at once.
const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort(new Error('interrupted'));
});

// A closed pipe (`cairn artifact download -o - | head`) ends the command instead of crashing it.
process.stdout.on('error', (error) => controller.abort(error));

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stderrIsTty: process.stderr.isTTY === true,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
