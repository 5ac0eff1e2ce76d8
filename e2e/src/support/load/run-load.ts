import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CasUnderLoad, residentBytes, startCasUnderLoad } from './cas-under-load.js';
import { GiB, KiB, MiB, SeededBlob } from './seeded-blob.js';
import { LoadClients, type StoredBlob, type Transport } from './transfers.js';

export interface LoadOptions {
  /** Transfers kept in flight at once (each slot uploads a new blob, then downloads it). */
  readonly concurrency: number;
  /** How long new transfers are started in the measured phase. */
  readonly durationMs: number;
  /** The same load, unmeasured, before the starting RSS is taken. */
  readonly warmupMs: number;
  /** Idle time after a phase's last transfer before the RSS is read. */
  readonly settleMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** Blobs larger than this are "large": at most `largeInFlight` of them are in flight at once. */
  readonly largeBytes: number;
  readonly largeInFlight: number;
  /**
   * At most this many gRPC transfers in flight, and none of a blob above grpcMaxBytes; a transfer that draws
   * gRPC beyond them goes over HTTP. Unset: no limit. (Before @cairn/cas-client gave uploads a connection of
   * their own, 16 and 16 MiB kept gRPC transfers from stalling; RELIABILITY.md, "Load".)
   */
  readonly grpcInFlight?: number;
  readonly grpcMaxBytes?: number;
  /** Once this much is stored, slots download blobs stored earlier instead of uploading new ones. */
  readonly maxStoredBytes: number;
  /** Longest wait for the transfers in flight when a phase stops starting new ones; past it they are cancelled (errors). */
  readonly drainTimeoutMs: number;
  /** Seeds the sizes, transports and contents, so a run can be repeated. */
  readonly seed: string;
  readonly sampleEveryMs: number;
  /** Told about each sample (elapsed ms of the phase, transfers in flight, CAS RSS), e.g. to print progress. */
  readonly onSample?: (phase: string, sample: { elapsedMs: number; inFlight: number; rss: number }) => void;
  /**
   * Ends the run early (Ctrl-C): no transfer starts, those in flight are cancelled, the CAS is stopped and
   * its folder removed; runLoad then rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
  /** Called with the CAS's pid once the RSS at the end was read, before the CAS stops (to look into it). */
  readonly afterLoad?: (pid: number) => Promise<void>;
}

export const FULL_LOAD: LoadOptions = {
  concurrency: 200,
  durationMs: 60_000,
  warmupMs: 5_000,
  settleMs: 5_000,
  minBytes: KiB,
  maxBytes: 256 * MiB,
  largeBytes: 32 * MiB,
  largeInFlight: 6,
  maxStoredBytes: 40 * GiB,
  drainTimeoutMs: 120_000,
  seed: 'cairn-load',
  sampleEveryMs: 100,
};

export type Operation = 'upload' | 'download';

/** Size buckets of the report, by upper bound (inclusive). */
export const BUCKETS: readonly { readonly label: string; readonly upTo: number }[] = [
  { label: '1–16 KiB', upTo: 16 * KiB },
  { label: '16–256 KiB', upTo: 256 * KiB },
  { label: '0.25–4 MiB', upTo: 4 * MiB },
  { label: '4–64 MiB', upTo: 64 * MiB },
  { label: '64–256 MiB', upTo: Number.POSITIVE_INFINITY },
];

export function bucketOf(size: number): string {
  return (BUCKETS.find((bucket) => size <= bucket.upTo) ?? BUCKETS[BUCKETS.length - 1])?.label ?? '';
}

export interface TransferFailure {
  readonly operation: Operation;
  readonly via: Transport;
  readonly size: number;
  readonly message: string;
}

export interface PhaseFigures {
  readonly wallMs: number;
  /** `${operation}/${via}` → bucket label → count and bytes of the transfers that completed and checked. */
  readonly done: Record<string, Record<string, { count: number; bytes: number }>>;
  readonly transfers: number;
  readonly bytes: number;
  readonly failures: readonly TransferFailure[];
  /** Blobs uploaded that were then downloaded and matched (every upload of a slot is read back). */
  readonly uploadsReadBack: number;
  readonly uploads: number;
  /** Transfers in flight, averaged over the samples while new ones were started, and the fewest. */
  readonly meanInFlight: number;
  readonly minInFlight: number;
  readonly peakRss: number;
}

export interface LoadFigures {
  readonly options: Omit<LoadOptions, 'onSample' | 'afterLoad' | 'signal'>;
  readonly warmup: PhaseFigures;
  readonly load: PhaseFigures;
  readonly rss: {
    /** Just after the CAS was ready, before any transfer. */
    readonly idle: number;
    /** After the warm-up and the settle window. */
    readonly start: number;
    /** Highest sample during the measured phase. */
    readonly peak: number;
    /** After the measured phase and the settle window. */
    readonly end: number;
  };
  readonly storedBytes: number;
}

/** A small seeded generator (mulberry32): sizes and transports repeat for a seed. */
function randomFrom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32BE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Starts a CAS (see startCasUnderLoad), loads it for a warm-up, reads its RSS once it settled, loads it
 * for `durationMs`, lets it settle again and reads the RSS at the end. Stops the CAS and removes its
 * folder whatever happens. The figures say what happened; `loadTargetsMissed` judges them.
 */
export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const cas = await startCasUnderLoad({
    lifetimeSeconds:
      Math.ceil((options.warmupMs + options.durationMs + 2 * options.drainTimeoutMs) / 1000) + 600,
  });
  const clients = new LoadClients(cas.grpcAddress, cas.httpUrl, cas.tokens);
  try {
    const { signal } = options;
    const settle = () => sleep(options.settleMs, undefined, signal ? { signal } : {});
    const idle = await residentBytes(cas.pid);
    const load = new Load(options, cas, clients);
    const warmup = await load.phase('warm-up', options.warmupMs);
    signal?.throwIfAborted();
    await settle();
    const start = await residentBytes(cas.pid);
    const measured = await load.phase('load', options.durationMs);
    signal?.throwIfAborted();
    await settle();
    const end = await residentBytes(cas.pid);
    await options.afterLoad?.(cas.pid);
    const { onSample: _, afterLoad: __, signal: ___, ...recorded } = options;
    return {
      options: recorded,
      warmup,
      load: measured,
      rss: { idle, start, peak: measured.peakRss, end },
      storedBytes: load.storedBytes,
    };
  } finally {
    clients.close();
    await cas.close();
  }
}

class Load {
  readonly #random: () => number;
  readonly #stored: StoredBlob[] = [];
  #nextNumber = 0;
  #largeInFlight = 0;
  #grpcInFlight = 0;
  storedBytes = 0;

  constructor(
    private readonly options: LoadOptions,
    private readonly cas: CasUnderLoad,
    private readonly clients: LoadClients,
  ) {
    this.#random = randomFrom(options.seed);
  }

  async phase(name: string, durationMs: number): Promise<PhaseFigures> {
    const started = performance.now();
    const done: PhaseFigures['done'] = {};
    const failures: TransferFailure[] = [];
    let transfers = 0;
    let bytes = 0;
    let uploads = 0;
    let uploadsReadBack = 0;
    let inFlight = 0;
    let starting = true;
    const drain = new AbortController();
    // Every transfer of the phase listens to it.
    setMaxListeners(0, drain.signal);

    const transfer = async (operation: Operation, stored: StoredBlob): Promise<boolean> => {
      const via = this.#transport(stored.blob.size);
      inFlight += 1;
      if (via === 'grpc') this.#grpcInFlight += 1;
      try {
        await this.clients[operation](via, stored, drain.signal);
        const kind = `${operation}/${via}`;
        const bucket = bucketOf(stored.blob.size);
        const row = done[kind] ?? {};
        const cell = row[bucket] ?? { count: 0, bytes: 0 };
        row[bucket] = { count: cell.count + 1, bytes: cell.bytes + stored.blob.size };
        done[kind] = row;
        transfers += 1;
        bytes += stored.blob.size;
        return true;
      } catch (error) {
        failures.push({
          operation,
          via,
          size: stored.blob.size,
          message: error instanceof Error ? error.message : String(error),
        });
        return false;
      } finally {
        inFlight -= 1;
        if (via === 'grpc') this.#grpcInFlight -= 1;
      }
    };

    const slot = async () => {
      while (starting) {
        if (this.storedBytes >= this.options.maxStoredBytes && this.#stored.length > 0) {
          const stored = this.#pickStored();
          const large = this.#takeLargeIf(stored.blob.size);
          try {
            await transfer('download', stored);
          } finally {
            if (large) this.#largeInFlight -= 1;
          }
          continue;
        }
        const { size, large } = this.#drawSize();
        try {
          const blob = new SeededBlob(this.options.seed, this.#nextNumber++, size);
          const stored = { blob, hex: await blob.sha256() };
          uploads += 1;
          if (!(await transfer('upload', stored))) continue;
          this.#stored.push(stored);
          this.storedBytes += size;
          if (await transfer('download', stored)) uploadsReadBack += 1;
        } finally {
          if (large) this.#largeInFlight -= 1;
        }
      }
    };

    let peakRss = 0;
    const inFlightSamples: number[] = [];
    const sample = async () => {
      const rss = await residentBytes(this.cas.pid).catch(() => 0);
      peakRss = Math.max(peakRss, rss);
      if (starting) inFlightSamples.push(inFlight);
      this.options.onSample?.(name, { elapsedMs: performance.now() - started, inFlight, rss });
    };
    const sampler = setInterval(() => void sample(), this.options.sampleEveryMs);
    const { signal } = this.options;
    const stopNow = () => drain.abort(new Error('the run was stopped'));
    signal?.addEventListener('abort', stopNow, { once: true });
    if (signal?.aborted) stopNow();
    try {
      const slots = Array.from({ length: this.options.concurrency }, slot);
      await sleep(durationMs, undefined, signal ? { signal } : {}).catch(() => {});
      starting = false;
      const patience = new AbortController();
      const drained = await Promise.race([
        Promise.all(slots).then(() => true),
        sleep(this.options.drainTimeoutMs, false, { signal: patience.signal }).catch(() => true),
      ]);
      patience.abort();
      if (!drained) {
        drain.abort(new Error(`still running ${this.options.drainTimeoutMs} ms after the phase ended`));
        await Promise.all(slots);
      }
    } finally {
      clearInterval(sampler);
      signal?.removeEventListener('abort', stopNow);
    }
    await sample();
    // The samples while transfers were started, less the first second (the slots hashing their first blob).
    const steady = inFlightSamples.slice(Math.ceil(1000 / this.options.sampleEveryMs));
    const counted = steady.length > 0 ? steady : inFlightSamples;
    return {
      wallMs: performance.now() - started,
      done,
      transfers,
      bytes,
      failures,
      uploads,
      uploadsReadBack,
      meanInFlight: counted.reduce((sum, value) => sum + value, 0) / Math.max(1, counted.length),
      minInFlight: counted.length > 0 ? Math.min(...counted) : 0,
      peakRss,
    };
  }

  /** gRPC or HTTP at even odds (HTTP beyond `grpcInFlight` and `grpcMaxBytes` when they are set). */
  #transport(size: number): Transport {
    const grpc =
      this.#random() < 0.5 &&
      this.#grpcInFlight < (this.options.grpcInFlight ?? Number.POSITIVE_INFINITY) &&
      size <= (this.options.grpcMaxBytes ?? Number.POSITIVE_INFINITY);
    return grpc ? 'grpc' : 'http';
  }

  /**
   * A size drawn log-uniformly from [minBytes, maxBytes]. A large one drawn while `largeInFlight` are in
   * flight is drawn again from [minBytes, largeBytes], so the bytes in flight stay bounded.
   */
  #drawSize(): { size: number; large: boolean } {
    const { minBytes, maxBytes, largeBytes } = this.options;
    const logUniform = (low: number, high: number) =>
      Math.round(Math.exp(Math.log(low) + this.#random() * (Math.log(high) - Math.log(low))));
    const size = logUniform(minBytes, maxBytes);
    if (this.#takeLargeIf(size)) return { size, large: true };
    if (size <= largeBytes) return { size, large: false };
    return { size: logUniform(minBytes, Math.min(largeBytes, maxBytes)), large: false };
  }

  #takeLargeIf(size: number): boolean {
    if (size <= this.options.largeBytes || this.#largeInFlight >= this.options.largeInFlight) return false;
    this.#largeInFlight += 1;
    return true;
  }

  /** A blob stored earlier; a large one only while fewer than `largeInFlight` are in flight. */
  #pickStored(): StoredBlob {
    for (;;) {
      const stored = this.#stored[Math.floor(this.#random() * this.#stored.length)] as StoredBlob;
      if (stored.blob.size <= this.options.largeBytes || this.#largeInFlight < this.options.largeInFlight) {
        return stored;
      }
    }
  }
}

/** The CAS's RSS after the load may exceed its RSS before it by this much (issue 14's target). */
export const RSS_GROWTH_TARGET = 50 * MiB;

/** What the run missed of its targets: 0 errors, every upload read back whole, RSS end − start within RSS_GROWTH_TARGET. */
export function loadTargetsMissed(figures: LoadFigures): string[] {
  const missed: string[] = [];
  for (const [name, phase] of [
    ['warm-up', figures.warmup],
    ['load', figures.load],
  ] as const) {
    if (phase.failures.length > 0) missed.push(`${phase.failures.length} transfers of the ${name} failed`);
    if (phase.uploadsReadBack !== phase.uploads) {
      missed.push(
        `${phase.uploads - phase.uploadsReadBack} of ${phase.uploads} uploads of the ${name} were not read back whole`,
      );
    }
  }
  if (figures.load.transfers === 0) missed.push('no transfer completed');
  const growth = figures.rss.end - figures.rss.start;
  if (growth > RSS_GROWTH_TARGET) {
    missed.push(
      `CAS RSS grew by ${(growth / MiB).toFixed(1)} MiB (${(figures.rss.start / MiB).toFixed(1)} → ${(figures.rss.end / MiB).toFixed(1)} MiB), more than ${(RSS_GROWTH_TARGET / MiB).toFixed(0)} MiB`,
    );
  }
  return missed;
}
