import { CairnError, Code } from '@cairn/errors';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Checks a DNS-1123 label (lower-case letters, digits and '-', 1–63 characters, alphanumeric ends). */
export function parseDnsLabel(value: string, what: string): string {
  if (!DNS_1123_LABEL.test(value)) {
    const shown = JSON.stringify(value.length > 70 ? `${value.slice(0, 67)}...` : value);
    throw new CairnError(
      Code.InvalidArgument,
      `${what} ${shown} is not a DNS-1123 label: use 1–63 lower-case letters, digits or '-', starting and ending with a letter or digit`,
    );
  }
  return value;
}
