import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace.ts';

export default defineConfig({
  test: {
    projects,
    // Real servers and large blobs: generous per-test limits, never used to measure speed.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
