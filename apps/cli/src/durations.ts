import { UsageError } from './usage-error.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `90`, `90s`, `5m`, `1h`, `30d` → seconds, at most `longestSeconds` (then a usage error naming `option`). */
export function parseDuration(text: string, option: string, command: string, longestSeconds: number): number {
  const match = /^(\d+)([smhd])?$/.exec(text.trim());
  const unit = (match?.[2] ?? 's') as keyof typeof UNIT_SECONDS;
  const seconds = match === null ? Number.NaN : Number(match[1]) * UNIT_SECONDS[unit];
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new UsageError(`${option} "${text}" is not a duration; write e.g. 90s, 5m, 1h or 30d`, command);
  }
  if (seconds > longestSeconds) {
    throw new UsageError(`${option} "${text}" is too long; at most ${describe(longestSeconds)}`, command);
  }
  return seconds;
}

function describe(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds >= 86_400 * 2) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${seconds}s`;
}
