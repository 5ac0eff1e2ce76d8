import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';

export type OutputFormat = 'table' | 'json';

/** What a command's action gets: the process it runs in and what was asked of it. */
export interface CommandContext {
  readonly io: CliIo;
  /** The words that selected it, e.g. `cas-backend add oci` (for messages pointing at its help). */
  readonly command: string;
  /** Its options as commander parsed them (camelCase keys). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Its positional arguments. */
  readonly args: readonly string[];
  /** How data is printed: `--output table|json` (or `--json`). */
  readonly format: OutputFormat;
  /** `--output PATH` on the commands that write a file; undefined elsewhere. */
  readonly outputPath: string | undefined;
}

export function optionalString(context: CommandContext, name: string): string | undefined {
  const value = context.options[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function requiredString(context: CommandContext, name: string, flag: string): string {
  const value = optionalString(context, name);
  if (value === undefined) throw new UsageError(`${flag} needs a value`, context.command);
  return value;
}

export function flag(context: CommandContext, name: string): boolean {
  return context.options[name] === true;
}

/** A repeatable option's values, in the order given. */
export function repeated(context: CommandContext, name: string): string[] {
  const value = context.options[name];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
