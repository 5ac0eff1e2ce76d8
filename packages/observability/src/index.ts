export {
  createLogger,
  isLogLevel,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  silentLogger,
} from './logger.js';
export { isSecretKey, REDACTED, redact, redactText } from './redact.js';
