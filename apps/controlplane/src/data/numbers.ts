/** Turns a bigint column (a string from `pg`, a number from PGlite) into a safe JavaScript number. */
export function toNumber(value: string | number | bigint): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new Error(`database value ${String(value)} is not a safe integer`);
  return number;
}
