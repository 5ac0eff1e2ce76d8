import type { Logger } from '@cairn/observability';

/**
 * Writes the process's warnings (a deprecation, a library's notice such as the AWS SDK's about Node
 * versions) to the service's log, one JSON line each with the service's fields, instead of Node's
 * multi-line text on stderr beside it. Node prints them through a `warning` listener of its own, installed
 * at start-up unless it runs with `--no-warnings`; this replaces every listener there is with one that
 * logs. Returns a function that puts the earlier listeners back.
 */
export function logProcessWarnings(logger: Logger): () => void {
  const earlier = process.listeners('warning');
  process.removeAllListeners('warning');
  const log = (warning: Error & { code?: string }) =>
    logger.warn(warning.message, {
      warning: warning.name,
      ...(warning.code === undefined ? {} : { code: warning.code }),
    });
  process.on('warning', log);
  return () => {
    process.off('warning', log);
    for (const listener of earlier) process.on('warning', listener);
  };
}
