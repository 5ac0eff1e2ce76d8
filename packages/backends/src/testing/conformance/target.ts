import type { Driver } from '../../core/provider.js';

/**
 * What a provider's test hands the conformance suite: a driver on a real, empty backend, and hooks that
 * look at that backend's server directly (its directory, bucket, container or registry storage), never
 * through the driver, so the suite can tell what the driver really left there.
 */
export interface ConformanceTarget {
  /** Fresh from `provider.createDriver(...)`. The suite wraps it in `createBlobStore` itself and closes it at the end. */
  readonly driver: Driver;
  /**
   * Hex digests of every blob the backend shows as stored, found by listing the server (e.g. the
   * filesystem's sha256/ tree, ListObjectsV2 under the prefix, listBlobsFlat, the registry's blob store).
   */
  listVisible(signal: AbortSignal): Promise<string[]>;
  /**
   * Anything an unfinished, failed or canceled upload left behind, as short human-readable names: staging
   * files, in-progress multipart uploads (ListMultipartUploads), uncommitted blocks, open registry upload
   * sessions, probe objects. Must be `[]` whenever no upload is in progress.
   */
  leftovers(signal: AbortSignal): Promise<string[]>;
  /**
   * Optional: changes one byte of a stored blob in place, keeping its size, behind the driver's back (e.g.
   * overwrite the object, or edit the server's data file). Without it the suite flips a byte between the
   * driver and the verifying layer instead, which proves less about the backend.
   */
  corrupt?(hex: string, signal: AbortSignal): Promise<void>;
  /**
   * Another driver on the same backend, as another CAS replica has; required with the `checkpointEvery`
   * option. Each call makes a new one, which the suite closes.
   */
  anotherProcess?(): Promise<Driver>;
  /** Stops what setup started and removes its temp data. Called once, after the driver was closed. */
  teardown(): Promise<void>;
}

/** Starts a real server (or makes a temp dir) and returns a target on it. Called once per suite. */
export type ConformanceSetup = (signal: AbortSignal) => Promise<ConformanceTarget>;

export interface ConformanceOptions {
  /** Size of the bounded-memory transfer. Default 1 GiB. */
  readonly largeBlobBytes?: number;
  /** How far process RSS may grow above its start during that transfer. Default 200 MiB. */
  readonly rssGrowthLimitBytes?: number;
  /** Timeout of the 256 MiB and large-blob tests, in ms. Default: the project's testTimeout. */
  readonly largeTestTimeoutMs?: number;
  /**
   * For drivers whose uploads another process continues from checkpoints: the driver's part size, which
   * is where they fall. Absent: those cases are not run.
   */
  readonly checkpointEvery?: number;
}
