import { CairnError, Code } from '@cairn/errors';
import type { CommandContext } from './context.js';
import { readInputFile } from './input-file.js';
import { UsageError } from './usage-error.js';

/**
 * One secret a command takes (a registry password, an S3 secret key): from `--<name>-file FILE`, from
 * `--<name>-stdin`, or from an environment variable — never from argv, where the process list and the
 * shell history would keep it.
 */
export interface SecretInput {
  /** The flag stem, e.g. `password` for `--password-file` / `--password-stdin`. */
  readonly flag: string;
  /** The environment variable read when neither flag is given, e.g. `CAIRN_OCI_PASSWORD`. */
  readonly env?: string;
}

/** The secret, or undefined when none of its sources is given. */
export async function readSecret(context: CommandContext, input: SecretInput): Promise<string | undefined> {
  const stem = camel(input.flag);
  const file = context.options[`${stem}File`];
  const stdin = context.options[`${stem}Stdin`] === true;
  if (typeof file === 'string' && stdin) {
    throw new UsageError(`give --${input.flag}-file or --${input.flag}-stdin, not both`, context.command);
  }
  if (typeof file === 'string') return fromFile(context, file, `--${input.flag}-file`);
  if (stdin) return fromStdin(context, `--${input.flag}-stdin`);
  const value = input.env === undefined ? undefined : context.io.env[input.env];
  return value === undefined || value === '' ? undefined : value;
}

async function fromFile(context: CommandContext, file: string, option: string): Promise<string> {
  return nonEmpty((await readInputFile(context, file, option)).toString('utf8'), option);
}

async function fromStdin(context: CommandContext, option: string): Promise<string> {
  const stdin = context.io.stdin;
  if (stdin === undefined || stdin.isTTY === true) {
    throw new UsageError(
      `${option} reads the secret from a pipe, e.g. \`printenv SECRET | cairn …\``,
      context.command,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return nonEmpty(Buffer.concat(chunks).toString('utf8'), option);
}

/** One trailing newline (from `echo` or an editor) is not part of the secret. */
function nonEmpty(text: string, option: string): string {
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new CairnError(Code.InvalidArgument, `${option} gave an empty secret`);
  return value;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
