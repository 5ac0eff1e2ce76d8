import { runtimeGlibcVersion } from './malloc-tunables.js';

/** Returns the heap's free pages to the kernel; true if glibc gave some back. */
export type ReleaseFreeMemory = () => boolean;

/**
 * `malloc_trim(0)` of this process's glibc, or why it cannot be had here.
 *
 * Why: under MALLOC_TUNABLES the heap grows to the buffers of the busiest moment and keeps that size, as
 * free() gives back only the top of the heap and any live buffer above free space pins what lies below it.
 * Measured after 20 s of `npm run load` (2026-12-07): RSS 519 MiB with 29 MB of the heap in use;
 * malloc_trim(0), which also releases free pages in the middle of the heap, brought it to 167 MiB, the
 * idle CAS. Node has no binding for it. koffi (an FFI with prebuilt binaries) calls it, where an addon of
 * our own would need a C compiler on every machine that installs the CAS.
 */
export async function openFreeMemoryRelease(
  glibcVersion: () => string | null = runtimeGlibcVersion,
): Promise<{ release: ReleaseFreeMemory } | { unavailable: string }> {
  if (glibcVersion() === null) return { unavailable: 'the C library is not glibc' };
  try {
    const { default: koffi } = await import('koffi');
    const mallocTrim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
    return { release: () => mallocTrim(0) === 1 };
  } catch (error) {
    return { unavailable: `koffi cannot call malloc_trim here (${(error as Error).message})` };
  }
}
