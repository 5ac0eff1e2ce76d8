/** A protobuf Timestamp (or none) as ISO 8601 to the second, e.g. `2026-12-06T18:20:55Z`. */
export function isoTime(timestamp: { readonly seconds: bigint } | undefined): string | undefined {
  if (timestamp === undefined || timestamp.seconds === 0n) return undefined;
  return new Date(Number(timestamp.seconds) * 1000).toISOString().replace('.000Z', 'Z');
}
