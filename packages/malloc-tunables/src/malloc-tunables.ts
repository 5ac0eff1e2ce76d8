/**
 * glibc malloc settings for a process that streams blobs, and how to hand them to one.
 *
 * Why: every MiB the CAS moves passes through a few freshly allocated 1 MiB buffers (a file read, an encoded
 * message, grpc-js's framing). With glibc's defaults, memory freed at the top of the heap goes back to the
 * kernel as soon as 128 KiB of it is free, and the next buffers fault fresh zeroed pages in again. Measured
 * on this project's 2-core VM (a CAS streaming 256 MiB gRPC reads from tmpfs): 3.0–5.0 s of CPU per GiB
 * with the defaults, 1.6–2.1 s with the heap kept, at the same peak RSS (183–190 MiB). The bare grpc-js
 * server gains as much, so bench ceilings get the same settings.
 *
 * How: glibc reads `GLIBC_TUNABLES` once, when a process starts, so a process cannot set it for itself:
 * whoever starts it does (`npm start` and the image for the CAS, the `#!` line of the `cairn` command,
 * `rerunWithMallocTunables` for the benches), and the CAS warns at startup when it runs without. Free memory up to `trim_threshold` stays in the heap for the next buffers; allocations
 * below `mmap_threshold` (the 1 MiB messages, the 8 MiB part buffers) come from the heap instead of fresh
 * mappings. Where the C library is not glibc (musl, macOS) the variable means nothing and nothing warns.
 */
export const MALLOC_TUNABLES: Readonly<Record<string, number>> = {
  'glibc.malloc.trim_threshold': 64 * 1024 * 1024,
  'glibc.malloc.mmap_threshold': 32 * 1024 * 1024,
};

type Environment = Readonly<Record<string, string | undefined>>;

/** `names` of MALLOC_TUNABLES as a GLIBC_TUNABLES value. */
function settingOf(names: readonly string[]): string {
  return names.map((name) => `${name}=${MALLOC_TUNABLES[name]}`).join(':');
}

/** The whole of MALLOC_TUNABLES as a GLIBC_TUNABLES value, as the image and the startup warning give it. */
export const MALLOC_TUNABLES_SETTING = settingOf(Object.keys(MALLOC_TUNABLES));

/** `env` with MALLOC_TUNABLES added to GLIBC_TUNABLES; tunables the caller set already are kept as they are. */
export function withMallocTunables(env: Environment): Record<string, string | undefined> {
  const missing = missingTunables(env.GLIBC_TUNABLES);
  if (missing.length === 0) return { ...env };
  const added = settingOf(missing);
  return { ...env, GLIBC_TUNABLES: env.GLIBC_TUNABLES ? `${env.GLIBC_TUNABLES}:${added}` : added };
}

/**
 * The MALLOC_TUNABLES this process started without, if its C library is glibc (`glibcVersion` tells, by
 * default from `process.report`; null for another C library); none elsewhere. The C library is asked only
 * when something is missing: a report takes milliseconds, and a tuned start should not pay for it.
 */
export function mallocTunablesMissing(
  env: Environment = process.env,
  glibcVersion: () => string | null = runtimeGlibcVersion,
): string[] {
  const missing = missingTunables(env.GLIBC_TUNABLES);
  return missing.length === 0 || glibcVersion() === null ? [] : missing;
}

function missingTunables(glibcTunables: string | undefined): string[] {
  const present = new Set((glibcTunables ?? '').split(':').map((setting) => setting.split('=')[0]));
  return Object.keys(MALLOC_TUNABLES).filter((name) => !present.has(name));
}

export function runtimeGlibcVersion(): string | null {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  return header?.glibcVersionRuntime ?? null;
}
