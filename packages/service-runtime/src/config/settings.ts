import { z } from 'zod';

// The shapes of setting every service has, written once: whole numbers in a range, paths resolved against
// the config file, and the address a server binds.

export const DAY_MS = 24 * 3600_000;

export function integerSetting(min: number, max: number) {
  return z.int().min(min).max(max);
}

/** A file or folder: the loader resolves a relative one against the config file's folder. */
export function pathSetting(description: string) {
  return z.string().meta({ path: true, description });
}

/** The interface a server binds: 127.0.0.1 unless a deployment says otherwise. */
export const listenHost = z
  .string()
  .default('127.0.0.1')
  .describe('interface to bind; 127.0.0.1 unless a deployment says otherwise');

export function listenPort(value: number, server: string) {
  return integerSetting(0, 65_535)
    .default(value)
    .describe(`port of the ${server} server; 0 picks a free one (tests)`);
}
