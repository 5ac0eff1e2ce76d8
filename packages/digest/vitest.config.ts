import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@cairn/digest', include: ['src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000 },
});
