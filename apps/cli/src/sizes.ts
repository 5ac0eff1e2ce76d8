import bytes from 'bytes-iec';
import { UsageError } from './usage-error.js';

/** A decimal number, then optionally a unit: `B`, or an SI (`kB`, `MB`, ...) or IEC (`KiB`, `MiB`, ...) multiple. */
const SIZE = /^\+?([0-9]+)(?:\.([0-9]+))? *(?:([kmgtpezy]?)(i?)b)?$/i;
const PREFIXES = 'kmgtpezy';

/**
 * `100MB` (10^8), `1GiB` (2^30), `500` (bytes) → a whole number of bytes, rounded down. SI and IEC units
 * stay apart (the popular `bytes` package reads MB as MiB, which would make `--max-bytes 100MB` a lie),
 * and the arithmetic is exact: `1.001 kB` is 1001 bytes, where a float would make it 1000.
 */
export function parseSize(text: string, option: string, command: string): number {
  const value = bytesOf(text.trim());
  if (value === undefined || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(
      `${option} "${text}" is not a size; write e.g. 500MB, 1GiB or a number of bytes`,
      command,
    );
  }
  return value;
}

function bytesOf(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  const [, whole = '', fraction = '', prefix = '', binary = ''] = match;
  if (prefix === '' && binary !== '') return undefined; // `iB` is no unit
  const power = prefix === '' ? 0 : PREFIXES.indexOf(prefix.toLowerCase()) + 1;
  const unit = (binary === '' ? 1000n : 1024n) ** BigInt(power);
  return Number((BigInt(`${whole}${fraction}`) * unit) / 10n ** BigInt(fraction.length));
}

/** 1073741824 → `1 GiB`, 512000 → `500 KiB`, 1000 → `1000 B`. */
export function formatSize(size: number): string {
  const text = bytes.format(size, { mode: 'binary', unitSeparator: ' ', decimalPlaces: 1 }) ?? `${size} B`;
  return text;
}
