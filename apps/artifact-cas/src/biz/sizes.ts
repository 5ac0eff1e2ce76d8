const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** A size as people read it, in binary units with at most one decimal, rounded down: `999 bytes`, `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let unit = 0;
  let value = bytes;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const tenths = Math.floor(value * 10) / 10;
  return `${Number.isInteger(tenths) ? tenths.toFixed(0) : tenths.toFixed(1)} ${UNITS[unit]}`;
}

/** `size` and `limit` for one sentence; with the exact byte counts when both would read the same. */
export function formatSizes(size: number, limit: number): { size: string; limit: string } {
  const shown = { size: formatBytes(size), limit: formatBytes(limit) };
  if (shown.size !== shown.limit || size < 1024) return shown;
  return { size: `${shown.size} (${size} bytes)`, limit: `${shown.limit} (${limit} bytes)` };
}
