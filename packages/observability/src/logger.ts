import { type Logger as PinoLogger, pino } from 'pino';
import { redact, redactText } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger (pino) writing one JSON object per line. Every field goes through the redaction guard. */
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
  return LEVELS.has(value);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const now = options.now ?? (() => new Date());
  const write = options.write;
  // pino writes the lines (to stdout synchronously, so nothing is lost when a process exits right after
  // a log call); Cairn's guard redacts every field and message before pino sees them.
  const destination = write === undefined ? pino.destination({ fd: 1, sync: true }) : { write };
  const root = pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      timestamp: () => `,"time":"${now().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return wrap(root.child(redact(options.fields ?? {}) as Record<string, unknown>));
}

/** A logger that drops everything; for tests and embedders that bring their own. */
export const silentLogger: Logger = wrap(pino({ level: 'silent' }));

function wrap(logger: PinoLogger): Logger {
  const emit = (at: LogLevel, message: string, fields: LogFields = {}) => {
    if (!logger.isLevelEnabled(at)) return;
    logger[at](redact(fields) as Record<string, unknown>, redactText(message));
  };
  return {
    get level() {
      return logger.level as LogLevel;
    },
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => wrap(logger.child(redact(fields) as Record<string, unknown>)),
  };
}
