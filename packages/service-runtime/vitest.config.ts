import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@cairn/service-runtime', include: ['src/**/*.test.ts'] },
});
