import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@cairn/cli',
    include: ['src/**/*.test.ts'],
    globalSetup: ['src/testing/build-cli.ts', 'src/testing/test-servers.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
