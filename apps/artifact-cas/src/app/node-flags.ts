/**
 * V8 flags the CAS is started with (`node <flags> --import tsx main.ts`). A process cannot give them to
 * itself safely once V8 runs, so its launchers do (`npm start`, the image's `cairn-cas`, the benches) and
 * the CAS warns at startup when one is missing.
 *
 * `--no-incremental-marking`: every socket read of an HTTP body and every gRPC message arrives in an
 * ArrayBuffer of its own, a GiB of them per GiB moved. While an incremental mark is under way V8 treats the
 * ArrayBuffers allocated meanwhile as live, so they outlast the collection that ends it and keep the
 * external memory it counts against the old generation high enough to start the next mark at once. The CAS
 * then marks back to back: 11–43 full collections per GiB PUT instead of none, V8's helper threads busy,
 * the upload 10–35% slower. It happened in about half the PUTs that followed gRPC traffic. Marking in one
 * pause when the limit is reached (the CAS's heap is about 17 MB, the pause a few milliseconds) ended it:
 * 0–2 full collections per GiB PUT in six interleaved rounds, against 0–26 (four of six in that state)
 * without (BENCHMARKS.md, 2026-12-03). A larger old-generation growing factor (`--heap-growing-percent=200`)
 * did as well here, but only while the heap stays large enough for its slack to exceed the external bytes
 * of one mark, so it was not chosen.
 *
 * `--expose-gc`: when the CAS goes idle it collects once before giving free memory back to the kernel
 * (idle-memory.ts), so the buffers of the calls that just ended are freed too and the RSS after a burst
 * does not depend on when V8 would have collected them. After 10 s of 200 transfers and 5 s idle
 * (e2e/src/load.test.ts, 2026-12-07) the RSS was 126–154 MiB in five runs with it, about the idle CAS's
 * 137–150 MiB, and 184–230 MiB in three runs without.
 */
export const CAS_NODE_FLAGS: readonly string[] = ['--no-incremental-marking', '--expose-gc'];

/** The CAS_NODE_FLAGS that `execArgv` (a process's node options) lacks. */
export function casNodeFlagsMissing(execArgv: readonly string[] = process.execArgv): string[] {
  return CAS_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
