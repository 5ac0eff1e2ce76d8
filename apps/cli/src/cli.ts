import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CairnError, codeName } from '@cairn/errors';
import type { Command, OptionValues } from './command.js';
import { commands } from './commands/index.js';
import { ExitCode } from './exit-codes.js';
import { commandHelp, groupHelp, topLevelHelp } from './help.js';
import { type CliIo, writeLine } from './io.js';
import { UsageError } from './usage-error.js';

/** Runs one `cairn` invocation and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let json = false;
  try {
    const selection = selectCommand(argv);
    if ('help' in selection) {
      writeLine(io.stdout, selection.help);
      return ExitCode.Ok;
    }
    const { command, rest } = selection;
    const options = parseOptions(command, rest);
    json = options.json === true;
    if (options.help === true) {
      writeLine(io.stdout, commandHelp(command));
      return ExitCode.Ok;
    }
    await command.run({ io, options, json });
    return ExitCode.Ok;
  } catch (error) {
    return report(error, io, json);
  }
}

type Selection = { command: Command; rest: string[] } | { help: string };

function selectCommand(argv: readonly string[]): Selection {
  const [first, second, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given');
  if (first === '--help' || first === '-h' || first === 'help')
    return { help: topLevelHelp(commands, version()) };
  if (first === '--version' || first === '-V') return { help: version() };
  if (first.startsWith('-')) {
    throw new UsageError(
      `unknown option ${first} before the command; options go after it, e.g. cairn artifact upload --json`,
    );
  }
  const group = commands.filter((command) => command.path[0] === first);
  if (group.length === 0) throw new UsageError(`unknown command "${first}"`);
  if (second === '--help' || second === '-h') return { help: groupHelp(first, commands) };
  const command = group.find((candidate) => candidate.path[1] === second);
  if (command === undefined) {
    const names = group.map((candidate) => candidate.path[1]).join(', ');
    const problem = second === undefined ? 'needs a subcommand' : `has no subcommand "${second}"`;
    throw new UsageError(`cairn ${first} ${problem}; choose one of: ${names}`);
  }
  return { command, rest };
}

function parseOptions(command: Command, args: string[]): OptionValues {
  const name = command.path.join(' ');
  try {
    const { values } = parseArgs({
      args,
      options: { ...command.options },
      strict: true,
      allowPositionals: false,
    });
    return values;
  } catch (error) {
    throw new UsageError(describeParseError(error), name);
  }
}

/** node:util's parse errors are long and generic; say briefly what was wrong. */
function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
      if (message.includes('does not take an argument')) return `option ${option} takes no value`;
      if (message.includes('ambiguous')) {
        const long = /use '(--[\w-]+)=/.exec(message)?.[1] ?? option;
        return `option ${long} needs a value (write ${long}=VALUE for a value that starts with "-")`;
      }
      return `option ${option} needs a value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    default:
      return message.split('. ')[0] ?? message;
  }
}

function report(error: unknown, io: CliIo, json: boolean): ExitCode {
  if (error instanceof UsageError) {
    const help = error.command === '' ? 'cairn --help' : `cairn ${error.command} --help`;
    writeLine(io.stderr, `cairn: ${error.message} (see \`${help}\`)`);
    return ExitCode.Usage;
  }
  const failure =
    error instanceof CairnError
      ? error
      : CairnError.from(error, undefined, 'unexpected error; run again and report it if it persists');
  writeLine(io.stderr, `cairn: ${oneLine(failure.message)}`);
  if (json)
    writeLine(
      io.stdout,
      JSON.stringify({ error: { code: codeName(failure.code), message: failure.message } }),
    );
  return ExitCode.Failure;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return manifest.version ?? 'unknown';
}
