import { CairnError, Code } from '@cairn/errors';
import type { Command, CommanderError } from 'commander';
import manifest from '../package.json' with { type: 'json' };
import type { CommandContext, OutputFormat } from './context.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { type CliIo, writeLine } from './io.js';
import { buildProgram, everyCommand, type Loader, pathOf } from './program.js';
import { UsageError } from './usage-error.js';

export const VERSION = manifest.version;

/** Runs one `cairn` invocation and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const debug = argv.includes('--debug');
  const program = buildProgram((load, command) => run(load, command, io), VERSION);
  // Set on each command: commander copies these settings only into subcommands created after them.
  for (const command of everyCommand(program)) {
    command.configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Errors are reported once, by `report`, in cairn's own one-line form.
      outputError: () => {},
    });
    command.exitOverride((error) => {
      throw new CommandLineError(error, pathOf(command));
    });
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    return report(error, io, debug);
  }
}

async function run(load: Loader, command: Command, io: CliIo): Promise<void> {
  const context = contextOf(command, io);
  const module = await load();
  await module.run(context);
}

function contextOf(command: Command, io: CliIo): CommandContext {
  const options = command.opts();
  const output = typeof options.output === 'string' ? options.output : undefined;
  const named: OutputFormat | undefined = output === 'table' || output === 'json' ? output : undefined;
  return {
    io,
    command: pathOf(command),
    options,
    args: command.processedArgs.filter((arg): arg is string => typeof arg === 'string'),
    format: options.json === true ? 'json' : (named ?? 'table'),
    outputPath: output !== undefined && named === undefined ? output : undefined,
  };
}

/** A parse error of commander's, and the command whose help explains the right form. */
class CommandLineError extends Error {
  constructor(
    override readonly cause: CommanderError,
    readonly command: string,
  ) {
    super(cause.message);
  }
}

function report(error: unknown, io: CliIo, debug: boolean): ExitCode {
  if (error instanceof CommandLineError) {
    const { cause } = error;
    // --help and --version end in a CommanderError too: they are successes.
    if (cause.code === 'commander.helpDisplayed' || cause.code === 'commander.version') return ExitCode.Ok;
    // A group called without its subcommand: commander has printed the group's help on stderr.
    if (cause.code === 'commander.help') return ExitCode.Usage;
    const message = cause.message.replace(/^error: /, '').replace(/\s*\n\s*/g, '; ');
    writeLine(
      io.stderr,
      `cairn: ${message} (see \`cairn ${error.command} --help\`)`.replace('cairn  ', 'cairn '),
    );
    return ExitCode.Usage;
  }
  if (error instanceof UsageError) {
    const help = error.command === '' ? 'cairn --help' : `cairn ${error.command} --help`;
    writeLine(io.stderr, `cairn: ${error.message} (see \`${help}\`)`);
    return ExitCode.Usage;
  }
  if (isClosedPipe(error) || isClosedPipe(io.signal?.reason)) return ExitCode.Ok;
  if (isInterrupt(io.signal?.reason)) {
    writeLine(io.stderr, 'cairn: interrupted; nothing partial was kept');
    return ExitCode.Interrupted;
  }
  const failure =
    error instanceof CairnError
      ? error
      : CairnError.from(
          error,
          Code.Internal,
          'unexpected error; run again with --debug and report it if it persists',
        );
  writeLine(io.stderr, `cairn: ${oneLine(failure.message)}`);
  if (debug) writeLine(io.stderr, describeForDebugging(failure));
  return exitCodeOf(failure);
}

/** The reader of stdout went away (`cairn … | head`): what it wanted, it has; end quietly. */
function isClosedPipe(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if ((cause as { code?: unknown }).code === 'EPIPE') return true;
  }
  return false;
}

function isInterrupt(reason: unknown): boolean {
  return reason instanceof Error && (reason as { code?: unknown }).code === 'SIGINT';
}

function describeForDebugging(error: Error): string {
  const lines: string[] = [];
  for (let cause: unknown = error; cause !== undefined; cause = (cause as { cause?: unknown }).cause) {
    if (cause instanceof Error) lines.push(cause.stack ?? `${cause.name}: ${cause.message}`);
    else {
      lines.push(String(cause));
      break;
    }
    if (lines.length > 1) lines[lines.length - 1] = `caused by: ${lines.at(-1)}`;
  }
  return lines.join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
