import { existsSync, readFileSync } from 'node:fs';

/**
 * This VM hands memory its guest frees back to the host within seconds (free page reporting), and the
 * guest pays again the next time it touches it. Measured with dd on 2026-12-03: writing 1 GiB into tmpfs
 * took 0.2 s of kernel time right after a GiB was freed and 0.6–1.2 s once one to six seconds had passed.
 * A server that stores fills fresh pages with every upload; one that only hashes never notices. The bench
 * prints how much memory went back to the host during a run, so a reader can tell this VM from another.
 * (Faulting in and freeing a GiB of tmpfs before every timed transfer was tried as a remedy: no steadier.)
 */
const REPORTED_KIB = '/sys/module/page_reporting/parameters/reported_kib';

/** KiB the guest has handed back to the host since boot, or undefined where the kernel does not say. */
export function reportedToHostKib(): number | undefined {
  if (!existsSync(REPORTED_KIB)) return undefined;
  const value = Number(readFileSync(REPORTED_KIB, 'utf8').trim());
  return Number.isFinite(value) ? value : undefined;
}
