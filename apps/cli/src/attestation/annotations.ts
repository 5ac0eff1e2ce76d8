import { UsageError } from '../usage-error.js';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

/** `--annotation key=value` (repeatable) → a map; a key given twice is a mistake, not an override. */
export function parseAnnotations(values: readonly string[], command: string): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const text of values) {
    const at = text.indexOf('=');
    const key = at === -1 ? text : text.slice(0, at);
    if (at === -1 || !KEY.test(key)) {
      throw new UsageError(
        `--annotation "${text}" is not KEY=VALUE (a key of letters, digits, '.', '_', '/', '-')`,
        command,
      );
    }
    // Own keys only: `in` also sees what every object inherits (constructor, toString, ...).
    if (Object.hasOwn(annotations, key)) throw new UsageError(`--annotation ${key} is given twice`, command);
    annotations[key] = text.slice(at + 1);
  }
  return annotations;
}
