import { randomUUID } from 'node:crypto';
import { CairnError, type Code, codeName } from '@cairn/errors';
import { expect } from 'vitest';
import type { BlobStore } from '../../core/blob-store.js';
import type { ConformanceOptions, ConformanceTarget } from './target.js';

/** What each test of the suite works with. */
export interface SuiteContext {
  readonly target: ConformanceTarget;
  readonly store: BlobStore;
  /** A signal that never fires, for calls that are not about cancellation. */
  readonly live: AbortSignal;
  /** A seed no other test of this run uses, so blobs of different tests never collide. */
  seed(name: string): string;
}

export type ContextGetter = () => SuiteContext;

/** Options with their defaults filled in; known when tests are registered. */
export interface ResolvedOptions {
  readonly largeBlobBytes: number;
  readonly rssGrowthLimitBytes: number;
  readonly largeTestTimeoutMs: number | undefined;
  readonly checkpointEvery: number | undefined;
}

export function resolveOptions(options: ConformanceOptions): ResolvedOptions {
  return {
    largeBlobBytes: options.largeBlobBytes ?? 1024 * 1024 * 1024,
    rssGrowthLimitBytes: options.rssGrowthLimitBytes ?? 200 * 1024 * 1024,
    largeTestTimeoutMs: options.largeTestTimeoutMs,
    checkpointEvery: options.checkpointEvery,
  };
}

export function runSeeds(): (name: string) => string {
  const run = randomUUID();
  return (name) => `${run}:${name}`;
}

/** Awaits `promise`, expecting it to fail with a CairnError of `code`; returns the error. */
export async function expectCairnError(promise: Promise<unknown>, code: Code): Promise<CairnError> {
  let outcome: unknown;
  try {
    await promise;
    outcome = 'it succeeded';
  } catch (error) {
    if (error instanceof CairnError && error.code === code) return error;
    outcome = error instanceof CairnError ? `${codeName(error.code)}: ${error.message}` : error;
  }
  expect.fail(`expected ${codeName(code)}, but ${String(outcome)}`);
}

/** Nothing stored under `hex`, seen both through the store and by listing the server. */
export async function expectNotVisible(context: SuiteContext, hex: string): Promise<void> {
  expect(await context.store.exists(hex, context.live)).toBe(false);
  expect(await context.target.listVisible(context.live)).not.toContain(hex);
}

export async function expectNoLeftovers(context: SuiteContext): Promise<void> {
  expect(await context.target.leftovers(context.live)).toEqual([]);
}
