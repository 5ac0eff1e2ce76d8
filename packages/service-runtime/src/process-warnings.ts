import type { Logger } from '@cairn/observability';

/**
 * Writes the process's warnings (a deprecation, a library's notice such as the AWS SDK's about Node
 * versions) to the service's log, one JSON line each with the service's fields, instead of Node's
 * multi-line text on stderr beside it. Node prints them through a `warning` listener of its own, installed
 * at start-up unless it runs with `--no-warnings`; this replaces every listener there is with one that
 * logs, for the life of the process.
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) =>
    logger.warn(warning.message, {
      warning: warning.name,
      ...(warning.code === undefined ? {} : { code: warning.code }),
    }),
  );
}
