import ms, { type StringValue } from 'ms';
import { UsageError } from './usage-error.js';

/**
 * `90s`, `5m`, `12h`, `90d` (anything `ms` reads) or a bare number of seconds → whole seconds, at most
 * `longestSeconds`; anything else is a usage error naming `option`.
 */
export function parseDuration(text: string, option: string, command: string, longestSeconds: number): number {
  const trimmed = text.trim();
  const seconds = Math.round(millisecondsOf(trimmed) / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new UsageError(`${option} "${text}" is not a duration; write e.g. 90s, 5m, 12h or 90d`, command);
  }
  if (seconds > longestSeconds) {
    throw new UsageError(
      `${option} "${text}" is too long; at most ${ms(longestSeconds * 1000, { long: true })}`,
      command,
    );
  }
  return seconds;
}

function millisecondsOf(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  try {
    return ms(text as StringValue);
  } catch {
    // ms throws on an empty string; anything else it cannot read is NaN.
    return Number.NaN;
  }
}
