import type { OptionValues } from './command.js';
import { UsageError } from './usage-error.js';

export function optionalString(options: OptionValues, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredString(options: OptionValues, name: string, command: string): string {
  const value = optionalString(options, name);
  if (value === undefined || value === '') throw new UsageError(`${command} needs --${name}`, command);
  return value;
}
