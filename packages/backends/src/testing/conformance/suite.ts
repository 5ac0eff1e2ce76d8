import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { createBlobStore } from '../../core/blob-store.js';
import { type ContextGetter, resolveOptions, runSeeds, type SuiteContext } from './context.js';
import { memoryCases } from './memory-cases.js';
import { readCases } from './read-cases.js';
import { refusalCases } from './refusal-cases.js';
import { resumeCases } from './resume-cases.js';
import { roundTripCases } from './round-trip-cases.js';
import type { ConformanceOptions, ConformanceSetup } from './target.js';

/**
 * Registers the tests every provider must pass, run through `createBlobStore(driver)` against a real
 * backend. `setup` runs once before them (start the server, make the driver) and its `teardown` once after.
 * Tests run one after another and share the backend; each uses blobs of its own.
 */
export function describeProviderConformance(
  name: string,
  setup: ConformanceSetup,
  options: ConformanceOptions = {},
): void {
  describe(`${name} provider conformance`, () => {
    const resolved = resolveOptions(options);
    const live = new AbortController().signal;
    let current: SuiteContext | undefined;
    const context: ContextGetter = () => {
      if (!current)
        throw new Error(`the ${name} conformance setup did not complete; see the error in beforeAll`);
      return current;
    };

    beforeAll(async () => {
      const target = await setup(live);
      current = { target, store: createBlobStore(target.driver), live, seed: runSeeds() };
    });

    afterEach(async () => {
      // Whatever a test did, success or failure, it must not leave staging data behind.
      if (current) expect(await current.target.leftovers(live), 'leftovers after the test').toEqual([]);
    });

    afterAll(async () => {
      if (!current) return;
      try {
        await current.store.close();
      } finally {
        await current.target.teardown();
      }
    });

    roundTripCases(context, resolved);
    refusalCases(context);
    readCases(context);
    memoryCases(context, resolved);
    resumeCases(context, resolved);
  });
}
