import { defineProject } from 'vitest/config';

// System tests: real servers and Cairn's own processes on 127.0.0.1, each test file starting and stopping
// what it needs.
export default defineProject({
  test: {
    name: '@cairn/e2e',
    include: ['src/**/*.test.ts'],
    // The CLI tests run the built `cairn`: build it from this checkout first.
    globalSetup: ['../apps/cli/src/testing/build-cli.ts'],
    // The tests mostly wait (on outages, restarts, real servers): more files at once than the default of
    // one per spare core (one, on a 2-core CI machine) keeps the wall time down without starving the CPU.
    maxWorkers: 3,
    // Vitest runs projects with different worker counts as separate groups: the system tests go after the
    // unit and component tests, so the two never compete for the two cores.
    sequence: { groupOrder: 1 },
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
