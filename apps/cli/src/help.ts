import type { Command, OptionSpec } from './command.js';

export function topLevelHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((command) => command.path.join(' ').length));
  return [
    `cairn ${version} — store and fetch supply-chain evidence in a Cairn CAS`,
    '',
    'Usage: cairn <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.path.join(' ').padEnd(width)}  ${command.summary}`),
    '',
    'Run `cairn <command> --help` for its options. Without flags the CLI uses .cairn/cli.json from this',
    'folder or a parent (written by `npm start`); CAIRN_HOME points at another .cairn folder.',
    'Exit codes: 0 success, 1 failure, 2 usage error.',
  ].join('\n');
}

/** Help for a group such as `cairn artifact`: its subcommands. */
export function groupHelp(group: string, commands: readonly Command[]): string {
  const members = commands.filter((command) => command.path[0] === group);
  const width = Math.max(...members.map((command) => command.path.join(' ').length));
  return [
    `Usage: cairn ${group} <command> [options]`,
    '',
    'Commands:',
    ...members.map((command) => `  ${command.path.join(' ').padEnd(width)}  ${command.summary}`),
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => [
    optionLabel(name, spec),
    spec.description,
  ]);
  const width = Math.max(...rows.map(([label = '']) => label.length));
  return [
    `Usage: cairn ${command.synopsis}`,
    '',
    command.description,
    '',
    'Options:',
    ...rows.map(([label = '', description = '']) => `  ${label.padEnd(width)}  ${description}`),
  ].join('\n');
}

function optionLabel(name: string, spec: OptionSpec): string {
  const long = spec.value === undefined ? `--${name}` : `--${name} ${spec.value}`;
  return spec.short === undefined ? `    ${long}` : `-${spec.short}, ${long}`;
}
