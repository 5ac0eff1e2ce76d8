import { closeSync, existsSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/*
 * This VM's host takes back memory the guest leaves free (free page reporting), and the guest pays the
 * host's page faults the next time it touches it. Kernel time to write 1 GiB into tmpfs, measured on
 * 2026-12-03: 0.16–0.3 s on memory freed moments before, 0.7–2.7 s on memory the guest had not touched
 * for a while (dd, and the CAS's write threads read from /proc/<pid>/task). A server that stores fills a
 * GiB of fresh pages per upload and one that only hashes fills none, so on cold memory the storing
 * server's second core goes to the hypervisor rather than to its own work.
 *
 * A storage host that has run for a while recycles its page cache instead of touching memory it never
 * used, so before every timed transfer the bench writes and deletes a file as large as the transfer in
 * the stores' directory: what gets stored then lands on warm memory, as it would there. The bench prints
 * what cold memory would have cost on top (`storageCost`), so the difference stays in view.
 */

const REPORTED_KIB = '/sys/module/page_reporting/parameters/reported_kib';
/** What the warm-up and cost files are filled with, one 1 MiB write at a time. */
const BLOCK = Buffer.alloc(1024 * 1024, 0x5a);

/** KiB the guest has handed back to the host since boot, or undefined where the kernel does not say. */
export function reportedToHostKib(): number | undefined {
  if (!existsSync(REPORTED_KIB)) return undefined;
  const value = Number(readFileSync(REPORTED_KIB, 'utf8').trim());
  return Number.isFinite(value) ? value : undefined;
}

/** Fills `bytes` of fresh pages under `dir` and frees them again, so the next store finds them warm. */
export function warmFreeMemory(dir: string, bytes: number): void {
  const path = join(dir, '.warm-up');
  fillFile(path, bytes);
  rmSync(path, { force: true });
}

/**
 * Kernel seconds this process spends writing `bytes` into a new file under `dir`: right after as much was
 * freed (warm), and for the last of `coldFiles` files kept side by side, which grow into memory the guest
 * has not touched lately (cold). Everything written is removed before it returns.
 */
export function storageCost(dir: string, bytes: number, coldFiles = 3): { warm: number; cold: number } {
  const paths = Array.from({ length: coldFiles }, (_, index) => join(dir, `.storage-cost-${index}`));
  try {
    warmFreeMemory(dir, bytes);
    const warm = kernelSecondsOf(() => fillFile(paths[0] as string, bytes));
    let cold = warm;
    for (const path of paths.slice(1)) cold = kernelSecondsOf(() => fillFile(path, bytes));
    return { warm, cold };
  } finally {
    for (const path of paths) rmSync(path, { force: true });
  }
}

/** Writes `bytes` into a new file at `path` and makes them durable (fsync), as a store would. */
function fillFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    for (let written = 0; written < bytes; ) {
      written += writeSync(fd, BLOCK, 0, Math.min(BLOCK.byteLength, bytes - written));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function kernelSecondsOf(work: () => void): number {
  const before = process.cpuUsage();
  work();
  return process.cpuUsage(before).system / 1e6;
}
