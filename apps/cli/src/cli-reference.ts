import type { Command, Option } from 'commander';
import { VERSION } from './cli.js';
import { ExitCode } from './exit-codes.js';
import { buildProgram, pathOf } from './program.js';

// docs/cli.md, written from the command tree itself (`npm run docs`), so the reference and the
// help cannot drift apart; a test fails when the committed file is stale.

const EXIT_CODE_NOTES: Readonly<Record<keyof typeof ExitCode, string>> = {
  Ok: 'the command did what it was asked',
  Failure: 'it failed: a refusal, a missing file, a server error; one line on stderr says what to do',
  Usage: 'it was called wrongly (unknown option, missing argument); nothing was done',
  VerificationFailed: 'bytes or a signature did not match what they claim (a download, `attestation verify`)',
  Unavailable: 'a server could not be reached or did not answer in time; running it again later may work',
  Interrupted: 'Ctrl-C; nothing partial was kept',
};

export function cliReference(): string {
  const program = buildProgram(async () => {}, VERSION);
  const lines = [
    '# The `cairn` command',
    '',
    '<!-- Generated from apps/cli/src/program.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Install it on its own (no clone, no dev dependencies) from the tarball `npm run pack:cli` builds:',
    '`npm install -g ./cairn-cli-<version>.tgz`. In a checkout, `npm ci` builds it and',
    '`node_modules/.bin/cairn` runs it (put `node_modules/.bin` on your PATH rather than paying `npx`’s',
    'start-up on every call).',
    '',
    '## Settings',
    '',
    'First match wins:',
    '',
    '- **Control plane**: `--controlplane-address`, `$CAIRN_CONTROLPLANE_ADDRESS`, `controlplane.grpc` in',
    '  `.cairn/cli.json`, `127.0.0.1:9000`. Its API token: `$CAIRN_API_TOKEN`, then `controlplane.apiToken` of',
    '  `.cairn/cli.json` (`controlplane.adminToken` for `cairn org` and `--org`) — a token from that file is sent',
    '  only to the control plane the file names.',
    '- **CAS token**: `--cas-token`, `$CAIRN_CAS_TOKEN`, one fetched from the control plane, one minted with',
    '  the development key named in `.cairn/cli.json`.',
    '- **CAS address**: `--cas-address`, `$CAIRN_CAS_ADDRESS`, the CAS the control plane names with each token,',
    '  `cas.grpc` in `.cairn/cli.json`, `127.0.0.1:9001`.',
    '- `.cairn/cli.json` is looked up in the current folder and its parents; `$CAIRN_HOME` names the `.cairn`',
    '  folder directly. `npm start` writes it (0600).',
    '',
    '## Output',
    '',
    'Every command that prints data takes `--output table` (the default, for people) or `--output json`',
    '(one JSON document, for scripts); `--json` is short for `--output json`. On the commands that write a',
    'file, `--output` names the file (`-` for stdout) unless it is `table` or `json` (write `./json` for a',
    'file of that name). Errors go to stderr, once, as one line saying what to do; `--debug` adds the',
    'causes and the stack.',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '|---|---|',
    ...Object.entries(ExitCode).map(
      ([name, code]) => `| ${code} | ${EXIT_CODE_NOTES[name as keyof typeof ExitCode]} |`,
    ),
    '',
    '## Commands',
    '',
  ];
  for (const command of leaves(program)) lines.push(...section(command));
  return `${lines.join('\n').trimEnd()}\n`;
}

function section(command: Command): string[] {
  const path = pathOf(command);
  const args = command.registeredArguments.map((argument) =>
    argument.required ? `<${argument.name()}>` : `[${argument.name()}]`,
  );
  const lines = [
    `### cairn ${path}`,
    '',
    command.description() || command.summary(),
    '',
    '```',
    ['cairn', path, ...args, '[options]'].join(' '),
    '```',
    '',
  ];
  for (const argument of command.registeredArguments) {
    lines.push(`- \`<${argument.name()}>\`: ${argument.description}`);
  }
  const options = command.options.filter((option) => option.long !== '--help');
  if (options.length > 0) {
    if (command.registeredArguments.length > 0) lines.push('');
    lines.push('| option | meaning |', '|---|---|');
    for (const option of options) lines.push(`| \`${option.flags}\` | ${meaning(option)} |`);
  }
  lines.push('');
  return lines;
}

function meaning(option: Option): string {
  const notes: string[] = [];
  if (option.mandatory) notes.push('required');
  if (option.argChoices)
    notes.push(`one of ${option.argChoices.map((choice) => `\`${choice}\``).join(', ')}`);
  if (option.defaultValue !== undefined) notes.push(`default \`${String(option.defaultValue)}\``);
  const text = option.description.replaceAll('|', '\\|');
  return notes.length === 0 ? text : `${text} (${notes.join('; ')})`;
}

function leaves(command: Command): Command[] {
  return command.commands.flatMap((child) => (child.commands.length === 0 ? [child] : leaves(child)));
}
