import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@cairn/backends',
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['src/testing/servers/global-setup.ts'],
  },
});
