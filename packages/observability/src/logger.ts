import { redact } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger writing one JSON object per line. Every field goes through the redaction guard. */
export interface Logger {
  readonly level: LogLevel;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ service: 'artifact-cas' }`). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are dropped; defaults to `info`. */
  readonly level?: LogLevel;
  /** Where lines go; defaults to stdout. Receives one complete line ending in `\n`. */
  readonly write?: (line: string) => void;
  readonly fields?: LogFields;
  /** Clock for the `time` field; tests pin it. */
  readonly now?: () => Date;
}

export function isLogLevel(value: string): value is LogLevel {
  return value in RANK;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  return build(level, write, now, options.fields ?? {});
}

/** A logger that drops everything; for tests and embedders that bring their own. */
export const silentLogger: Logger = build(
  'error',
  () => {},
  () => new Date(),
  {},
  true,
);

function build(
  level: LogLevel,
  write: (line: string) => void,
  now: () => Date,
  bound: LogFields,
  silent = false,
): Logger {
  const emit = (at: LogLevel, message: string, fields: LogFields = {}) => {
    if (silent || RANK[at] < RANK[level]) return;
    const safe = redact({ ...bound, ...fields }) as Record<string, unknown>;
    const line = { time: now().toISOString(), level: at, msg: redact(message), ...safe };
    write(`${JSON.stringify(line)}\n`);
  };
  return {
    level,
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => build(level, write, now, { ...bound, ...fields }, silent),
  };
}
